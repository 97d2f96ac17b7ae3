/**
 * Download progress. Downloads report to a ProgressSink; the CLI picks the sink: bars in its live
 * status block when stderr is a terminal (src/cli/live-status.ts), a few plain percentage lines
 * otherwise (CI logs, pipes), nothing in tests unless a test wants to see the events.
 */
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
