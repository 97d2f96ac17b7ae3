/**
 * The only module that starts processes (through zx). Everything else receives a ProcessRunner.
 * zx is imported lazily so commands that never run a process start fast.
 */
import type { ProcessRunner, RunOptions, RunResult } from '../core/seams.js';

async function runWithZx(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const { $ } = await import('zx');
  const started = Date.now();
  const controller = new AbortController();
  const signals = [controller.signal, ...(opts.signal ? [opts.signal] : [])];
  const signal = signals.length > 1 ? AbortSignal.any(signals) : controller.signal;
  let timedOut = false;
  const timer = opts.timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, opts.timeoutMs)
    : undefined;
  opts.signal?.addEventListener('abort', () => (timedOut = true), { once: true });
  // Node gives children socket pairs for stdio; Debian's bash treats a socket on stdin like an ssh
  // session and sources ~/.bashrc when SHLVL is unset. A set SHLVL keeps user start-up files out.
  const env = { ...(opts.env ?? process.env) };
  env.SHLVL ??= '1';
  const shell = $({
    nothrow: true,
    quiet: true,
    verbose: false,
    cwd: opts.cwd,
    env: env as NodeJS.ProcessEnv,
    input: opts.input,
    signal,
  });
  const [cmd, ...args] = argv;
  const proc = shell`${cmd} ${args}`;
  if (opts.onOutput) {
    const cb = opts.onOutput;
    proc.stdout.on('data', (d: Buffer) => cb(d.toString(), 'stdout'));
    proc.stderr.on('data', (d: Buffer) => cb(d.toString(), 'stderr'));
  }
  try {
    const out = await proc;
    return {
      argv,
      exitCode: out.exitCode ?? (timedOut ? 124 : 1),
      stdout: out.stdout,
      stderr: out.stderr,
      durationMs: Date.now() - started,
      ...(timedOut ? { timedOut } : {}),
    };
  } catch (err) {
    // zx rejects on abort even with nothrow; a missing executable surfaces here too.
    const e = err as { stdout?: string; stderr?: string; exitCode?: number | null; message?: string };
    return {
      argv,
      exitCode: typeof e.exitCode === 'number' ? e.exitCode : timedOut ? 124 : 127,
      stdout: e.stdout ?? '',
      stderr: e.stderr || e.message || '',
      durationMs: Date.now() - started,
      ...(timedOut ? { timedOut } : {}),
    };
  } finally {
    if (timer) clearTimeout(timer);
  }
}

export function createProcessRunner(): ProcessRunner {
  return {
    run: (command, args, opts) => runWithZx([command, ...args], opts),
    runScript: (script, opts) => runWithZx(['bash', '-c', `set -euo pipefail\n${script}`], opts),
  };
}

/** A command line a person can paste into a shell. */
export function prettyCommand(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
