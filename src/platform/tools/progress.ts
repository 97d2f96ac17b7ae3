/**
 * Download progress. Downloads report to a ProgressSink; the CLI picks the sink: bars (cli-progress)
 * when stderr is a terminal, a few plain percentage lines otherwise (CI logs, pipes), nothing in
 * tests unless a test wants to see the events.
 */
import cliProgress from 'cli-progress';

export interface ProgressTask {
  /** Bytes received since the last call. */
  advance(bytes: number): void;
  finish(ok: boolean): void;
}

export interface ProgressSink {
  /** `total` is the expected size in bytes when the server said it. */
  start(label: string, total?: number): ProgressTask;
}

export const silentProgress: ProgressSink = {
  start: () => ({ advance() {}, finish() {} }),
};

const mb = (bytes: number) => (bytes / 1_048_576).toFixed(1);

/** Percentage lines at each quarter: enough to see a download move in a log, few enough to skim. */
export function lineProgress(write: (line: string) => void, stepPercent = 25): ProgressSink {
  return {
    start(label, total) {
      let received = 0;
      let nextMark = stepPercent;
      write(total ? `Downloading ${label} (${mb(total)} MB)` : `Downloading ${label}`);
      return {
        advance(bytes) {
          received += bytes;
          if (!total) return;
          const pct = Math.floor((received / total) * 100);
          if (pct >= nextMark && pct < 100) {
            write(`  ${label}: ${pct}%`);
            while (nextMark <= pct) nextMark += stepPercent;
          }
        },
        finish(ok) {
          write(ok ? `  ${label}: done (${mb(received)} MB)` : `  ${label}: failed after ${mb(received)} MB`);
        },
      };
    },
  };
}

/** One bar per running download, all in one block (downloads run in parallel). */
export function barProgress(stream: NodeJS.WritableStream = process.stderr): ProgressSink {
  let multi: cliProgress.MultiBar | undefined;
  let running = 0;
  return {
    start(label, total) {
      multi ??= new cliProgress.MultiBar(
        {
          stream: stream as NodeJS.WritableStream & { isTTY?: boolean },
          format: ' {bar} {percentage}% | {label} {done}/{size} MB',
          hideCursor: true,
          clearOnComplete: false,
          autopadding: true,
        },
        cliProgress.Presets.shades_classic,
      );
      running++;
      let received = 0;
      const size = total ? mb(total) : '?';
      const bar = multi.create(total ?? 1, 0, { label, done: '0.0', size });
      return {
        advance(bytes) {
          received += bytes;
          bar.update(total ? received : 0, { done: mb(received) });
        },
        finish(ok) {
          bar.update(total && ok ? total : received, { done: mb(received), label: ok ? label : `${label} (failed)` });
          bar.stop();
          if (--running === 0) {
            multi?.stop();
            multi = undefined;
          }
        },
      };
    },
  };
}

export function defaultProgress(opts: { isTTY: boolean; write: (line: string) => void; stream?: NodeJS.WritableStream }): ProgressSink {
  return opts.isTTY ? barProgress(opts.stream) : lineProgress(opts.write);
}
