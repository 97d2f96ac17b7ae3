/**
 * load: runs fortio in a pod (`fortio load -c <connections> -qps <qps> -n <requests>`) and asserts
 * on the status code counts of its summary ("Code 503 : 63 (63.0 %)"; code -1 is a socket error).
 * The circuit-breaking lab's evidence: with one connection every call succeeds, with three a share
 * are answered 503 by the client sidecar.
 */
import type { CheckSpecOf } from '../../model/check-schema.js';
import type { CheckImplementation } from '../types.js';
import { compare, describeComparison } from '../compare.js';
import { excerpt, percent } from '../format.js';
import { describeShare, judgeShare, shareNote } from '../share.js';
import { execAt, findPod } from '../vantage.js';

type Spec = CheckSpecOf<'load'>;

export interface FortioResult {
  /** Calls counted from the `Code N : count` lines. */
  calls: number;
  /** Calls fortio's closing `All done N calls` line reports (absent when the output stops before it). */
  done?: number;
  codes: Record<string, number>;
  qps?: number;
  avgMs?: number;
}

export function parseFortio(output: string): FortioResult | undefined {
  const codes: Record<string, number> = {};
  for (const m of output.matchAll(/^Code\s+(-?\d+)\s*:\s*(\d+)/gm)) codes[m[1] as string] = (codes[m[1] as string] ?? 0) + Number(m[2]);
  if (!Object.keys(codes).length) return undefined;
  const result: FortioResult = { calls: Object.values(codes).reduce((a, b) => a + b, 0), codes };
  const total = /All done (\d+) calls/.exec(output);
  if (total) result.done = Number(total[1]);
  const done = /All done (\d+) calls.*?([\d.]+) ms avg, ([\d.]+) qps/.exec(output);
  if (done) {
    result.avgMs = Number(done[2]);
    result.qps = Number(done[3]);
  }
  return result;
}

/**
 * Why fortio's output cannot be counted, if it cannot: a summary cut short (the exec stream ended,
 * fortio was killed) would otherwise be judged as if the missing calls never happened.
 */
export function incompleteFortio(result: FortioResult): string | undefined {
  if (result.done === undefined) return `fortio's output ends before its "All done N calls" summary (${result.calls} calls counted): it was cut short`;
  if (result.done !== result.calls) return `fortio's Code lines add up to ${result.calls} calls but its summary says ${result.done}: the output was cut short`;
  return undefined;
}

function expectedText(spec: Spec, n: number): string {
  const parts: string[] = [];
  for (const [code, c] of Object.entries(spec.codes ?? {})) parts.push(`code ${code} count ${describeComparison(c)}`);
  for (const [code, s] of Object.entries(spec.codeShares ?? {})) parts.push(`code ${code} share ${describeShare(s, n, spec.confidence)}`);
  return parts.join('; ') || 'fortio completes';
}

const load: CheckImplementation<'load'> = {
  kind: 'load',
  defaultTimeoutMs: 180_000,
  strategy: 'sample',
  describe: (spec: Spec) => `fortio load -c ${spec.connections} -n ${spec.requests} ${spec.url}`,
  async attempt(spec, ctx, signal) {
    const { pod, container } = await findPod(ctx, spec.pod);
    const name = pod.metadata.name;
    const argv = ['fortio', 'load', '-c', String(spec.connections), '-qps', String(spec.qps), '-n', String(spec.requests), '-loglevel', 'Warning', spec.url];
    const vantage = { type: 'pod' as const, namespace: spec.pod.namespace, name, ...(container ? { container } : {}), label: `pod ${spec.pod.namespace}/${name}` };
    const r = await execAt(vantage, argv, ctx, { signal });
    const output = `${r.stdout}\n${r.stderr}`;
    const result = parseFortio(output);
    const hint = `kubectl exec -n ${spec.pod.namespace} ${name}${container ? ` -c ${container}` : ''} -- ${argv.join(' ')}`;
    if (!result) {
      throw new Error(`fortio printed no status codes (exit ${r.exitCode}${r.exitCode === 126 || r.exitCode === 127 ? ': is fortio in this container?' : ''}): ${excerpt(output, 300)}`);
    }
    const incomplete = incompleteFortio(result);
    if (incomplete) throw new Error(`${incomplete} (exit ${r.exitCode}); run it by hand: ${hint}`);
    const problems: string[] = [];
    for (const [code, c] of Object.entries(spec.codes ?? {})) {
      const count = result.codes[code] ?? 0;
      if (!compare(count, c)) problems.push(`code ${code}: ${count} calls, expected ${describeComparison(c)}`);
    }
    const notes: string[] = [];
    for (const [code, s] of Object.entries(spec.codeShares ?? {})) {
      const count = result.codes[code] ?? 0;
      const v = judgeShare(count, result.calls, s, spec.confidence);
      notes.push(`code ${code}: ${count} of ${result.calls} (${percent(count / result.calls)})${shareNote(v)}`);
      if (!v.pass) problems.push(`code ${code}: share ${percent(count / result.calls)}, expected ${v.expected}`);
    }
    const tally = Object.entries(result.codes)
      .map(([code, count]) => `${code}×${count}`)
      .join(', ');
    return {
      ok: problems.length === 0,
      title: `fortio load -c ${spec.connections} -n ${spec.requests} ${spec.url} from ${vantage.label}`,
      expected: expectedText(spec, result.calls),
      found: `${result.calls} calls: ${tally}${result.qps !== undefined ? `; ${result.qps} qps` : ''}`,
      ...(problems.length || notes.length ? { details: [...problems, ...notes] } : {}),
      hint,
      data: result,
    };
  },
};
export default load;
