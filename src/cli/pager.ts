/**
 * Long documents through a pager, the way git does it: only when stdout is a terminal and the text
 * is taller than the screen; $PAGER if set (empty or `cat` means none), else `less -R` (the text
 * carries colours); LESS=FRX unless the user has their own (quit when it fits, keep colours, leave
 * the text on screen afterwards). Without a pager, or when it cannot start, the text is printed.
 */
import { spawn } from 'node:child_process';

type Env = Record<string, string | undefined>;

// eslint-disable-next-line no-control-regex
const visible = (line: string) => line.replace(/\u001b\[[0-9;]*m/g, '').length;

/** Screen lines the text takes, counting the lines the terminal wraps. */
export function screenLines(text: string, columns: number): number {
  return text
    .replace(/\n$/, '')
    .split('\n')
    .reduce((n, line) => n + Math.max(1, Math.ceil(visible(line) / Math.max(1, columns))), 0);
}

/** The pager command line, or undefined for none. */
export function pagerCommand(env: Env): string | undefined {
  const chosen = env.PAGER;
  if (chosen === undefined) return 'less -R';
  const trimmed = chosen.trim();
  return trimmed === '' || trimmed === 'cat' ? undefined : trimmed;
}

export interface PageTarget {
  stdout: { isTTY: boolean; columns: number; rows: number };
  out(text: string): void;
}

/** Resolves once the text was shown (the pager quit, or the text was printed). */
export async function page(text: string, target: PageTarget, env: Env): Promise<void> {
  const command = pagerCommand(env);
  if (!command || !target.stdout.isTTY || screenLines(text, target.stdout.columns) < target.stdout.rows) {
    target.out(text);
    return;
  }
  const shown = await new Promise<boolean>((resolve) => {
    // Through the shell, as git does: PAGER may hold options ("less -S").
    const child = spawn('/bin/sh', ['-c', command], {
      stdio: ['pipe', 'inherit', 'inherit'],
      env: { ...env, LESS: env.LESS ?? 'FRX', LV: env.LV ?? '-c' },
    });
    child.on('error', () => resolve(false));
    // Quitting the pager before the end closes the pipe: that is not an error.
    child.stdin.on('error', () => undefined);
    child.on('close', (code) => resolve(code !== 127));
    child.stdin.end(text);
  });
  if (!shown) target.out(text);
}
