/**
 * How many attempts a statistical check makes, and what that does to its power.
 *
 * A check of a sample kind (traffic, latency, errors, load) makes up to `attempts` attempts, each a
 * fresh sample, and passes once `consecutive` attempts in a row pass. A retry absorbs
 * configuration that was not yet in effect at the first attempt, but it is also a second chance
 * for a wrong split to pass: at 95 % power per attempt, two attempts let a split that is off by the
 * tolerance through with probability 1 − 0.95² ≈ 9.75 %, so the check as a whole has about 90 %.
 *
 * So the power a lab states is the power of the whole check, and each attempt is sized for it.
 * Attempts are independent samples. With `consecutive: 1` a wrong split passes if any attempt
 * accepts it, so the check's power is exactly power₁^attempts and each attempt needs
 * power^(1/attempts) (97.5 % for two). With `consecutive: c > 1` a wrong split passes only if some
 * run of c attempts all accept it; there are (attempts − c + 1) such runs, so by the union bound
 * P(wrong passes) ≤ (attempts − c + 1) · q^c for a per-attempt acceptance q, and each attempt is
 * sized for the q that makes this bound 1 − power. A correct split fails only if no run passes,
 * which is at most as likely as one attempt failing for `consecutive: 1` (retries never raise the
 * false-failure rate above 1 − confidence), and at most c · (1 − confidence) otherwise.
 */
import type { CheckSpec, CommonCheckOptions } from '../model/check-schema.js';
import type { AttemptPlan } from './types.js';
import { binomialAcceptance, binomialPmf, goodnessOfFit, requiredSamples, splitPower } from './stats.js';

/** Attempts of sample kinds when the check does not set `attempts`: the passes needed, plus one retry. */
export const sampleRetries = 1;

export function attemptPlan(options: Pick<CommonCheckOptions, 'attempts' | 'consecutive'>, strategy: 'watch' | 'poll' | 'sample'): AttemptPlan {
  const consecutive = options.consecutive ?? 1;
  return { consecutive, attempts: options.attempts ?? (strategy === 'sample' ? consecutive + sampleRetries : Infinity) };
}

/** Number of runs of `consecutive` attempts in a row that could let a wrong result pass. */
function passingRuns(plan: AttemptPlan): number {
  return Math.max(1, plan.attempts - plan.consecutive + 1);
}

/** The power each attempt needs for the whole check to reach `power` (see the module comment). */
export function perAttemptPower(power: number, plan: AttemptPlan): number {
  if (!Number.isFinite(plan.attempts)) return power;
  if (plan.consecutive <= 1) return Math.pow(power, 1 / plan.attempts);
  const q = Math.pow((1 - power) / passingRuns(plan), 1 / plan.consecutive);
  return 1 - q;
}

/** The whole check's power from one attempt's (the inverse of perAttemptPower, as a lower bound). */
export function checkPower(attemptPower: number, plan: AttemptPlan): number {
  if (!Number.isFinite(plan.attempts)) return attemptPower;
  if (plan.consecutive <= 1) return Math.pow(attemptPower, plan.attempts);
  return Math.max(0, 1 - passingRuns(plan) * Math.pow(1 - attemptPower, plan.consecutive));
}

/** The deviation a share check is judged against when a lab asks whether its `requests` can fail. */
export const shareLintTolerance = 0.15;

/**
 * Power of a two-sided binomial share test at n against a share off by `tolerance` in the harder
 * direction (the chance one attempt rejects it).
 */
export function sharePower(n: number, p: number, tolerance: number, confidence: number): number {
  if (p <= 0 || p >= 1) return 1 - Math.pow(1 - tolerance, n);
  const { lo, hi } = binomialAcceptance(n, p, confidence);
  let worst = 1;
  for (const alt of [p - tolerance, p + tolerance]) {
    if (alt <= 0 || alt >= 1) continue;
    const pmf = binomialPmf(n, alt);
    let reject = 0;
    for (let k = 0; k <= n; k++) if (k < lo || k > hi) reject += pmf[k] as number;
    worst = Math.min(worst, reject);
  }
  return worst;
}

/** The smallest n (up to max) at which the whole check reaches `power` against a share off by `tolerance`. */
function shareSamplesNeeded(p: number, tolerance: number, confidence: number, power: number, plan: AttemptPlan, max: number): number | undefined {
  const target = perAttemptPower(power, plan);
  for (let n = 1; n <= max; n = n < 50 ? n + 1 : Math.ceil(n * 1.05)) {
    if (sharePower(n, p, tolerance, confidence) >= target) return n;
  }
  return undefined;
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

/**
 * A warning for a statistical check whose explicit `requests` can never (or hardly ever) fail it,
 * naming the n it would need; undefined when the sample is big enough or the kind is not statistical.
 */
export function sampleSizeWarning(check: CheckSpec): string | undefined {
  const plan = attemptPlan(check.options, 'sample');
  const runs = plan.attempts > 1 ? ` over the check's ${plan.attempts} attempts` : '';
  if (check.kind === 'traffic') {
    const spec = check.spec;
    if (spec.requests === undefined) return undefined;
    const shares = Object.values(spec.expect);
    const power = checkPower(splitPower(spec.requests, shares, spec.tolerance, spec.confidence), plan);
    if (power >= spec.power) return undefined;
    const need = requiredSamples(spec.tolerance, spec.confidence, { shares, power: perAttemptPower(spec.power, plan) });
    const never = neverFails(spec.requests, shares, spec.confidence);
    const what = never ? `accepts every count (${never})` : `detects a split off by ${pct(spec.tolerance)} with only ${pct(power)} probability${runs}`;
    return `traffic check with requests: ${spec.requests} ${what}; it needs ${need.capped ? 'more than' : 'at least'} ${need.n} requests for ${pct(spec.power)} power at tolerance ${pct(spec.tolerance)} (or drop requests: and let kindlab compute n)`;
  }
  const shareChecks: Array<{ label: string; n: number; p: number; confidence: number }> = [];
  if (check.kind === 'latency' && typeof check.spec.slowShare === 'number') shareChecks.push({ label: 'slowShare', n: check.spec.requests, p: check.spec.slowShare, confidence: check.spec.confidence });
  if (check.kind === 'errors' && typeof check.spec.share === 'number') shareChecks.push({ label: 'share', n: check.spec.requests, p: check.spec.share, confidence: check.spec.confidence });
  if (check.kind === 'load') {
    for (const [code, s] of Object.entries(check.spec.codeShares ?? {})) {
      if (typeof s === 'number') shareChecks.push({ label: `codeShares ${code}`, n: check.spec.requests, p: s, confidence: check.spec.confidence });
    }
  }
  for (const s of shareChecks) {
    if (s.p <= 0 || s.p >= 1) continue;
    const { lo, hi } = binomialAcceptance(s.n, s.p, s.confidence);
    const power = checkPower(sharePower(s.n, s.p, shareLintTolerance, s.confidence), plan);
    if (lo > 0 || hi < s.n) {
      if (power >= 0.5) continue;
    }
    const need = shareSamplesNeeded(s.p, shareLintTolerance, s.confidence, 0.95, plan, 5000);
    const what = lo === 0 && hi === s.n ? `accepts every count 0–${s.n} of ${s.n}` : `detects a share off by ${pct(shareLintTolerance)} with only ${pct(power)} probability${runs}`;
    return `${check.kind} check: ${s.label} ${pct(s.p)} with requests: ${s.n} ${what}; ${need ? `at least ${need} requests` : 'more than 5000 requests'} give 95% power against a share off by ${pct(shareLintTolerance)}`;
  }
  return undefined;
}

/**
 * "0–10 of 10" when the split test at n accepts every count of a two-class split (the test it would
 * really use: chi-square or exact binomial, see goodnessOfFit), so no observed split can fail it.
 */
function neverFails(n: number, shares: number[], confidence: number): string | undefined {
  const partial = shares.filter((p) => p > 0 && p < 1);
  if (partial.length !== 2 || n > 1000) return undefined;
  const expected = { a: partial[0] as number, b: partial[1] as number };
  for (let k = 0; k <= n; k++) if (!goodnessOfFit({ a: k, b: n - k }, expected, confidence).pass) return undefined;
  return `0–${n} of ${n}`;
}
