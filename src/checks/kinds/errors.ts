/**
 * errors: the share of responses that are errors — a status in `codes` (and a body matching `body`
 * when given) — judged like a share. Requests without a response count as errors too (a client
 * would see one), unless a body pattern is given, which only a response can match.
 */
import type { CheckSpecOf } from '../../model/check-schema.js';
import type { CheckImplementation } from '../types.js';
import { percent, regex } from '../format.js';
import { describeRequest, gotResponse, reproduce, sample, statusTally } from '../request.js';
import type { Sample } from '../sampler.js';
import { describeShare, judgeShare, shareNote } from '../share.js';

type Spec = CheckSpecOf<'errors'>;

export function isError(s: Sample, spec: Pick<Spec, 'codes' | 'body'>, bodyRe?: RegExp): boolean {
  if (!gotResponse(s)) return spec.body === undefined;
  if (!spec.codes.includes(s.status)) return false;
  return bodyRe ? bodyRe.test(s.body) : true;
}

function what(spec: Spec): string {
  return `status ${spec.codes.join('/')}${spec.body ? ` with body matching /${spec.body}/` : ' or no response'}`;
}

const errors: CheckImplementation<'errors'> = {
  kind: 'errors',
  defaultTimeoutMs: 120_000,
  strategy: 'sample',
  describe: (spec: Spec) => `error rate of ${describeRequest(spec)}`,
  async attempt(spec, ctx, signal) {
    const bodyRe = spec.body === undefined ? undefined : regex(spec.body, 'body');
    const run = await sample(spec, ctx, spec.requests, signal);
    const n = run.samples.length;
    const errorCount = run.samples.filter((s) => isError(s, spec, bodyRe)).length;
    const verdict = judgeShare(errorCount, n, spec.share, spec.confidence);
    const tally = statusTally(run.samples);
    return {
      ok: verdict.pass,
      title: `error rate of ${describeRequest(spec)} from ${run.vantage.label}`,
      expected: `share of errors (${what(spec)}): ${describeShare(spec.share, n, spec.confidence)}`,
      found: `${errorCount} of ${n} errors (${percent(n ? errorCount / n : NaN)})${shareNote(verdict)}; responses: ${tally.text}`,
      hint: `try: ${reproduce(run.vantage, run.request)}`,
      data: { n, errors: errorCount, share: n ? errorCount / n : null, statuses: tally.counts },
    };
  },
};
export default errors;
