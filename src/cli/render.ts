/** Turning engine data into terminal text. Pure functions: the callers print. */
import type { CheckResult } from '../checks/types.js';
import { formatDuration } from '../core/duration.js';
import type { RendererThis, Tokens } from 'marked';
import type { Terminal } from '../core/seams.js';
import type { Step } from '../model/lab.js';
import type { CommandRecord } from '../engine/steps.js';
import { ansi } from './terminal.js';

/**
 * One checkpoint's result. `forAuthor` (run, repro: people validating a lab) adds the notes meant for
 * whoever wrote the lab; a learner (start, check, solve) never sees them.
 */
export function renderCheckResult(r: CheckResult, color: boolean, opts: { forAuthor?: boolean } = {}): string {
  const c = ansi(color);
  const mark = r.status === 'pass' ? c.green(color ? '✓' : 'PASS') : c.red(color ? '✗' : r.status === 'error' ? 'ERROR' : 'FAIL');
  const lines = [`${mark} ${r.title} ${c.gray(`(${formatDuration(r.durationMs)})`)}`];
  if (r.status !== 'pass') {
    // An error before anything was observed has no expectation to show: no empty "expected:" line.
    if (r.expected.trim()) lines.push(`    expected: ${r.expected}`, `    found:    ${r.found}`);
    else lines.push(`    ${r.found}`);
    for (const d of r.details ?? []) lines.push(`    ${d}`);
    if (r.hint) lines.push(`    ${c.yellow('where to look:')} ${r.hint}`);
    if (opts.forAuthor && r.authorNote) lines.push(`    ${c.yellow("for the lab's author:")} ${r.authorNote}`);
  }
  for (const [k, v] of Object.entries(r.captured ?? {})) lines.push(c.gray(`    saved ${k}=${v}`));
  return lines.join('\n') + '\n';
}

export function renderCommand(script: string, color: boolean): string {
  const c = ansi(color);
  return script
    .trimEnd()
    .split('\n')
    .map((l, i) => c.cyan(`${i === 0 ? '$' : '>'} ${l}`))
    .join('\n') + '\n';
}

export function renderCommandFailure(r: CommandRecord, color: boolean): string {
  const c = ansi(color);
  const why = r.timedOut ? 'timed out' : `exited with ${r.exitCode}`;
  const tail = (r.stderr || r.stdout).trimEnd().split('\n').slice(-15).join('\n');
  return `${c.red(`Command ${why}`)} (lab.md:${r.line}):\n${renderCommand(r.script, color)}${tail ? tail + '\n' : ''}`;
}

let markedReady: Promise<(md: string) => string> | undefined;

/**
 * The items of a tight list reach the renderer as block-level text tokens that carry inline tokens
 * (bold, code, links). marked-terminal 7.3.1 prints such a token's raw text, so list items came out
 * as `**bold** \`code\``; open upstream as mikaelbr/marked-terminal#304 and #371, no fixed release.
 * Rendering the inline tokens (through marked-terminal's own strong/codespan/...) fixes it; any other
 * text token falls back to marked-terminal (returning false).
 */
function inlineText(this: RendererThis, token: Tokens.Text | Tokens.Escape): string | false {
  return 'tokens' in token && token.tokens?.length ? this.parser.parseInline(token.tokens) : false;
}

/** Markdown for the terminal: marked-terminal on a colour TTY, the plain source otherwise (pipes, NO_COLOR). */
export async function renderMarkdown(md: string, term: Pick<Terminal, 'color' | 'columns'>): Promise<string> {
  if (!term.color) return md.trim() + '\n';
  markedReady ??= (async () => {
    const [{ Marked }, { markedTerminal }] = await Promise.all([import('marked'), import('marked-terminal')]);
    const m = new Marked();
    // marked-terminal's typings lag behind marked's extension type.
    m.use(markedTerminal({ width: Math.min(term.columns, 100), reflowText: true }) as never);
    m.use({ renderer: { text: inlineText } });
    return (text: string) => m.parse(text, { async: false }) as string;
  })();
  return (await markedReady)(md);
}

export async function renderStep(step: Step, total: number, term: Pick<Terminal, 'color' | 'columns'>): Promise<string> {
  const c = ansi(term.color);
  const header = c.bold(`Step ${step.index}/${total}: ${step.title}`);
  // Hints stay hidden until asked for.
  const prose = step.markdown.split('\n').filter((l) => !/^>\s*hint:/i.test(l)).join('\n');
  const body = await renderMarkdown(prose, term);
  const checks = step.checks.length ? c.gray(`(${step.checks.length} checkpoint${step.checks.length > 1 ? 's' : ''})`) + '\n' : '';
  return `\n${header}\n\n${body}${checks}`;
}
