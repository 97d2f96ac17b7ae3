/**
 * traffic: N independent requests (a fresh connection each), each put in a class; the observed
 * shares must agree with the expected ones by a chi-square goodness-of-fit test (exact binomial
 * tests for small samples, exact rules for 0% and 100%) — see src/checks/stats.ts.
 */
import type { CheckSpecOf } from '../../model/check-schema.js';
import type { AttemptPlan, CheckImplementation } from '../types.js';
import { perAttemptPower } from '../sample-plan.js';
import { excerpt, percent, table } from '../format.js';
import { makeClassifier, noResponse, unclassified } from '../classify.js';
import { describeRequest, reproduce, sample } from '../request.js';
import { describeSample } from '../sampler.js';
import { fitTestFor, formatP, goodnessOfFit, requiredSamples, type FitResult } from '../stats.js';

type Spec = CheckSpecOf<'traffic'>;

/**
 * Requests per attempt: the lab's `requests`, or the n at which the whole check (every attempt it
 * may make, see sample-plan.ts) detects a share off by `tolerance` with the stated power.
 */
export function sampleSize(spec: Spec, plan: AttemptPlan = { attempts: 1, consecutive: 1 }): { n: number; computed: boolean; capped: boolean; attemptPower: number } {
  const attemptPower = perAttemptPower(spec.power, plan);
  if (spec.requests !== undefined) return { n: spec.requests, computed: false, capped: false, attemptPower };
  const size = requiredSamples(spec.tolerance, spec.confidence, { shares: Object.values(spec.expect), power: attemptPower });
  return { n: size.n, computed: true, capped: size.capped, attemptPower };
}

const testNames = {
  'chi-square': 'chi-square goodness-of-fit',
  binomial: 'exact binomial test per class, Bonferroni-corrected',
  exact: 'exact',
} as const;

export function expectedText(spec: Spec, n: number): string {
  const shares = Object.entries(spec.expect)
    .map(([name, p]) => `${name} ${percent(p)}`)
    .join(' / ');
  const test = fitTestFor(n, spec.expect);
  const how = test === 'exact' ? `exact, n=${n}` : `${testNames[test]}, ${percent(spec.confidence)} confidence, n=${n}`;
  return `shares ${shares} (${how})`;
}

/** The observed table: class, expected share, count, observed share. */
export function shareTable(counts: Record<string, number>, expect: Record<string, number>, n: number): string[] {
  const rows = [['class', 'expected', 'observed', 'share']];
  const classes = [...Object.keys(expect), ...[unclassified, noResponse].filter((c) => (counts[c] ?? 0) > 0 && !(c in expect))];
  for (const c of classes) {
    const count = counts[c] ?? 0;
    rows.push([c, percent(expect[c] ?? 0), String(count), n ? percent(count / n) : '—']);
  }
  return table(rows);
}

export function verdictLine(fit: FitResult): string | undefined {
  if (fit.test === 'chi-square' && fit.statistic !== undefined) {
    return `X²=${fit.statistic.toFixed(2)} (df ${fit.df}), p=${formatP(fit.pValue as number)}; the split is rejected above X²=${(fit.critical as number).toFixed(2)}`;
  }
  if (fit.test === 'binomial' && fit.classPValues) {
    return `binomial p-values: ${Object.entries(fit.classPValues).map(([c, p]) => `${c} ${formatP(p)}`).join(', ')}`;
  }
  return undefined;
}

const traffic: CheckImplementation<'traffic'> = {
  kind: 'traffic',
  defaultTimeoutMs: 180_000,
  strategy: 'sample',
  describe: (spec) => `traffic split of ${describeRequest(spec)}`,
  async attempt(spec, ctx, signal) {
    const plan = ctx.attemptPlan ?? { attempts: 1, consecutive: 1 };
    const size = sampleSize(spec, plan);
    const classify = makeClassifier(spec.classify);
    const run = await sample(spec, ctx, size.n, signal);
    const counts: Record<string, number> = {};
    const strays = new Map<string, number>();
    for (const s of run.samples) {
      const c = classify(s);
      counts[c] = (counts[c] ?? 0) + 1;
      if (c === unclassified || c === noResponse) {
        const key = c === noResponse ? describeSample(s) : `HTTP ${s.status} "${excerpt(s.body, 80)}"`;
        strays.set(key, (strays.get(key) ?? 0) + 1);
      }
    }
    const n = run.samples.length;
    const fit = goodnessOfFit(counts, spec.expect, spec.confidence);
    const shares = Object.fromEntries(Object.entries(counts).map(([c, k]) => [c, k / n]));

    const found = [...Object.keys(spec.expect), unclassified, noResponse]
      .filter((c) => c in spec.expect || (counts[c] ?? 0) > 0)
      .map((c) => `${c} ${percent((counts[c] ?? 0) / n)} (${counts[c] ?? 0})`)
      .join(' / ');
    const details = [...shareTable(counts, spec.expect, n)];
    const verdict = verdictLine(fit);
    if (verdict) details.push(verdict);
    details.push(...fit.reasons.filter((r) => !verdict || !r.startsWith('X²')));
    if (strays.size) details.push(...[...strays].slice(0, 3).map(([what, k]) => `${k}× ${what}`));
    if (size.computed) {
      const over = plan.attempts > 1 && Number.isFinite(plan.attempts) ? ` over the check's ${plan.attempts} attempts (${percent(size.attemptPower)} per attempt)` : '';
      details.push(`n=${n} chosen to detect a share off by ${percent(spec.tolerance)} with ${percent(spec.power)} power${over}${size.capped ? ' (capped at 5000; that power is not reached)' : ''}`);
    }
    return {
      ok: fit.pass,
      title: `traffic split of ${describeRequest(spec)} from ${run.vantage.label}`,
      expected: expectedText(spec, n),
      found,
      details,
      hint: `compare the weights (or replica counts) with the expected split; a few requests by hand: ${reproduce(run.vantage, run.request)}`,
      data: {
        n,
        counts,
        shares,
        test: fit.test,
        ...(fit.statistic !== undefined ? { statistic: fit.statistic } : {}),
        ...(fit.pValue !== undefined ? { pValue: fit.pValue } : {}),
      },
    };
  },
};
export default traffic;
