/**
 * Judging one observed share (slow responses, errors, a fortio status code) against an expected
 * share: a number is tested with a two-sided exact binomial test at the check's confidence (0 and 1
 * exactly); {min, max} bounds are applied to the observed share as written.
 */
import { percent } from './format.js';
import { binomialAcceptance, binomialPValue, formatP } from './stats.js';

export type ShareSpec = number | { min?: number | undefined; max?: number | undefined };

export interface ShareVerdict {
  pass: boolean;
  /** "50% (binomial test at 99.9%: 34–66 of 100 pass)" */
  expected: string;
  pValue?: number;
}

export function describeShare(share: ShareSpec, n: number, confidence: number): string {
  if (typeof share === 'number') {
    if (share === 0) return 'none (exactly 0%)';
    if (share === 1) return 'all (exactly 100%)';
    const { lo, hi } = binomialAcceptance(n, share, confidence);
    return `about ${percent(share)} (two-sided binomial test at ${percent(confidence)} confidence: ${lo}–${hi} of ${n} pass)`;
  }
  if (share.min !== undefined && share.max !== undefined) return `between ${percent(share.min)} and ${percent(share.max)}`;
  if (share.min !== undefined) return `at least ${percent(share.min)}`;
  return `at most ${percent(share.max as number)}`;
}

export function judgeShare(count: number, n: number, share: ShareSpec, confidence: number): ShareVerdict {
  const expected = describeShare(share, n, confidence);
  if (n === 0) return { pass: false, expected };
  if (typeof share === 'number') {
    if (share === 0) return { pass: count === 0, expected };
    if (share === 1) return { pass: count === n, expected };
    const pValue = binomialPValue(count, n, share);
    return { pass: pValue >= 1 - confidence, expected, pValue };
  }
  const observed = count / n;
  const pass = (share.min === undefined || observed >= share.min - 1e-12) && (share.max === undefined || observed <= share.max + 1e-12);
  return { pass, expected };
}

export function shareNote(v: ShareVerdict): string {
  return v.pValue === undefined ? '' : ` (p=${formatP(v.pValue)})`;
}
