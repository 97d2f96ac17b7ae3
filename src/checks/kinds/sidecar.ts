/**
 * sidecar: every pod of a workload (or selector, or namespace) has the Istio proxy — a container
 * named istio-proxy, or a native sidecar (an init container istio-proxy with restartPolicy Always,
 * Istio's form on Kubernetes ≥ 1.29) — or, with present: false, none has it. Optionally the
 * istio-init container adds the expected capabilities ([] = no istio-init, as with Istio CNI).
 */
import type { KubeObject } from '../../core/seams.js';
import type { CheckSpecOf } from '../../model/check-schema.js';
import type { AttemptOutcome, CheckContext, CheckImplementation } from '../types.js';
import { plural } from '../format.js';
import { workloadSelector } from '../vantage.js';
import { watchUntil } from '../watch-until.js';

type Spec = CheckSpecOf<'sidecar'>;

interface Container {
  name: string;
  restartPolicy?: string;
  securityContext?: { capabilities?: { add?: string[] } };
}

export type ProxyForm = 'container' | 'native' | null;

export function proxyForm(pod: KubeObject): ProxyForm {
  const spec = (pod.spec ?? {}) as { containers?: Container[]; initContainers?: Container[] };
  if ((spec.containers ?? []).some((c) => c.name === 'istio-proxy')) return 'container';
  if ((spec.initContainers ?? []).some((c) => c.name === 'istio-proxy' && c.restartPolicy === 'Always')) return 'native';
  return null;
}

function initCapabilities(pod: KubeObject): string[] | null {
  const init = ((pod.spec as { initContainers?: Container[] } | undefined)?.initContainers ?? []).find((c) => c.name === 'istio-init');
  return init ? [...(init.securityContext?.capabilities?.add ?? [])].sort() : null;
}

function scope(spec: Spec): string {
  return spec.workload ?? (spec.selector ? `pods matching ${spec.selector}` : 'pods');
}

function describe(spec: Spec): string {
  return `${scope(spec)} in ${spec.namespace} ${spec.present ? 'have' : 'have no'} the istio-proxy sidecar`;
}

async function evaluate(spec: Spec, ctx: CheckContext): Promise<AttemptOutcome> {
  const selector = spec.workload ? await workloadSelector(ctx, spec.namespace, spec.workload) : spec.selector;
  const pods = (await ctx.kube().list({ apiVersion: 'v1', kind: 'Pod', namespace: spec.namespace, ...(selector ? { labelSelector: selector } : {}) }))
    .filter((p) => !p.metadata.deletionTimestamp)
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const expectedParts = [spec.present ? 'every pod has istio-proxy (container or native sidecar)' : 'no pod has istio-proxy'];
  if (spec.initCapabilities) expectedParts.push(spec.initCapabilities.length ? `istio-init adds ${spec.initCapabilities.join(', ')}` : 'no istio-init container (CNI)');
  const expected = expectedParts.join('; ');
  const title = describe(spec);
  const hint = spec.present
    ? `kubectl get namespace ${spec.namespace} --show-labels (istio-injection=enabled?); pods created before labeling need kubectl rollout restart`
    : `kubectl get pods -n ${spec.namespace} -o jsonpath='{..containers[*].name}'`;

  if (pods.length === 0) return { ok: false, title, expected, found: `no pods ${selector ? `matching ${selector} ` : ''}in ${spec.namespace}`, hint };

  const problems: string[] = [];
  const rows = pods.map((p) => ({ name: p.metadata.name, proxy: proxyForm(p), initCapabilities: initCapabilities(p) }));
  const wrong = rows.filter((r) => (r.proxy !== null) !== spec.present).map((r) => r.name);
  if (wrong.length) problems.push(`${spec.present ? 'without' : 'with'} the proxy: ${wrong.join(', ')}`);
  if (spec.initCapabilities) {
    const want = [...spec.initCapabilities].sort();
    for (const r of rows) {
      if (want.length === 0 && r.initCapabilities !== null) problems.push(`${r.name} has an istio-init container (adds ${r.initCapabilities.join(', ') || 'nothing'})`);
      if (want.length > 0) {
        if (r.initCapabilities === null) problems.push(`${r.name} has no istio-init container`);
        else {
          const missing = want.filter((c) => !(r.initCapabilities as string[]).includes(c));
          if (missing.length) problems.push(`${r.name}: istio-init lacks ${missing.join(', ')} (adds ${r.initCapabilities.join(', ') || 'nothing'})`);
        }
      }
    }
  }
  const withProxy = rows.filter((r) => r.proxy !== null).length;
  const native = rows.filter((r) => r.proxy === 'native').length;
  const found = `${withProxy} of ${plural(rows.length, 'pod')} with istio-proxy${native ? ` (${native} as native sidecar)` : ''}`;
  return { ok: problems.length === 0, title, expected, found, ...(problems.length ? { details: problems } : {}), hint, data: { pods: rows, withProxy, total: rows.length } };
}

const sidecar: CheckImplementation<'sidecar'> = {
  kind: 'sidecar',
  defaultTimeoutMs: 60_000,
  strategy: 'watch',
  describe,
  async attempt(spec, ctx, signal) {
    const selector = spec.workload ? await workloadSelector(ctx, spec.namespace, spec.workload).catch(() => undefined) : spec.selector;
    return watchUntil({
      kube: ctx.kube(),
      queries: [{ apiVersion: 'v1', kind: 'Pod', namespace: spec.namespace, ...(selector ? { labelSelector: selector } : {}) }],
      evaluate: () => evaluate(spec, ctx),
      signal,
    });
  },
};
export default sidecar;
