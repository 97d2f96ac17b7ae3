/**
 * Statistics for checks that judge a sample of requests.
 *
 * Traffic splits are judged with Pearson's chi-square goodness-of-fit test: with counts O_i over
 * the classes expected at a share 0 < p_i < 1 and E_i = n·p_i, X² = Σ (O_i − E_i)² / E_i follows a
 * chi-square distribution with (classes − 1) degrees of freedom when the split is right, so the
 * check passes when P(χ² ≥ X²) ≥ 1 − confidence: a correct split fails with probability
 * 1 − confidence (0.1% at the default 99.9%). The approximation needs every E_i ≥ 5; with fewer
 * requests each class gets an exact two-sided binomial test instead, Bonferroni-corrected over the
 * classes (for two classes one test decides, since their counts determine each other).
 *
 * Shares of 0 and 1 are not statistical: a class expected at 0% must see no response at all, and
 * one expected at 100% must see every response. Responses in no class count as a class expected at 0.
 *
 * Sample sizes come from the power of the same test: n is (about) the smallest number of requests
 * for which every split whose shares are off by `tolerance` (one class gaining what another loses)
 * is rejected with probability at least `power`. The power is bounded from below exactly, without
 * large-sample approximations on the alternative: X² is the largest squared standardized contrast
 * of the counts, so X² ≥ z_a² = (O_a − n·p_a)² / (n·p_a·(1 − p_a)) for every class a, and the test
 * rejects at least whenever one class's count alone crosses the critical value. O_a is binomial
 * under any split, so that probability is an exact binomial tail. For two classes the bound is the
 * power itself.
 *
 * Numerics: log-gamma by the Lanczos approximation, regularized incomplete gamma by its series
 * (x < a + 1) or its continued fraction (modified Lentz), quantiles by bisection, binomial
 * probabilities by the ratio recurrence from the mode.
 */

// ---------------------------------------------------------------- special functions

const lanczos = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let sum = lanczos[0] as number;
  for (let i = 1; i < lanczos.length; i++) sum += (lanczos[i] as number) / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

const EPS = 1e-15;
const TINY = 1e-300;

/** Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  if (!Number.isFinite(x)) return 0;
  if (x < a + 1) return 1 - gammaSeries(a, x);
  return gammaContinuedFraction(a, x);
}

/** Regularized lower incomplete gamma P(a, x). */
export function gammaP(a: number, x: number): number {
  if (x <= 0) return 0;
  if (!Number.isFinite(x)) return 1;
  if (x < a + 1) return gammaSeries(a, x);
  return 1 - gammaContinuedFraction(a, x);
}

function gammaSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < 10_000; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPS) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
}

function gammaContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
}

// ---------------------------------------------------------------- chi-square

/** P(χ²_df ≤ x). */
export function chiSquareCdf(x: number, df: number): number {
  return gammaP(df / 2, x / 2);
}

/** P(χ²_df ≥ x): the p-value of a goodness-of-fit statistic x. */
export function chiSquarePValue(x: number, df: number): number {
  return gammaQ(df / 2, x / 2);
}

/** The x with P(χ²_df ≤ x) = p, e.g. chiSquareQuantile(0.999, 1) ≈ 10.83. */
export function chiSquareQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`probability ${p} is not between 0 and 1`);
  let lo = 0;
  let hi = Math.max(1, df);
  while (chiSquareCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (chiSquareCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

// ---------------------------------------------------------------- binomial

/** log P(X = k) for X ~ Binomial(n, p). */
export function binomialLogPmf(k: number, n: number, p: number): number {
  if (p <= 0) return k === 0 ? 0 : -Infinity;
  if (p >= 1) return k === n ? 0 : -Infinity;
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1) + k * Math.log(p) + (n - k) * Math.log1p(-p);
}

/**
 * P(X = k) for k = 0..n, X ~ Binomial(n, p): the mode's probability from log-gamma, the others by
 * the ratio P(k+1)/P(k) = (n−k)/(k+1) · p/(1−p), which is cheap and loses nothing that matters
 * (terms far in the tails underflow to 0).
 */
export function binomialPmf(n: number, p: number): Float64Array {
  const pmf = new Float64Array(n + 1);
  if (p <= 0) {
    pmf[0] = 1;
    return pmf;
  }
  if (p >= 1) {
    pmf[n] = 1;
    return pmf;
  }
  const mode = Math.min(n, Math.floor((n + 1) * p));
  pmf[mode] = Math.exp(binomialLogPmf(mode, n, p));
  const odds = p / (1 - p);
  for (let k = mode; k < n; k++) pmf[k + 1] = (pmf[k] as number) * ((n - k) / (k + 1)) * odds;
  for (let k = mode; k > 0; k--) pmf[k - 1] = (pmf[k] as number) * (k / (n - k + 1)) / odds;
  return pmf;
}

/**
 * Two-sided exact binomial p-value (the "small p-values" method of R's binom.test): the
 * probability, under share p, of an outcome no more likely than the one observed.
 */
export function binomialPValue(k: number, n: number, p: number): number {
  if (p <= 0) return k === 0 ? 1 : 0;
  if (p >= 1) return k === n ? 1 : 0;
  const pmf = binomialPmf(n, p);
  // A relative slack so that outcomes as likely as the observed one are not lost to rounding.
  const limit = (pmf[k] as number) * (1 + 1e-7);
  let total = 0;
  for (let i = 0; i <= n; i++) if ((pmf[i] as number) <= limit) total += pmf[i] as number;
  return Math.min(1, total);
}

/** The counts k in [lo, hi] that a two-sided binomial test at `confidence` accepts for share p. */
export function binomialAcceptance(n: number, p: number, confidence: number): { lo: number; hi: number } {
  if (p <= 0) return { lo: 0, hi: 0 };
  if (p >= 1) return { lo: n, hi: n };
  const alpha = 1 - confidence;
  const pmf = binomialPmf(n, p);
  // The p-value of k is the mass of all outcomes no more likely than k: walk outcomes from the
  // least likely up, and accept from the first whose p-value reaches alpha.
  const order = Array.from({ length: n + 1 }, (_, k) => k).sort((a, b) => (pmf[a] as number) - (pmf[b] as number));
  let running = 0;
  let lo = n;
  let hi = 0;
  let i = 0;
  while (i < order.length) {
    // Outcomes as likely as each other share one p-value.
    const level = (pmf[order[i] as number] as number) * (1 + 1e-7);
    let j = i;
    while (j < order.length && (pmf[order[j] as number] as number) <= level) running += pmf[order[j++] as number] as number;
    if (running >= alpha) {
      for (let t = i; t < j; t++) {
        lo = Math.min(lo, order[t] as number);
        hi = Math.max(hi, order[t] as number);
      }
    }
    i = j;
  }
  return { lo, hi };
}

// ---------------------------------------------------------------- goodness of fit

export type FitTest = 'chi-square' | 'binomial' | 'exact';

export interface FitResult {
  pass: boolean;
  /** The test that decided the statistical part ('exact' when every expected share is 0 or 1). */
  test: FitTest;
  n: number;
  /** Chi-square statistic, degrees of freedom, critical value and p-value (chi-square test). */
  statistic?: number;
  df?: number;
  critical?: number;
  pValue?: number;
  /** Per-class p-values (binomial test). */
  classPValues?: Record<string, number>;
  /** Why the test failed, one line per reason. */
  reasons: string[];
}

/** Chi-square needs every expected count to be at least this; below it the exact binomial test is used. */
export const minExpectedCount = 5;

/** The test goodnessOfFit will use for n requests, known before sampling (for the expected text). */
export function fitTestFor(n: number, expected: Record<string, number>): FitTest {
  const partial = Object.values(expected).filter((p) => p > 0 && p < 1);
  if (partial.length < 2) return 'exact';
  return partial.every((p) => n * p >= minExpectedCount) ? 'chi-square' : 'binomial';
}

/**
 * Judges observed counts against expected shares. `counts` may hold classes that `expected` does
 * not name (unclassified responses): they are expected at 0.
 */
export function goodnessOfFit(counts: Record<string, number>, expected: Record<string, number>, confidence: number): FitResult {
  const alpha = 1 - confidence;
  const classes = [...new Set([...Object.keys(expected), ...Object.keys(counts)])];
  const n = classes.reduce((sum, c) => sum + (counts[c] ?? 0), 0);
  const reasons: string[] = [];

  // Exact part: classes expected at 0 must be empty (this also makes a 100% class hold everything).
  for (const c of classes) {
    const p = expected[c] ?? 0;
    const o = counts[c] ?? 0;
    if (p === 0 && o > 0) reasons.push(`${c}: expected no responses, got ${o}`);
  }

  const partial = classes.filter((c) => (expected[c] ?? 0) > 0 && (expected[c] ?? 0) < 1);
  const test = fitTestFor(n, expected);
  const result: FitResult = { pass: false, test, n, reasons };
  if (n === 0) {
    reasons.push('no responses to judge');
    return result;
  }
  if (partial.length >= 2) {
    if (test === 'chi-square') {
      let statistic = 0;
      for (const c of partial) {
        const e = n * (expected[c] as number);
        const o = counts[c] ?? 0;
        statistic += ((o - e) * (o - e)) / e;
      }
      const df = partial.length - 1;
      result.statistic = statistic;
      result.df = df;
      result.critical = chiSquareQuantile(confidence, df);
      result.pValue = chiSquarePValue(statistic, df);
      if (result.pValue < alpha) {
        reasons.push(`X²=${statistic.toFixed(2)} exceeds ${result.critical.toFixed(2)} (p=${formatP(result.pValue)} < ${formatP(alpha)})`);
      }
    } else {
      // Two classes are one test (their counts determine each other); more get Bonferroni.
      const tested = partial.length === 2 ? partial.slice(0, 1) : partial;
      const level = alpha / tested.length;
      result.classPValues = {};
      for (const c of tested) {
        const pv = binomialPValue(counts[c] ?? 0, n, expected[c] as number);
        result.classPValues[c] = pv;
        if (pv < level) reasons.push(`${c}: ${counts[c] ?? 0} of ${n} is unlikely for ${(100 * (expected[c] as number)).toFixed(1)}% (p=${formatP(pv)} < ${formatP(level)})`);
      }
    }
  }
  result.pass = reasons.length === 0;
  return result;
}

export function formatP(p: number): string {
  if (p === 0) return '0';
  if (p < 0.0001) return p.toExponential(1);
  return String(Number(p.toPrecision(2)));
}

// ---------------------------------------------------------------- sample sizes

export interface SampleSizeOptions {
  /** Expected shares (default: two classes at 50%, the hardest two-class case). */
  shares?: number[];
  /** Probability of rejecting a split that is off by the tolerance (default 0.95). */
  power?: number;
  /** Upper bound on the result (default 5000, the schema's limit). */
  max?: number;
}

export interface SampleSize {
  n: number;
  /** True when the test would need more than `max` requests to reach the power. */
  capped: boolean;
  /** What decided n: the chi-square power, the minimum expected count, or seeing a leak into a 0% class. */
  reason: 'power' | 'expected-count' | 'exact';
}

/**
 * The number of requests needed to tell the expected shares from shares that are off by
 * `tolerance`, at the given confidence and power (see the module comment).
 */
export function requiredSamples(tolerance: number, confidence: number, opts: SampleSizeOptions = {}): SampleSize {
  const shares = opts.shares ?? [0.5, 0.5];
  const power = opts.power ?? 0.95;
  const max = opts.max ?? 5000;
  const partial = shares.filter((p) => p > 0 && p < 1);

  // Seeing at least one response in a class expected at 0 whose true share is `tolerance`:
  // P(no such response in n) = (1 − tolerance)^n ≤ 1 − power. Every sample has such a class
  // (unclassified responses), so this is a floor for every check.
  let n = Math.ceil(Math.log(1 - power) / Math.log(1 - tolerance));
  let reason: SampleSize['reason'] = 'exact';

  if (partial.length >= 2) {
    const critical = chiSquareQuantile(confidence, partial.length - 1);
    const reaches = (m: number) => splitPowerBound(m, partial, tolerance, critical) >= power;
    let hi = 2;
    while (!reaches(hi) && hi < max) hi = Math.min(max, hi * 2);
    if (reaches(hi)) {
      let lo = Math.floor(hi / 2);
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (reaches(mid)) hi = mid;
        else lo = mid;
      }
    } else hi = max + 1;
    if (hi > n) {
      n = hi;
      reason = 'power';
    }
    const forCounts = Math.ceil(minExpectedCount / Math.min(...partial));
    if (forCounts > n) {
      n = forCounts;
      reason = 'expected-count';
    }
  }
  return n > max ? { n: max, capped: true, reason } : { n, capped: false, reason };
}

/**
 * A lower bound on the chi-square test's power at n requests over the splits that are off by
 * `tolerance` (class a gains what class b loses; b must have it to give): for each such split, the
 * probability that class a's or class b's count alone crosses the critical value (see the module
 * comment), the smaller over all splits.
 */
function splitPowerBound(n: number, shares: number[], tolerance: number, critical: number): number {
  let worst = 1;
  for (let a = 0; a < shares.length; a++) {
    for (let b = 0; b < shares.length; b++) {
      if (a === b) continue;
      const pa = shares[a] as number;
      const pb = shares[b] as number;
      const delta = Math.min(tolerance, pb, 1 - pa);
      if (delta <= 0) continue;
      const power = Math.max(classRejection(n, pa, pa + delta, critical), classRejection(n, pb, pb - delta, critical));
      worst = Math.min(worst, power);
    }
  }
  return worst;
}

/** P((K − n·p0)² / (n·p0·(1 − p0)) > critical) for K ~ Binomial(n, p1). */
function classRejection(n: number, p0: number, p1: number, critical: number): number {
  const half = Math.sqrt(critical * n * p0 * (1 - p0));
  const lo = n * p0 - half;
  const hi = n * p0 + half;
  const pmf = binomialPmf(n, p1);
  let total = 0;
  for (let k = 0; k <= n; k++) if (k < lo || k > hi) total += pmf[k] as number;
  return Math.min(1, total);
}

/**
 * The lower bound on the power of the traffic test at n requests against splits off by
 * `tolerance` (for reports and tests); for 0%/100% splits, the chance of seeing a leak.
 */
export function splitPower(n: number, shares: number[], tolerance: number, confidence: number): number {
  const partial = shares.filter((p) => p > 0 && p < 1);
  if (partial.length < 2) return 1 - Math.pow(1 - tolerance, n);
  return splitPowerBound(n, partial, tolerance, chiSquareQuantile(confidence, partial.length - 1));
}
