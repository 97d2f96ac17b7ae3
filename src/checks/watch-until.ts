/**
 * Waiting on the API instead of sleeping: watch the objects a condition depends on and re-evaluate
 * the condition on every event, until it holds or the deadline aborts the signal.
 *
 * Events are used only as triggers: each evaluation reads fresh state (get/list), so there is no
 * cache to keep consistent with the event stream, and bursts of events collapse into one more
 * evaluation. A slow periodic re-evaluation covers watches that end silently.
 */
import type { KubeClient, ListQuery } from '../core/seams.js';
import type { AttemptOutcome } from './types.js';
import { toMessage } from '../core/errors.js';
import { CheckConfigError } from './errors.js';

export interface WatchUntilOptions {
  kube: KubeClient;
  /** What to watch; any event on any of them triggers an evaluation. */
  queries: ListQuery[];
  /** Reads the current state and judges it. */
  evaluate: () => Promise<AttemptOutcome>;
  signal: AbortSignal;
  /** Re-evaluate this often even without events (default 10 s). */
  resyncMs?: number;
}

/**
 * Resolves with the first passing outcome, or with the last outcome when the signal aborts. Rejects
 * when the last evaluation failed with an error (e.g. the API is unreachable) and none succeeded since.
 */
export function watchUntil(opts: WatchUntilOptions): Promise<AttemptOutcome> {
  const { kube, queries, evaluate, signal } = opts;
  return new Promise<AttemptOutcome>((resolve, reject) => {
    let last: AttemptOutcome | undefined;
    let lastError: unknown;
    let running = false;
    let dirty = false;
    let done = false;
    const stops: Array<() => void> = [];
    const watchProblems: string[] = [];

    const finish = () => {
      if (done) return;
      done = true;
      clearInterval(timer);
      signal.removeEventListener('abort', onAbort);
      for (const stop of stops) {
        try {
          stop();
        } catch {
          // A watch that fails to stop is already gone.
        }
      }
      if (last && (lastError === undefined || last.ok)) {
        resolve(watchProblems.length && !last.ok ? { ...last, details: [...(last.details ?? []), ...watchProblems] } : last);
      } else if (lastError !== undefined) {
        reject(lastError instanceof Error ? lastError : new Error(toMessage(lastError)));
      } else {
        reject(new Error('stopped before the first observation'));
      }
    };

    const trigger = () => {
      if (done) return;
      if (running) {
        dirty = true;
        return;
      }
      running = true;
      dirty = false;
      evaluate().then(
        (outcome) => {
          last = outcome;
          lastError = undefined;
          running = false;
          if (outcome.ok || signal.aborted) finish();
          else if (dirty) trigger();
        },
        (err: unknown) => {
          lastError = err;
          running = false;
          // A mistake in the check will not go away by waiting.
          if (signal.aborted || err instanceof CheckConfigError) finish();
          else if (dirty) trigger();
        },
      );
    };

    const onAbort = () => {
      // Let an evaluation in flight land first (its result is the freshest observation), but not
      // for long: the evaluation callbacks call finish() once the signal is aborted.
      if (!running) finish();
      else setTimeout(finish, 2000).unref?.();
    };
    if (signal.aborted) {
      reject(new Error('stopped before the first observation'));
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = setInterval(trigger, opts.resyncMs ?? 10_000);

    Promise.all(
      queries.map((q) =>
        kube
          .watch(
            q,
            () => trigger(),
            (err) => {
              // Fall back on the periodic re-evaluation; say so if the check ends up failing.
              watchProblems.push(`watch of ${q.kind} ended: ${toMessage(err)}`);
              trigger();
            },
          )
          .then((stop) => {
            if (done) stop();
            else stops.push(stop);
          }),
      ),
    ).then(
      // Evaluate once the watches are in place, so no change between the read and the watch is missed.
      () => trigger(),
      (err: unknown) => {
        watchProblems.push(`could not watch: ${toMessage(err)}`);
        trigger();
      },
    );
  });
}
