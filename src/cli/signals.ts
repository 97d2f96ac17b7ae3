/**
 * Ending on a signal the way a shell expects (exit code 128 + the signal's number), after a last
 * word to the user. Exiting through process.exit runs the 'exit' listeners, which is where the
 * session lock is removed (src/engine/lock.ts): a signal's default action would skip them.
 */
import { constants } from 'node:os';

export const TERMINATION_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type TerminationSignal = (typeof TERMINATION_SIGNALS)[number];

/** Until the returned function is called, each signal calls `last` and then exits. */
export function exitOnSignals(last: (signal: TerminationSignal) => void): () => void {
  const handlers = TERMINATION_SIGNALS.map((signal) => {
    const handler = () => {
      try {
        last(signal);
      } finally {
        process.exit(128 + constants.signals[signal]);
      }
    };
    process.once(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
  };
}
