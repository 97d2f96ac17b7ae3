/**
 * The same lab on several versions, side by side: one row per checkpoint (and per step's
 * commands), one column per version. Rows where the versions disagree are the behaviour change.
 */
import type { RunReport } from '../engine/report.js';

export type Cell = 'pass' | 'fail' | 'skipped' | 'not run' | 'error';

export interface MatrixRow {
  step: number;
  stepId: string;
  /** "commands", or the checkpoint's title. */
  what: string;
  cells: Cell[];
  /** The versions disagree on this row. */
  differs: boolean;
}

export interface Matrix {
  lab: string;
  columns: Array<{ label: string; outcome: RunReport['outcome']; dir?: string }>;
  rows: MatrixRow[];
}

export function buildMatrix(lab: string, columns: Array<{ label: string; report: RunReport; dir?: string }>): Matrix {
  const rows = new Map<string, MatrixRow>();
  const order: string[] = [];
  columns.forEach(({ report }, col) => {
    for (const s of report.steps) {
      const entries: Array<[string, Cell]> = [];
      if (s.commands.length > 0) entries.push(['commands', s.commands.every((c) => c.exitCode === 0) ? 'pass' : 'fail']);
      const seen = new Map<string, number>();
      for (const c of [...s.before, ...s.checks]) {
        // Two checkpoints may share a title; number the repeats so rows stay distinct.
        const n = (seen.get(c.title) ?? 0) + 1;
        seen.set(c.title, n);
        entries.push([n > 1 ? `${c.title} (#${n})` : c.title, c.status === 'pass' ? 'pass' : 'fail']);
      }
      for (const [what, cell] of entries) {
        const key = `${s.index}\u0000${what}`;
        let row = rows.get(key);
        if (!row) {
          row = { step: s.index, stepId: s.id, what, cells: columns.map(() => 'not run' as Cell), differs: false };
          rows.set(key, row);
          order.push(key);
        }
        row.cells[col] = cell;
      }
    }
  });
  columns.forEach(({ report }, col) => {
    // A skipped step has no results of its own: its rows read "skipped" in that column.
    const skipped = new Set(report.steps.filter((s) => s.status === 'skipped').map((s) => s.index));
    for (const row of rows.values()) if (skipped.has(row.step) && row.cells[col] === 'not run') row.cells[col] = 'skipped';
    if (report.outcome !== 'error') return;
    // A run that never reached its steps: its column reads "error" rather than "not run".
    for (const row of rows.values()) if (row.cells[col] === 'not run') row.cells[col] = 'error';
  });
  const list = order.map((k) => rows.get(k) as MatrixRow).sort((a, b) => a.step - b.step);
  for (const r of list) r.differs = new Set(r.cells).size > 1;
  return { lab, columns: columns.map((c) => ({ label: c.label, outcome: c.report.outcome, ...(c.dir ? { dir: c.dir } : {}) })), rows: list };
}

const symbol: Record<Cell, string> = { pass: '✅', fail: '❌', skipped: '⏭️', 'not run': '·', error: '⚠️' };
const word: Record<Cell, string> = { pass: 'pass', fail: 'FAIL', skipped: 'skip', 'not run': '-', error: 'error' };
const cellText = (s: string) => s.replace(/\|/g, '\\|');

export function renderMatrixMarkdown(m: Matrix): string {
  const lines = [
    `### kindlab repro matrix: \`${m.lab}\``,
    '',
    `| step | checkpoint | ${m.columns.map((c) => cellText(c.label)).join(' | ')} |`,
    `|---|---|${m.columns.map(() => '---').join('|')}|`,
  ];
  for (const r of m.rows) {
    const what = r.differs ? `**${cellText(r.what)}**` : cellText(r.what);
    lines.push(`| ${r.step} ${r.stepId} | ${what} | ${r.cells.map((c) => symbol[c]).join(' | ')} |`);
  }
  lines.push(`| | **outcome** | ${m.columns.map((c) => c.outcome).join(' | ')} |`, '');
  const diffs = m.rows.filter((r) => r.differs);
  lines.push(diffs.length ? `${diffs.length} row(s) differ between versions (in bold).` : 'No difference between versions.', '');
  return lines.join('\n');
}

/** Plain columns for a terminal (no Markdown), differing rows marked with "≠" (or "*" without colour). */
export function renderMatrixText(m: Matrix, color: boolean): string {
  const labels = m.columns.map((c) => c.label);
  const whatWidth = Math.min(60, Math.max(10, ...m.rows.map((r) => `${r.step}. ${r.what}`.length)));
  const widths = labels.map((l) => Math.max(l.length, 5));
  const red = (s: string) => (color ? `\u001b[31m${s}\u001b[0m` : s);
  const green = (s: string) => (color ? `\u001b[32m${s}\u001b[0m` : s);
  const paint = (c: Cell, s: string) => (c === 'pass' ? green(s) : c === 'fail' || c === 'error' ? red(s) : s);
  const clip = (s: string) => (s.length > whatWidth ? s.slice(0, whatWidth - 1) + '…' : s.padEnd(whatWidth));
  const lines = [`  ${''.padEnd(whatWidth)}  ${labels.map((l, i) => l.padEnd(widths[i] as number)).join('  ')}`];
  for (const r of m.rows) {
    const flag = r.differs ? (color ? '≠' : '*') : ' ';
    lines.push(`${flag} ${clip(`${r.step}. ${r.what}`)}  ${r.cells.map((c, i) => paint(c, word[c].padEnd(widths[i] as number))).join('  ')}`);
  }
  lines.push(`  ${'outcome'.padEnd(whatWidth)}  ${m.columns.map((c, i) => c.outcome.padEnd(widths[i] as number)).join('  ')}`);
  return lines.join('\n') + '\n';
}
