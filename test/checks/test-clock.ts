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
      const now = () => start + (performance.now() - t0) * factor;
      const until = now() + ms;
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(new DOMException('aborted', 'AbortError'));
        let timer: ReturnType<typeof setTimeout>;
        // Timers may fire a little early; wait until the clock really reached the time.
        const arm = () => {
          timer = setTimeout(() => {
            if (now() < until) return arm();
            signal?.removeEventListener('abort', onAbort);
            resolve();
          }, Math.max(0, (until - now()) / factor));
        };
        const onAbort = () => {
          clearTimeout(timer);
          reject(new DOMException('aborted', 'AbortError'));
        };
        arm();
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}
