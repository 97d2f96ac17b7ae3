/**
 * A clock that runs `factor` times faster than real time: check timeouts of minutes take
 * milliseconds, while the order of timers, watch events and sleeps stays real.
 */
import type { Clock } from '../../src/core/seams.js';

export function fastClock(factor = 200, start = Date.parse('2026-11-21T10:00:00Z')): Clock & { factor: number } {
  const t0 = performance.now();
  return {
    factor,
    now: () => start + (performance.now() - t0) * factor,
    sleep(ms, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(new DOMException('aborted', 'AbortError'));
        const timer = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, ms / factor);
        const onAbort = () => {
          clearTimeout(timer);
          reject(new DOMException('aborted', 'AbortError'));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}
