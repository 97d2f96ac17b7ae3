/**
 * What the learner sees while a lab comes up. The platform reports through `status(message)`;
 * here those messages become, on a terminal, one live block that is redrawn in place: a spinner,
 * the current phase with its elapsed time and the total, what is being waited for, and a bar per
 * running download; each finished phase stays above it as one line with its duration. In a pipe
 * (CI logs, `2> file`) every message is one plain line, and downloads print a few percentages.
 *
 * A message that starts with "Waiting for" names what the current phase waits on (the platform's
 * waits say so, src/platform/kind/wait.ts); any other message starts a new phase. Anything else written to stderr
 * first ends the live block (`pause`), so prompts and command output never interleave with it.
 */
import { createRequire } from 'node:module';
import type cliProgress from 'cli-progress';
import { formatDuration } from '../core/duration.js';
import { lineProgress, type ProgressSink } from '../platform/tools/progress.js';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const isWaiting = (m: string) => /^waiting for /i.test(m);

export interface LiveStatus {
  status(message: string): void;
  /** Download bars in the same block (plain percentage lines in a pipe). */
  progress: ProgressSink;
  /** Ends the live block: the current phase becomes a finished line. Safe to call when idle. */
  pause(): void;
}

export interface LiveStatusOptions {
  /** True when stderr is a terminal. */
  isTTY: boolean;
  color: boolean;
  /** Plain writes to stderr (pipe mode, and the finished lines). */
  write: (text: string) => void;
  stream?: NodeJS.WritableStream;
  now?: () => number;
}

export function createLiveStatus(opts: LiveStatusOptions): LiveStatus {
  const now = opts.now ?? Date.now;
  const dim = (s: string) => (opts.color ? `\u001b[2m${s}\u001b[0m` : s);
  const bullet = opts.color ? '\u001b[2m•\u001b[0m' : '•';
  if (!opts.isTTY) {
    return {
      status: (m) => opts.write(`${bullet} ${m}\n`),
      progress: lineProgress((line) => opts.write(line + '\n')),
      pause: () => undefined,
    };
  }

  let multi: cliProgress.MultiBar | undefined;
  let phase: { message: string; since: number } | undefined;
  let waiting: string | undefined;
  let startedAt = 0;
  const restoreOnExit = () => multi?.stop();

  /** One line, cut at the terminal's width (linewrap off): spinner, phase, elapsed, total, what it waits for. */
  const line = (): string => {
    if (!phase) return '';
    const t = now();
    const frame = SPINNER[Math.floor(t / 100) % SPINNER.length] as string;
    const total = phase.since - startedAt >= 1000 ? `, ${formatDuration(t - startedAt)} in all` : '';
    const spin = opts.color ? `\u001b[36m${frame}\u001b[0m` : frame;
    return `${spin} ${phase.message} ${dim(`(${formatDuration(t - phase.since)}${total})`)}${waiting ? ` ${dim('·')} ${waiting.replace(/^W/, 'w')}` : ''}`;
  };

  function ensure(): cliProgress.MultiBar {
    if (multi) return multi;
    startedAt ||= now();
    // Loaded on first use: commands that never show progress (list, --help) do not pay for it.
    const { MultiBar } = createRequire(import.meta.url)('cli-progress') as typeof cliProgress;
    multi = new MultiBar({
      stream: (opts.stream ?? process.stderr) as NodeJS.WritableStream & { isTTY?: boolean },
      hideCursor: true,
      clearOnComplete: true,
      forceRedraw: true,
      linewrap: false,
      fps: 10,
      autopadding: true,
      // The bars are redrawn in place: gracefulExit would stop them on SIGINT behind kindlab's back.
      gracefulExit: false,
    });
    multi.create(1, 0, {}, { format: () => line() });
    process.once('exit', restoreOnExit);
    return multi;
  }

  function finishPhase(): void {
    if (phase && multi) multi.log(`${bullet} ${phase.message} ${dim(`(${formatDuration(now() - phase.since)})`)}\n`);
  }

  return {
    status(message) {
      if (isWaiting(message)) {
        waiting = message;
        if (!phase) phase = { message: 'Working', since: now() };
      } else {
        ensure();
        finishPhase();
        phase = { message, since: now() };
        waiting = undefined;
      }
      ensure().update();
    },
    progress: {
      start(label, total) {
        const m = ensure();
        let received = 0;
        const size = total ? (total / 1_048_576).toFixed(1) : '?';
        const bar = m.create(total ?? 1, 0, { label, done: '0.0', size }, { format: '  {bar} {percentage}% | {label} {done}/{size} MB' });
        return {
          advance(bytes) {
            received += bytes;
            bar.update(total ? received : 0, { done: (received / 1_048_576).toFixed(1) });
          },
          finish(ok) {
            m.remove(bar);
            m.log(`${bullet} ${ok ? 'Downloaded' : 'Download failed:'} ${label} ${dim(`(${(received / 1_048_576).toFixed(1)} MB)`)}\n`);
          },
        };
      },
    },
    pause() {
      if (!multi) return;
      finishPhase();
      // The finished lines wait in cli-progress's log buffer until the next redraw.
      multi.update();
      multi.stop();
      process.removeListener('exit', restoreOnExit);
      multi = undefined;
      phase = undefined;
      waiting = undefined;
      startedAt = 0;
    },
  };
}
