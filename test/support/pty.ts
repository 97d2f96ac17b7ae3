/**
 * Drives a program in a pseudo-terminal, like a person at a keyboard: keystrokes in, screen text out.
 * util-linux `script` allocates the pty (no native addon to build); we write to its stdin, which it
 * forwards to the program's terminal, and read everything the program draws.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export const keys = { down: '\u001b[B', up: '\u001b[A', enter: '\r', ctrlC: '\u0003' } as const;

// eslint-disable-next-line no-control-regex
const ansiPattern = /\u001b\[[0-9;?]*[A-Za-z]|\u001b\][^\u0007]*\u0007|\u001b[=>]/g;
export const stripAnsi = (s: string) => s.replace(ansiPattern, '').replace(/\r/g, '');

export interface PtySession {
  /** Process id of `script`, whose child is the program (the shell execs it). */
  pid: number;
  /** Everything printed so far, without escape sequences. */
  text(): string;
  /** Resolves once the screen text after `since` matches; rejects with the screen on timeout. */
  waitFor(pattern: RegExp, opts?: { timeoutMs?: number; since?: number }): Promise<number>;
  /** Offset into text() to search from for the next waitFor. */
  mark(): number;
  write(data: string): void;
  exited(): Promise<number | null>;
  kill(): void;
}

export function spawnInPty(argv: string[], opts: { env: Record<string, string | undefined>; cwd?: string; columns?: number; rows?: number }): PtySession {
  const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const cols = opts.columns ?? 100;
  const rows = opts.rows ?? 50;
  // stty sets a stable size so prompts do not wrap differently from run to run.
  const child: ChildProcess = spawn('script', ['-qfec', `stty cols ${cols} rows ${rows}; exec ${quoted}`, '/dev/null'], {
    env: { ...opts.env, TERM: 'xterm-256color' },
    cwd: opts.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let raw = '';
  child.stdout?.on('data', (d: Buffer) => (raw += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (raw += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    pid: child.pid ?? -1,
    text: () => stripAnsi(raw),
    mark: () => stripAnsi(raw).length,
    write: (data) => void child.stdin?.write(data),
    async waitFor(pattern, { timeoutMs = 15_000, since = 0 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const screen = stripAnsi(raw).slice(since);
        const m = pattern.exec(screen);
        if (m) return since + m.index + m[0].length;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; screen:\n${screen.slice(-3000)}`);
        if (child.exitCode !== null) throw new Error(`program exited (${child.exitCode}) before ${pattern}; screen:\n${screen.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    exited: () => exit,
    kill: () => void child.kill('SIGKILL'),
  };
}
