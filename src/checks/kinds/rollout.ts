/**
 * rollout: a Deployment, DaemonSet or StatefulSet is fully rolled out (the controller saw the latest
 * spec, every replica is updated and available, no old replica is left), its pods are Running and
 * Ready, optionally with an expected count and node placement. Waits on watches of the workload and
 * its pods.
 */
import type { KubeObject, ListQuery } from '../../core/seams.js';
import type { CheckSpecOf } from '../../model/check-schema.js';
import type { AttemptOutcome, CheckContext, CheckImplementation } from '../types.js';
import { plural } from '../format.js';
import { isPodReady, podState } from '../vantage.js';
import { watchUntil } from '../watch-until.js';
import { parseWorkloadRef, podsOf, workloadSelectorOf, type WorkloadKind } from '../workloads.js';

type Spec = CheckSpecOf<'rollout'>;

interface Target {
  kind: WorkloadKind;
  name: string;
  namespace: string;
  replicas?: number | undefined;
  nodeSelector?: Record<string, string> | undefined;
  distinctNodes?: number | undefined;
}

function target(spec: Spec): Target {
  return typeof spec === 'string' ? parseWorkloadRef(spec) : spec;
}

function describe(spec: Spec): string {
  const t = target(spec);
  return `${t.kind.toLowerCase()} ${t.namespace}/${t.name} rolled out`;
}

interface Status {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  desiredNumberScheduled?: number;
  updatedNumberScheduled?: number;
  numberReady?: number;
  numberAvailable?: number;
  currentRevision?: string;
  updateRevision?: string;
  conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
}

/** What kubectl rollout status waits for, per kind; each unmet condition is one line. */
function rolloutProblems(obj: KubeObject, kind: WorkloadKind): { desired: number; updated: number; available: number; problems: string[] } {
  const st = (obj.status ?? {}) as Status;
  const spec = (obj.spec ?? {}) as { replicas?: number; updateStrategy?: { type?: string } };
  const problems: string[] = [];
  const generation = obj.metadata.generation as number | undefined;
  if (generation !== undefined && (st.observedGeneration ?? 0) < generation) {
    problems.push(`the controller has not seen generation ${generation} yet (observed ${st.observedGeneration ?? 0})`);
  }
  if (kind === 'DaemonSet') {
    const desired = st.desiredNumberScheduled ?? 0;
    const updated = st.updatedNumberScheduled ?? 0;
    const available = st.numberAvailable ?? 0;
    if (updated < desired) problems.push(`${updated} of ${desired} scheduled pods updated`);
    if (available < desired) problems.push(`${available} of ${desired} pods available`);
    return { desired, updated, available, problems };
  }
  const desired = spec.replicas ?? 1;
  const updated = st.updatedReplicas ?? 0;
  if (kind === 'Deployment') {
    const total = st.replicas ?? 0;
    const available = st.availableReplicas ?? 0;
    if (updated < desired) problems.push(`${updated} of ${desired} replicas updated`);
    if (total > updated) problems.push(`${total - updated} old replica${total - updated === 1 ? '' : 's'} pending termination`);
    if (available < updated) problems.push(`${available} of ${updated} updated replicas available`);
    const stuck = st.conditions?.find((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded');
    if (stuck) problems.push(`progress deadline exceeded: ${stuck.message ?? ''}`.trim());
    return { desired, updated, available, problems };
  }
  const ready = st.readyReplicas ?? 0;
  if (ready < desired) problems.push(`${ready} of ${desired} replicas ready`);
  if (spec.updateStrategy?.type !== 'OnDelete') {
    if (updated < desired) problems.push(`${updated} of ${desired} replicas updated`);
    if (st.updateRevision && st.currentRevision !== st.updateRevision) problems.push(`rolling update to ${st.updateRevision} in progress`);
  }
  return { desired, updated, available: st.availableReplicas ?? ready, problems };
}

async function evaluate(spec: Spec, ctx: CheckContext): Promise<AttemptOutcome> {
  const t = target(spec);
  const kube = ctx.kube();
  const title = describe(spec);
  const ref = `${t.kind.toLowerCase()}/${t.name} -n ${t.namespace}`;
  const expectedParts = [t.replicas === undefined ? 'all desired replicas updated, available and Ready' : `${plural(t.replicas, 'replica')} updated, available and Ready`];
  if (t.nodeSelector) expectedParts.push(`only on nodes labeled ${Object.entries(t.nodeSelector).map(([k, v]) => `${k}=${v}`).join(',')}`);
  if (t.distinctNodes !== undefined) expectedParts.push(`spread over ${plural(t.distinctNodes, 'node')}`);
  const expected = expectedParts.join(', ');
  const hint = `kubectl rollout status ${ref}; kubectl get pods -n ${t.namespace} -o wide; kubectl get events -n ${t.namespace} --sort-by=.lastTimestamp`;

  const obj = await kube.get({ apiVersion: 'apps/v1', kind: t.kind, name: t.name, namespace: t.namespace });
  if (!obj) return { ok: false, title, expected, found: `${t.kind} ${t.namespace}/${t.name} not found`, hint };

  const { desired, updated, available, problems } = rolloutProblems(obj, t.kind);
  const want = t.replicas ?? desired;
  if (t.replicas !== undefined && desired !== t.replicas) problems.push(`desired count is ${desired}, expected ${t.replicas}`);

  const pods = await podsOf(ctx, obj);
  const ready = pods.filter(isPodReady);
  if (ready.length !== want) {
    const notReady = pods.filter((p) => !isPodReady(p)).map((p) => `${p.metadata.name} ${podState(p)}`);
    problems.push(`${ready.length} of ${want} pods Running and Ready${notReady.length ? ` (${notReady.slice(0, 5).join(', ')})` : ''}`);
  }

  const nodeOf = (p: KubeObject) => (p.spec as { nodeName?: string } | undefined)?.nodeName ?? '';
  const nodesUsed = [...new Set(ready.map(nodeOf))].filter((n) => n).sort();
  if (t.nodeSelector) {
    const nodes = await kube.list({ apiVersion: 'v1', kind: 'Node' });
    const labelsOf = new Map(nodes.map((n) => [n.metadata.name, n.metadata.labels ?? {}]));
    for (const p of pods) {
      const node = nodeOf(p);
      if (!node) continue;
      const labels = labelsOf.get(node) ?? {};
      const missing = Object.entries(t.nodeSelector).filter(([k, v]) => labels[k] !== v);
      if (missing.length) problems.push(`pod ${p.metadata.name} runs on ${node}, which lacks ${missing.map(([k, v]) => `${k}=${v}`).join(',')}`);
    }
  }
  if (t.distinctNodes !== undefined && nodesUsed.length !== t.distinctNodes) {
    problems.push(`ready pods are on ${plural(nodesUsed.length, 'node')}, expected ${t.distinctNodes}`);
  }

  const found = `${ready.length}/${want} ready, ${updated} updated, ${available} available${nodesUsed.length ? `, on ${nodesUsed.join(', ')}` : ''}`;
  const data = {
    desired,
    ready: ready.length,
    updated,
    available,
    nodes: nodesUsed,
    pods: pods.map((p) => ({ name: p.metadata.name, node: nodeOf(p), ready: isPodReady(p) })),
  };
  return { ok: problems.length === 0, title, expected, found, ...(problems.length ? { details: problems } : {}), hint, data };
}

async function queries(spec: Spec, ctx: CheckContext): Promise<ListQuery[]> {
  const t = target(spec);
  const workload: ListQuery = { apiVersion: 'apps/v1', kind: t.kind, namespace: t.namespace, fieldSelector: `metadata.name=${t.name}` };
  const obj = await ctx.kube().get({ apiVersion: 'apps/v1', kind: t.kind, name: t.name, namespace: t.namespace });
  const selector = obj ? workloadSelectorOf(obj) : '';
  return [workload, { apiVersion: 'v1', kind: 'Pod', namespace: t.namespace, ...(selector ? { labelSelector: selector } : {}) }];
}

const rollout: CheckImplementation<'rollout'> = {
  kind: 'rollout',
  defaultTimeoutMs: 180_000,
  strategy: 'watch',
  describe,
  async attempt(spec, ctx, signal) {
    return watchUntil({ kube: ctx.kube(), queries: await queries(spec, ctx), evaluate: () => evaluate(spec, ctx), signal });
  },
};
export default rollout;
