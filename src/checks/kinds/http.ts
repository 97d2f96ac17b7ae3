/**
 * http: one request from a vantage point returns the expected status, headers, body or JSON
 * fields (and within a time, if asked). Retried with backoff until the deadline, since what it
 * checks (a route, a gateway, a fault) usually takes a moment to be programmed.
 */
import { parseDuration } from '../../core/duration.js';
import type { CheckSpecOf } from '../../model/check-schema.js';
import type { CheckImplementation } from '../types.js';
import { excerpt, ms, regex } from '../format.js';
import { partialMatch, formatDifference, show } from '../partial-match.js';
import { lookupPath } from '../paths.js';
import { describeRequest, gotResponse, reproduce, sample } from '../request.js';
import { describeSample, type Sample } from '../sampler.js';

type Spec = CheckSpecOf<'http'>;
type Expect = Spec['expect'];

export function describeExpect(e: Expect): string {
  const parts: string[] = [];
  if (e.status !== undefined) parts.push(`HTTP ${Array.isArray(e.status) ? e.status.join(' or ') : e.status}`);
  if (e.body !== undefined) parts.push(`body matching /${e.body}/`);
  if (e.bodyNot !== undefined) parts.push(`body not matching /${e.bodyNot}/`);
  for (const [name, pattern] of Object.entries(e.headers ?? {})) parts.push(`header ${name} matching /${pattern}/`);
  for (const [path, value] of Object.entries(e.json ?? {})) parts.push(`JSON ${path || '(body)'} = ${show(value)}`);
  if (e.maxTime !== undefined) parts.push(`within ${e.maxTime}`);
  return parts.join(', ') || 'any response';
}

/** Every unmet expectation, one line each; empty when the response is as expected. */
export function responseProblems(s: Sample, e: Expect): { problems: string[]; json?: unknown } {
  if (!gotResponse(s)) return { problems: [describeSample(s)] };
  const problems: string[] = [];
  if (e.status !== undefined) {
    const ok = Array.isArray(e.status) ? e.status.includes(s.status) : e.status === s.status;
    if (!ok) problems.push(`status ${s.status}, expected ${Array.isArray(e.status) ? e.status.join(' or ') : e.status}`);
  }
  if (e.body !== undefined && !regex(e.body, 'expect.body').test(s.body)) problems.push(`body does not match /${e.body}/`);
  if (e.bodyNot !== undefined && regex(e.bodyNot, 'expect.bodyNot').test(s.body)) problems.push(`body matches /${e.bodyNot}/`);
  for (const [name, pattern] of Object.entries(e.headers ?? {})) {
    const value = s.headers[name.toLowerCase()];
    if (value === undefined) problems.push(`no ${name} header`);
    else if (!regex(pattern, `expect.headers.${name}`).test(value)) problems.push(`header ${name}: "${excerpt(value, 80)}" does not match /${pattern}/`);
  }
  if (e.maxTime !== undefined && s.timeMs > parseDuration(e.maxTime)) problems.push(`took ${ms(s.timeMs)}, more than ${e.maxTime}`);
  let json: unknown;
  if (e.json && Object.keys(e.json).length) {
    try {
      json = JSON.parse(s.body);
    } catch {
      problems.push('body is not JSON');
      return { problems };
    }
    for (const [path, want] of Object.entries(e.json)) {
      const got = path === '' ? { found: true, value: json } : lookupPath(json, path);
      problems.push(...partialMatch(want, got.found ? got.value : undefined, path).map(formatDifference));
    }
  } else {
    try {
      json = /^\s*[[{]/.test(s.body) ? JSON.parse(s.body) : undefined;
    } catch {
      json = undefined;
    }
  }
  return { problems, ...(json !== undefined ? { json } : {}) };
}

const http: CheckImplementation<'http'> = {
  kind: 'http',
  defaultTimeoutMs: 60_000,
  strategy: 'poll',
  describe: (spec) => describeRequest(spec),
  async attempt(spec, ctx, signal) {
    const run = await sample(spec, ctx, 1, signal);
    const s = run.samples[0] as Sample;
    const { problems, json } = responseProblems(s, spec.expect);
    const found = gotResponse(s) ? `${describeSample(s)}${problems.length && s.body ? `; body: "${excerpt(s.body, 160)}"` : ''}` : describeSample(s);
    return {
      ok: problems.length === 0,
      title: `${describeRequest(spec)} from ${run.vantage.label}`,
      expected: describeExpect(spec.expect),
      found,
      ...(problems.length ? { details: problems } : {}),
      hint: `try: ${reproduce(run.vantage, run.request)}`,
      data: { status: s.status, timeMs: s.timeMs, headers: s.headers, body: s.body, ...(json !== undefined ? { json } : {}) },
    };
  },
};
export default http;
