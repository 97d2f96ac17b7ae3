/** Small text helpers shared by the check kinds, so results read alike. */
import { CheckConfigError } from './errors.js';

export function percent(share: number, digits = 1): string {
  if (!Number.isFinite(share)) return '—';
  const p = share * 100;
  return `${Number.isInteger(p) ? p : p.toFixed(digits)}%`;
}

/** One line, at most `max` characters, for quoting a body or an output in `found`. */
export function excerpt(text: string, max = 120): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Left-aligned first column, right-aligned others. */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join('  ').trimEnd());
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function ms(n: number): string {
  return n < 1000 ? `${Math.round(n)}ms` : `${(n / 1000).toFixed(n < 10_000 ? 2 : 1)}s`;
}

/** Compiles a pattern from a lab file, naming the field when it is not a valid regular expression. */
export function regex(pattern: string, field: string, flags = ''): RegExp {
  try {
    return new RegExp(pattern, flags);
  } catch (err) {
    throw new CheckConfigError(`${field}: invalid regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
}
