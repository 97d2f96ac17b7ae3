/** The real Terminal: data on stdout, status on stderr, colour only where it helps. */
import type { Terminal } from '../core/seams.js';

type Env = Record<string, string | undefined>;

/** Colour when stderr is a terminal, unless NO_COLOR (any value) or TERM=dumb says otherwise; FORCE_COLOR wins. */
export function wantsColor(isTTY: boolean, env: Env): boolean {
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  if (env.NO_COLOR !== undefined) return false;
  if (env.TERM === 'dumb') return false;
  return isTTY;
}

export function createTerminal(env: Env = process.env, noColorFlag = false): Terminal {
  const isTTY = Boolean(process.stderr.isTTY);
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    isTTY,
    interactive: isTTY && Boolean(process.stdin.isTTY),
    color: !noColorFlag && wantsColor(isTTY, env),
    columns: process.stderr.columns || 80,
    stdout: {
      isTTY: Boolean(process.stdout.isTTY),
      color: !noColorFlag && wantsColor(Boolean(process.stdout.isTTY), env),
      columns: process.stdout.columns || 80,
      rows: process.stdout.rows || 24,
    },
  };
}

export const ansi = (on: boolean) => {
  const wrap = (code: number) => (s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { bold: wrap(1), dim: wrap(2), red: wrap(31), green: wrap(32), yellow: wrap(33), cyan: wrap(36), gray: wrap(90) };
};
