import { describe, expect, it } from 'vitest';
import {
  binomialAcceptance,
  binomialPValue,
  chiSquarePValue,
  chiSquareQuantile,
  fitTestFor,
  gammaP,
  goodnessOfFit,
  logGamma,
  requiredSamples,
  splitPower,
} from '../../src/checks/stats.js';
import { draw, prng } from './helpers.js';

describe('special functions', () => {
  it('log-gamma matches factorials and Γ(1/2) = √π', () => {
    expect(Math.exp(logGamma(5))).toBeCloseTo(24, 10);
    expect(Math.exp(logGamma(11))).toBeCloseTo(3628800, 4);
    expect(Math.exp(logGamma(0.5))).toBeCloseTo(Math.sqrt(Math.PI), 12);
  });
  it('regularized gamma: P(1, x) = 1 − e^−x', () => {
    for (const x of [0.1, 1, 3, 10]) expect(gammaP(1, x)).toBeCloseTo(1 - Math.exp(-x), 12);
  });
  it('chi-square quantiles and p-values match published tables', () => {
    expect(chiSquareQuantile(0.95, 1)).toBeCloseTo(3.841, 3);
    expect(chiSquareQuantile(0.999, 1)).toBeCloseTo(10.828, 3);
    expect(chiSquareQuantile(0.999, 2)).toBeCloseTo(13.816, 3);
    expect(chiSquareQuantile(0.99, 5)).toBeCloseTo(15.086, 3);
    expect(chiSquarePValue(18.307, 10)).toBeCloseTo(0.05, 4);
    expect(chiSquarePValue(0, 3)).toBe(1);
  });
  it('exact binomial p-values', () => {
    // P(X ≤ 1) + P(X ≥ 9) for Binomial(10, 0.5) = 22/1024
    expect(binomialPValue(1, 10, 0.5)).toBeCloseTo(22 / 1024, 12);
    expect(binomialPValue(5, 10, 0.5)).toBeCloseTo(1, 12);
    expect(binomialPValue(0, 10, 0)).toBe(1);
    expect(binomialPValue(1, 10, 0)).toBe(0);
    expect(binomialAcceptance(100, 0.5, 0.999)).toEqual({ lo: 34, hi: 66 });
  });
});

describe('sample sizes', () => {
  it('grows with confidence and shrinks with tolerance', () => {
    const base = requiredSamples(0.15, 0.999, { shares: [0.8, 0.2] }).n;
    expect(requiredSamples(0.15, 0.99, { shares: [0.8, 0.2] }).n).toBeLessThan(base);
    expect(requiredSamples(0.1, 0.999, { shares: [0.8, 0.2] }).n).toBeGreaterThan(base);
  });
  it('reaches the stated power at n and not at n − 1', () => {
    for (const shares of [[0.5, 0.5], [0.8, 0.2], [0.75, 0.25], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.3, 0.2]]) {
      const { n, reason } = requiredSamples(0.15, 0.999, { shares, power: 0.95 });
      // At these shares the power, not the minimum expected count, decides n.
      expect(reason, `shares ${shares.join('/')}`).toBe('power');
      expect(splitPower(n, shares, 0.15, 0.999)).toBeGreaterThanOrEqual(0.95);
      expect(splitPower(n - 1, shares, 0.15, 0.999)).toBeLessThan(0.95);
      for (const p of shares) expect(n * p).toBeGreaterThanOrEqual(5);
    }
  });
  it('for 0%/100% splits sizes n to see a leak of `tolerance` with the power', () => {
    const { n } = requiredSamples(0.15, 0.999, { shares: [1, 0] });
    expect(n).toBe(19); // 0.85^19 = 0.046 ≤ 0.05 < 0.85^18
    expect(Math.pow(0.85, n)).toBeLessThanOrEqual(0.05);
  });
  it('is capped at the schema limit', () => {
    expect(requiredSamples(0.01, 0.99999, { shares: [0.5, 0.5], power: 0.999 })).toMatchObject({ n: 5000, capped: true });
  });
});

describe('goodness of fit', () => {
  it('passes a matching split and fails a wrong one, naming the statistic', () => {
    expect(goodnessOfFit({ old: 43, new: 157 }, { old: 0.2, new: 0.8 }, 0.999)).toMatchObject({ pass: true, test: 'chi-square', df: 1 });
    const bad = goodnessOfFit({ old: 100, new: 100 }, { old: 0.2, new: 0.8 }, 0.999);
    expect(bad.pass).toBe(false);
    expect(bad.reasons[0]).toMatch(/^X²=112\.50 exceeds 10\.83/);
  });
  it('0% and 100% are exact: one stray response fails', () => {
    expect(goodnessOfFit({ new: 20 }, { old: 0, new: 1 }, 0.999).pass).toBe(true);
    expect(goodnessOfFit({ new: 19, old: 1 }, { old: 0, new: 1 }, 0.999)).toMatchObject({ pass: false, reasons: ['old: expected no responses, got 1'] });
    expect(goodnessOfFit({ new: 19, '(unclassified)': 1 }, { new: 1 }, 0.999).pass).toBe(false);
  });
  it('unclassified responses count against a statistical split too', () => {
    expect(goodnessOfFit({ old: 100, new: 99, '(no response)': 1 }, { old: 0.5, new: 0.5 }, 0.999).pass).toBe(false);
  });
  it('uses exact binomial tests when expected counts are below 5', () => {
    expect(fitTestFor(10, { old: 0.2, new: 0.8 })).toBe('binomial');
    expect(fitTestFor(25, { old: 0.2, new: 0.8 })).toBe('chi-square');
    expect(goodnessOfFit({ old: 2, new: 8 }, { old: 0.2, new: 0.8 }, 0.999)).toMatchObject({ pass: true, test: 'binomial' });
    expect(goodnessOfFit({ old: 10, new: 0 }, { old: 0.2, new: 0.8 }, 0.999).pass).toBe(false);
  });
  it('fails on an empty sample', () => {
    expect(goodnessOfFit({}, { a: 0.5, b: 0.5 }, 0.999)).toMatchObject({ pass: false, reasons: ['no responses to judge'] });
  });
});

/** Counts of n independent requests, each landing in a class with the true shares. */
function simulate(truth: Record<string, number>, n: number, rand: () => number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const c = draw(truth, rand());
    counts[c] = (counts[c] ?? 0) + 1;
  }
  return counts;
}

function passRate(expected: Record<string, number>, truth: Record<string, number>, trials: number, seed: number, opts: { tolerance?: number; confidence?: number } = {}) {
  const confidence = opts.confidence ?? 0.999;
  const { n } = requiredSamples(opts.tolerance ?? 0.15, confidence, { shares: Object.values(expected) });
  const rand = prng(seed);
  let passes = 0;
  for (let t = 0; t < trials; t++) if (goodnessOfFit(simulate(truth, n, rand), expected, confidence).pass) passes++;
  return { rate: passes / trials, n };
}

describe('the test does what it says (seeded simulations, 2000 trials each)', () => {
  it('a correct 80/20 split passes at about the confidence level', () => {
    const { rate, n } = passRate({ old: 0.8, new: 0.2 }, { old: 0.8, new: 0.2 }, 2000, 1);
    expect(n).toBe(196);
    expect(rate).toBeGreaterThanOrEqual(0.99);
  });
  it('a correct three-way split passes at about the confidence level', () => {
    expect(passRate({ a: 0.5, b: 0.3, c: 0.2 }, { a: 0.5, b: 0.3, c: 0.2 }, 2000, 2).rate).toBeGreaterThanOrEqual(0.99);
  });
  it('a 50/50 split is rejected when 80/20 is expected', () => {
    expect(passRate({ old: 0.8, new: 0.2 }, { old: 0.5, new: 0.5 }, 2000, 3).rate).toBeLessThanOrEqual(0.01);
  });
  it('a split off by exactly the tolerance, either way, is rejected with the stated power (95%)', () => {
    // 2000 trials: a true rejection rate of 95% gives ≥ 93.5% with probability > 0.999.
    expect(1 - passRate({ old: 0.8, new: 0.2 }, { old: 0.65, new: 0.35 }, 2000, 4).rate).toBeGreaterThan(0.935);
    expect(1 - passRate({ old: 0.8, new: 0.2 }, { old: 0.95, new: 0.05 }, 2000, 7).rate).toBeGreaterThan(0.935);
    expect(1 - passRate({ a: 0.5, b: 0.3, c: 0.2 }, { a: 0.5, b: 0.15, c: 0.35 }, 2000, 8).rate).toBeGreaterThan(0.935);
  });
  it('100% is exact: a true 100% always passes, a 15% leak is caught with the stated power', () => {
    expect(passRate({ old: 0, new: 1 }, { new: 1 }, 2000, 5).rate).toBe(1);
    expect(1 - passRate({ old: 0, new: 1 }, { old: 0.15, new: 0.85 }, 2000, 6).rate).toBeGreaterThan(0.93);
  });
});
