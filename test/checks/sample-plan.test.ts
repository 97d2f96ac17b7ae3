import { describe, expect, it } from 'vitest';
import { sampleSize } from '../../src/checks/kinds/traffic.js';
import { attemptPlan, checkPower, perAttemptPower, sampleSizeWarning } from '../../src/checks/sample-plan.js';
import { goodnessOfFit, binomialPmf } from '../../src/checks/stats.js';
import type { CheckSpec } from '../../src/model/check-schema.js';
import { makeCheck } from './helpers.js';

/** Exact probability that one attempt of n requests accepts a two-class split whose true share of `a` is `truth`. */
function acceptance(n: number, expected: { a: number; b: number }, truth: number, confidence: number): number {
  const pmf = binomialPmf(n, truth);
  let p = 0;
  for (let k = 0; k <= n; k++) if (goodnessOfFit({ a: k, b: n - k }, expected, confidence).pass) p += pmf[k] as number;
  return p;
}

describe('statistical checks keep their stated power over all their attempts', () => {
  const spec = (expect: Record<string, number>) => ({ expect, tolerance: 0.15, confidence: 0.999, power: 0.95 }) as Parameters<typeof sampleSize>[0];

  it('the default retry: each attempt is sized so that both attempts together reach 95%', () => {
    const plan = attemptPlan({ consecutive: 1 }, 'sample');
    expect(plan).toEqual({ attempts: 2, consecutive: 1 });
    for (const [a, b, off] of [[0.5, 0.5, 0.65], [0.8, 0.2, 0.65], [0.8, 0.2, 0.95]] as const) {
      const { n } = sampleSize(spec({ a, b }), plan);
      // A split off by the tolerance passes the check if either attempt accepts it.
      const q = acceptance(n, { a, b }, off, 0.999);
      expect(1 - (1 - q) ** 2, `${a}/${b} vs ${off}, n=${n}`).toBeLessThanOrEqual(0.05);
    }
  });

  it('one attempt needs fewer requests than two for the same power', () => {
    const one = sampleSize(spec({ a: 0.5, b: 0.5 }), { attempts: 1, consecutive: 1 }).n;
    const two = sampleSize(spec({ a: 0.5, b: 0.5 }), { attempts: 2, consecutive: 1 }).n;
    expect(two).toBeGreaterThan(one);
  });

  it('per-attempt and whole-check power are inverse bounds', () => {
    for (const plan of [{ attempts: 1, consecutive: 1 }, { attempts: 2, consecutive: 1 }, { attempts: 4, consecutive: 3 }]) {
      expect(checkPower(perAttemptPower(0.95, plan), plan)).toBeCloseTo(0.95, 12);
    }
    expect(perAttemptPower(0.95, { attempts: 2, consecutive: 1 })).toBeCloseTo(Math.sqrt(0.95), 12);
    expect(perAttemptPower(0.95, { attempts: Infinity, consecutive: 1 })).toBe(0.95);
  });
});

const check = (kind: CheckSpec['kind'], spec: Record<string, unknown>, options: Record<string, unknown> = {}): CheckSpec => makeCheck(kind, spec, options);

describe('sampleSizeWarning (kindlab validate)', () => {
  it('a 50/50 traffic check with 10 requests can never fail, and says what n it needs', () => {
    const w = sampleSizeWarning(check('traffic', { url: 'http://x', requests: 10, classify: { classes: { a: '^a', b: '^b' } }, expect: { a: 0.5, b: 0.5 } }));
    expect(w).toMatch(/^traffic check with requests: 10 accepts every count \(0–10 of 10\); it needs at least \d+ requests for 95% power at tolerance 15%/);
    const needed = Number(/at least (\d+)/.exec(w ?? '')?.[1]);
    expect(needed).toBe(sampleSize({ expect: { a: 0.5, b: 0.5 }, tolerance: 0.15, confidence: 0.999, power: 0.95 } as never, { attempts: 2, consecutive: 1 }).n);
  });

  it('a weak but not hopeless sample is named with its power', () => {
    expect(sampleSizeWarning(check('traffic', { url: 'http://x', requests: 100, classify: { classes: { a: '^a', b: '^b' } }, expect: { a: 0.5, b: 0.5 } }))).toMatch(/detects a split off by 15% with only \d+(\.\d)?% probability over the check's 2 attempts/);
  });

  it('enough requests, or computed ones, give no warning', () => {
    expect(sampleSizeWarning(check('traffic', { url: 'http://x', requests: 1000, classify: { classes: { a: '^a', b: '^b' } }, expect: { a: 0.5, b: 0.5 } }))).toBeUndefined();
    expect(sampleSizeWarning(check('traffic', { url: 'http://x', classify: { classes: { a: '^a', b: '^b' } }, expect: { a: 0.5, b: 0.5 } }))).toBeUndefined();
  });

  it('share checks: errors at 50% with 10 requests, fortio code shares', () => {
    expect(sampleSizeWarning(check('errors', { url: 'http://x', requests: 10, share: 0.5 }))).toMatch(/^errors check: share 50% with requests: 10 accepts every count 0–10 of 10; at least \d+ requests give 95% power/);
    expect(sampleSizeWarning(check('errors', { url: 'http://x', requests: 400, share: 0.5 }))).toBeUndefined();
    expect(sampleSizeWarning(check('errors', { url: 'http://x', requests: 10, share: { max: 0.1 } }))).toBeUndefined();
    expect(sampleSizeWarning(check('load', { pod: { selector: 'app=fortio' }, url: 'http://x', requests: 8, codeShares: { '503': 0.5 } }))).toMatch(/^load check: codeShares 503 50% with requests: 8/);
  });
});
