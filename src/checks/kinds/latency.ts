/**
 * latency: the share of requests slower than a threshold (curl's time_total; a request that hit
 * the per-request timeout counts as slow). Judged like a share: a number by a two-sided exact
 * binomial test, bounds as written. Requests that failed otherwise are left out and reported.
 */
import { parseDuration } from '../../core/duration.js';
import type { CheckSpecOf } from '../../model/check-schema.js';
import type { CheckImplementation } from '../types.js';
import { ms, percent, plural } from '../format.js';
import { describeRequest, gotResponse, reproduce, sample } from '../request.js';
import { describeShare, judgeShare, shareNote } from '../share.js';

type Spec = CheckSpecOf<'latency'>;

/** curl's exit code for "operation timed out". */
const curlTimedOut = 28;

function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

const latency: CheckImplementation<'latency'> = {
  kind: 'latency',
  defaultTimeoutMs: 120_000,
  strategy: 'sample',
  describe: (spec: Spec) => `latency of ${describeRequest(spec)} (slower than ${spec.threshold})`,
  async attempt(spec, ctx, signal) {
    const threshold = parseDuration(spec.threshold);
    const run = await sample(spec, ctx, spec.requests, signal);
    const judged = run.samples.filter((s) => gotResponse(s) || s.curlExit === curlTimedOut);
    const failed = run.samples.length - judged.length;
    const slow = judged.filter((s) => s.curlExit === curlTimedOut || s.timeMs > threshold);
    const timedOut = judged.filter((s) => s.curlExit === curlTimedOut).length;
    const n = judged.length;
    const verdict = judgeShare(slow.length, n, spec.slowShare, spec.confidence);
    const times = judged.map((s) => s.timeMs).sort((a, b) => a - b);
    const stats = n ? `median ${ms(quantile(times, 0.5))}, p90 ${ms(quantile(times, 0.9))}, max ${ms(times.at(-1) as number)}` : 'no responses';
    const details = [`times: ${stats}`];
    if (timedOut) details.push(`${plural(timedOut, 'request')} hit the ${spec.requestTimeout} request timeout (counted as slow)`);
    if (failed) details.push(`${plural(failed, 'request')} got no response and ${failed === 1 ? 'is' : 'are'} not counted`);
    if (parseDuration(spec.requestTimeout) <= threshold) details.push(`requestTimeout ${spec.requestTimeout} is not above the threshold: raise it to measure slow responses`);
    return {
      ok: verdict.pass,
      title: `latency of ${describeRequest(spec)} from ${run.vantage.label}`,
      expected: `share slower than ${spec.threshold}: ${describeShare(spec.slowShare, n, spec.confidence)}`,
      found: `${slow.length} of ${n} slower than ${spec.threshold} (${percent(n ? slow.length / n : NaN)})${shareNote(verdict)}; ${stats}`,
      details,
      hint: `time one request: ${reproduce(run.vantage, run.request)} -w '%{time_total}\\n'`,
      data: {
        n,
        slow: slow.length,
        share: n ? slow.length / n : null,
        failed,
        medianMs: quantile(times, 0.5),
        p90Ms: quantile(times, 0.9),
        maxMs: times.at(-1) ?? null,
        timesMs: run.samples.map((s) => s.timeMs),
      },
    };
  },
};
export default latency;
