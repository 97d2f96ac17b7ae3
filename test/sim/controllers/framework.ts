/**
 * What the sim's controllers share: a controller attaches to one cluster and returns how to detach;
 * work is queued per object key and run once after a delay, so a burst of events for one object
 * (create, then status write, then a pod change) leads to one reconcile that reads the latest state.
 */
import type { SimCluster } from '../cluster.js';

/** Attaches a controller to a cluster; returns a function that detaches it. */
export type Controller = (cluster: SimCluster) => () => void;

export class DelayedQueue {
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly delayMs: number,
    private readonly work: (key: string) => void,
  ) {}

  add(key: string): void {
    if (this.stopped || this.pending.has(key)) return;
    const timer = setTimeout(() => {
      this.pending.delete(key);
      if (this.stopped) return;
      try {
        this.work(key);
      } catch (err) {
        // A reconcile can race with a test deleting things; the next event retries it.
        if (process.env.KINDLAB_SIM_DEBUG) console.error(`sim controller: ${key}:`, err);
      }
    }, this.delayMs);
    timer.unref?.();
    this.pending.set(key, timer);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
  }
}

/** "ns/name" keys and back. */
export const keyOf = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;
export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
