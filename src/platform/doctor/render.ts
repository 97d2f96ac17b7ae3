/** Findings as text for a terminal or a log, or as JSON. Returns a string; the CLI prints it. */
import type { Finding, FindingStatus } from './types.js';

const symbols: Record<FindingStatus, string> = { ok: '✓', warn: '!', fail: '✗', skip: '-' };
const words: Record<FindingStatus, string> = { ok: 'OK  ', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' };
const colors: Record<FindingStatus, number> = { ok: 32, warn: 33, fail: 31, skip: 90 };

const paint = (on: boolean, code: number, text: string) => (on ? `\u001b[${code}m${text}\u001b[39m` : text);
const dim = (on: boolean, text: string) => (on ? `\u001b[2m${text}\u001b[22m` : text);

/** `summary: false` leaves out the closing tally (and the blank line before it), for callers with their own. */
export function renderFindings(findings: Finding[], opts: { color: boolean; json: boolean; summary?: boolean }): string {
  if (opts.json) return `${JSON.stringify(findings, null, 2)}\n`;
  const lines: string[] = [];
  for (const f of findings) {
    // Symbols only with colour: plain output is for logs and screen readers, where words read better.
    const mark = opts.color ? paint(true, colors[f.status], symbols[f.status]) : words[f.status];
    lines.push(`${mark} ${f.title}: ${f.message}`);
    const indent = opts.color ? '  ' : '     ';
    for (const d of f.details ?? []) lines.push(`${indent}${dim(opts.color, d)}`);
    if (f.fix && (f.status === 'fail' || f.status === 'warn' || f.status === 'skip')) lines.push(`${indent}→ ${f.fix}`);
  }
  if (opts.summary === false) return `${lines.join('\n')}\n`;
  const count = (s: FindingStatus) => findings.filter((f) => f.status === s).length;
  const summary = `${count('ok')} ok, ${count('warn')} warning${count('warn') === 1 ? '' : 's'}, ${count('fail')} failed`;
  lines.push('', count('fail') > 0 ? paint(opts.color, colors.fail, summary) : summary);
  return `${lines.join('\n')}\n`;
}
