/**
 * envoyStat: a counter or gauge of a pod's sidecar, read from the Envoy admin endpoint through
 * `pilot-agent request GET stats` in the istio-proxy container (the admin port listens on
 * localhost only). An exact name reads one stat; a /regex/ sums every matching stat.
 */
import type { CheckSpecOf } from '../../model/check-schema.js';
import type { CheckImplementation } from '../types.js';
import { compare, describeComparison } from '../compare.js';
import { excerpt, plural } from '../format.js';
import { asRegex } from '../partial-match.js';
import { execAt, findPod } from '../vantage.js';

type Spec = CheckSpecOf<'envoyStat'>;

/** Numeric stats from Envoy's text format (`name: value`); histogram lines are skipped. */
export function parseEnvoyStats(text: string): Map<string, number> {
  const stats = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\S.*?): (-?\d+(?:\.\d+)?)\s*$/.exec(line);
    if (m) stats.set(m[1] as string, Number(m[2]));
  }
  return stats;
}

export function selectStats(stats: Map<string, number>, stat: string): Array<[string, number]> {
  const re = asRegex(stat);
  return [...stats].filter(([name]) => (re ? re.test(name) : name === stat));
}

const envoyStat: CheckImplementation<'envoyStat'> = {
  kind: 'envoyStat',
  defaultTimeoutMs: 60_000,
  strategy: 'poll',
  describe: (spec: Spec) => `Envoy stat ${spec.stat} ${describeComparison(spec.expect)}`,
  async attempt(spec, ctx, signal) {
    const { pod, container } = await findPod(ctx, { ...spec.pod, container: spec.pod.container ?? 'istio-proxy' });
    const name = pod.metadata.name;
    const vantage = { type: 'pod' as const, namespace: spec.pod.namespace, name, ...(container ? { container } : {}), label: `pod ${spec.pod.namespace}/${name}` };
    const r = await execAt(vantage, ['pilot-agent', 'request', 'GET', 'stats'], ctx, { signal });
    if (r.exitCode !== 0) throw new Error(`pilot-agent request GET stats in ${spec.pod.namespace}/${name} (${container}) exited with ${r.exitCode}: ${excerpt(r.stderr || r.stdout, 300)}`);
    const stats = parseEnvoyStats(r.stdout);
    const matched = selectStats(stats, spec.stat);
    const value = matched.reduce((sum, [, v]) => sum + v, 0);
    const title = `Envoy stat ${spec.stat} of ${spec.pod.namespace}/${name}`;
    const expected = `${asRegex(spec.stat) ? 'sum of matching stats' : 'value'} ${describeComparison(spec.expect)}`;
    const hint = `kubectl exec -n ${spec.pod.namespace} ${name} -c ${container ?? 'istio-proxy'} -- pilot-agent request GET stats | grep '${spec.stat.replace(/^\/|\/[a-z]*$/g, '')}'`;
    if (matched.length === 0) {
      return { ok: false, title, expected, found: `no stat ${asRegex(spec.stat) ? 'matches' : 'named'} ${spec.stat} among ${plural(stats.size, 'stat')}`, hint, data: { value: null, stats: {} } };
    }
    const found = matched.length === 1 ? `${matched[0]?.[0]} = ${value}` : `sum of ${matched.length} stats = ${value}`;
    return {
      ok: compare(value, spec.expect),
      title,
      expected,
      found,
      ...(matched.length > 1 ? { details: matched.slice(0, 10).map(([k, v]) => `${k}: ${v}`) } : {}),
      hint,
      data: { value, stats: Object.fromEntries(matched) },
    };
  },
};
export default envoyStat;
