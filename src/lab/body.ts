/**
 * The Markdown body of lab.md → intro and steps. Walks marked's top-level tokens; a token's line
 * comes from where its raw text sits in the body.
 */
import { Lexer, type Token, type Tokens } from 'marked';
import type { CheckSpec } from '../model/check-schema.js';
import { parseCheckBlock } from './check-block.js';
import { slugify, splitHeading, stepIdPattern } from './headings.js';
import type { IssueList } from './issues.js';
import { byteLength, labLimits, sizeProblem, tooDeeplyNested } from './limits.js';
import type { CodeBlock, Step } from '../model/lab.js';
import { didYouMean } from './suggest.js';

/** Fence languages that are shown to the learner as they are and never run. */
const displayLanguages = new Set([
  'console', 'output', 'text', 'txt', 'plain', 'plaintext', 'yaml', 'yml', 'json', 'jsonc', 'diff', 'ini', 'toml',
  'properties', 'dockerfile', 'go', 'python', 'py', 'js', 'javascript', 'ts', 'typescript', 'html', 'xml', 'promql',
  'log', 'csv', 'sql', 'markdown', 'md', 'mermaid', 'nginx', 'conf', 'hcl',
]);
const shellLanguages = new Set(['sh', 'bash']);
const shellFlags = ['cleanup', 'norun'];

interface Draft {
  step: Step;
  parts: string[];
}

export interface Body {
  intro: string;
  steps: Step[];
}

export function parseBody(body: string, bodyLine: number, issues: IssueList): Body {
  const tokens = blockTokens(body, bodyLine, issues);
  if (!tokens) return { intro: '', steps: [] };
  const lines = lineIndex(body);
  const introParts: string[] = [];
  const drafts: Draft[] = [];
  const ids = new Map<string, number>();
  let pos = 0;

  for (const token of tokens) {
    const found = body.indexOf(token.raw, pos);
    const offset = found === -1 ? pos : found;
    pos = offset + token.raw.length;
    if (token.type === 'space') continue;
    const line = bodyLine + lines(offset);
    if (token.type === 'code') {
      const tooBig = sizeProblem('this code block', byteLength(token.raw), 'blockBytes');
      if (tooBig) {
        issues.error(line, tooBig);
        continue;
      }
    }
    const current = drafts[drafts.length - 1];

    if (token.type === 'heading' && (token as Tokens.Heading).depth === 2) {
      drafts.push(startStep(token as Tokens.Heading, line, drafts.length + 1, ids, issues));
    } else if (!current) {
      introToken(token, line, issues);
      introParts.push(trimEnd(token.type === 'code' ? plainFence(token.raw) : token.raw));
    } else {
      stepToken(current, token, line, issues);
    }
    if (token.type !== 'code') nestedFences(token, line, issues);
  }

  if (drafts.length === 0) {
    issues.error(bodyLine, 'no steps: a lab needs at least one step, a section beginning with "## "');
  }
  return {
    intro: introParts.join('\n\n'),
    steps: drafts.map((d) => ({ ...d.step, markdown: d.parts.join('\n\n') })),
  };
}

/**
 * marked's block-level tokens: all the parser needs (headings, fences, quotes, lists). Inline
 * Markdown is left to the renderer: marked's emphasis scanning grows with the square of a
 * paragraph's length (16 KB of "_a" took seconds), and the parser never looks at it.
 */
function blockTokens(body: string, bodyLine: number, issues: IssueList): Token[] | undefined {
  const deep = tooDeeplyNested(body, bodyLine);
  if (deep) {
    issues.error(deep, `this line nests quotes or lists more than ${labLimits.nesting} levels deep, over kindlab's limit: flatten it`);
    return undefined;
  }
  try {
    return new Lexer({ gfm: true }).blockTokens(body, []);
  } catch (err) {
    // Deeply nested lists exhaust marked's recursion before they reach the limit above.
    if (!(err instanceof RangeError)) throw err;
    issues.error(bodyLine, 'the Markdown is nested too deeply to read (lists or quotes inside one another)');
    return undefined;
  }
}

function startStep(token: Tokens.Heading, line: number, index: number, ids: Map<string, number>, issues: IssueList): Draft {
  const { title, explicitId } = splitHeading(token.text);
  let id = explicitId ?? slugify(title);
  if (explicitId !== undefined && !stepIdPattern.test(explicitId)) {
    issues.error(line, `step id "${explicitId}" must be lower-case letters, digits and dashes, e.g. {#scale-out}`);
  }
  if (id === '') id = `step-${index}`;
  const previous = ids.get(id);
  if (previous !== undefined) {
    issues.error(line, `duplicate step id "${id}" (the step at line ${previous} has it too): give one of them its own id with {#another-id}`);
  } else {
    ids.set(id, line);
  }
  const step: Step = { id, title, index, line, markdown: '', commands: [], cleanup: [], before: [], checks: [], hints: [] };
  return { step, parts: [] };
}

/** What a fence's info string asks for. */
type Fence =
  | { role: 'command' | 'cleanup' | 'norun' | 'shown' | 'checks' | 'before' }
  | { role: 'invalid'; message: string }
  | { role: 'unknown'; lang: string };

function classifyFence(info: string): Fence {
  const [langRaw = '', ...flags] = info.trim().split(/\s+/);
  const lang = langRaw.toLowerCase();
  if (shellLanguages.has(lang)) {
    if (flags.length === 0) return { role: 'command' };
    if (flags.length === 1 && flags[0] === 'cleanup') return { role: 'cleanup' };
    if (flags.length === 1 && flags[0] === 'norun') return { role: 'norun' };
    const bad = flags.find((f) => !shellFlags.includes(f)) ?? flags.join(' ');
    return {
      role: 'invalid',
      message: `unknown option "${bad}" on a \`\`\`${lang} block${didYouMean(bad, shellFlags)}: use \`\`\`${lang}, \`\`\`${lang} cleanup or \`\`\`${lang} norun`,
    };
  }
  if (lang === 'check') {
    if (flags.length === 0) return { role: 'checks' };
    if (flags.length === 1 && flags[0] === 'before') return { role: 'before' };
    return { role: 'invalid', message: `unknown option "${flags.join(' ')}" on a \`\`\`check block: use \`\`\`check or \`\`\`check before` };
  }
  if (lang === '' || displayLanguages.has(lang)) return { role: 'shown' };
  return { role: 'unknown', lang: langRaw };
}

function stepToken(draft: Draft, token: Token, line: number, issues: IssueList): void {
  const { step, parts } = draft;
  if (token.type === 'code' && (token as Tokens.Code).codeBlockStyle !== 'indented') {
    const code = token as Tokens.Code;
    const fence = classifyFence(code.lang ?? '');
    const block: CodeBlock = { code: code.text, line };
    switch (fence.role) {
      case 'command':
        step.commands.push(block);
        parts.push(trimEnd(code.raw));
        return;
      case 'cleanup':
        // Undo scripts are for `reset`, not part of the text the learner follows.
        step.cleanup.push(block);
        return;
      case 'shown':
        parts.push(trimEnd(code.raw));
        return;
      case 'norun':
        (step.norun ??= []).push(block);
        parts.push(trimEnd(plainFence(code.raw)));
        return;
      case 'checks':
      case 'before': {
        const checks: CheckSpec[] = parseCheckBlock(code.text, line + 1, issues);
        (fence.role === 'checks' ? step.checks : step.before).push(...checks);
        if (fence.role === 'before') {
          for (const c of checks.filter((c) => c.options.holdsBefore !== undefined)) {
            issues.error(c.line, 'holdsBefore marks a checkpoint (```check) that holds before its solution; a ```check before baseline always runs before the commands: remove it');
          }
        }
        return;
      }
      case 'invalid':
        issues.error(line, fence.message);
        return;
      case 'unknown':
        issues.warn(line, `code block type "${fence.lang}" is not one kindlab runs: it is shown as it is and never run${didYouMean(fence.lang, ['sh', 'bash', 'check'])}`);
        parts.push(trimEnd(code.raw));
        return;
    }
  }
  if (token.type === 'blockquote') step.hints.push(...hintsOf(token.raw));
  parts.push(trimEnd(token.raw));
}

function introToken(token: Token, line: number, issues: IssueList): void {
  if (token.type !== 'code') return;
  const fence = classifyFence((token as Tokens.Code).lang ?? '');
  if (fence.role === 'checks' || fence.role === 'before') {
    issues.error(line, 'a check block before the first step never runs: move it into a step (a "## " section)');
  } else if (fence.role === 'command' || fence.role === 'cleanup') {
    issues.warn(line, 'commands before the first step are never run: move them into a step, or mark the block ```sh norun');
  } else if (fence.role === 'invalid') {
    issues.error(line, fence.message);
  }
}

/** Runnable fences hidden inside lists or quotes would silently not run: say so. */
function nestedFences(token: Token, line: number, issues: IssueList): void {
  const children: Token[] = [];
  const collect = (t: Token) => {
    const withTokens = t as { tokens?: Token[]; items?: Token[] };
    for (const child of [...(withTokens.tokens ?? []), ...(withTokens.items ?? [])]) {
      if (child.type === 'code') children.push(child);
      collect(child);
    }
  };
  collect(token);
  for (const child of children) {
    const role = classifyFence((child as Tokens.Code).lang ?? '').role;
    const at = line + countNewlines(token.raw, token.raw.indexOf(child.raw.split('\n')[0] ?? ''));
    if (role === 'checks' || role === 'before') {
      issues.error(at, 'a check block inside a list or quote is not recognised: put it at the top level of the step');
    } else if (role === 'command' || role === 'cleanup') {
      issues.warn(at, 'a ```sh block inside a list or quote is shown but never run: put it at the top level of the step to make it part of the solution');
    }
  }
}

/**
 * Hints are blockquote lines beginning with "hint:" (any case). Lines that follow one, up to the
 * next "hint:" or the end of the quote, continue it; text before the first "hint:" is prose.
 */
export function hintsOf(raw: string): string[] {
  const hints: string[] = [];
  // The hint being read, as paragraphs of lines.
  let current: string[][] | undefined;
  const flush = () => {
    if (current) hints.push(current.filter((p) => p.length > 0).map((p) => p.join(' ')).join('\n\n'));
  };
  for (const rawLine of raw.split('\n')) {
    const text = rawLine.replace(/^ {0,3}>+ ?/, '').trim();
    const m = /^hint:\s*(.*)$/i.exec(text);
    if (m) {
      flush();
      current = [m[1] ? [m[1]] : []];
    } else if (current) {
      if (text === '') current.push([]);
      else current[current.length - 1]?.push(text);
    }
  }
  flush();
  return hints;
}

const trimEnd = (s: string) => s.replace(/\s+$/, '');

/** "```sh norun" → "```sh": the learner's renderer gets a plain language name, not run options. */
const plainFence = (raw: string) => raw.replace(/^(\s*(?:`{3,}|~{3,}))\s*(\S*)[^\n]*/, '$1$2');

function countNewlines(text: string, end: number): number {
  let n = 0;
  for (let i = 0; i < end && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/** offset → 0-based line within the text. */
function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
}
