/**
 * Reconcilers of the workload kinds: Deployment → ReplicaSets → Pods, DaemonSet → a pod per
 * eligible node, StatefulSet → ordinal pods. Each call brings pods and status to the desired state
 * at once (no gradual rolling update), and writes nothing when already there.
 */
import type { KubeObject } from '../../../src/core/seams.js';
import { randomSuffix, timestamp, type SimCluster } from '../cluster.js';
import { deepEqual } from '../patches.js';
import { controllerOf, createPodFromTemplate, eligibleNodes, isPodReady, ownerRef, startPod, templateHash, type PodFateFn } from '../pods.js';

type Status = Record<string, unknown>;
interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

const podsOwnedBy = (cluster: SimCluster, owner: KubeObject) =>
  cluster.list('v1', 'Pod', owner.metadata.namespace).filter((p) => controllerOf(p)?.uid === owner.metadata.uid);

/** Drops zero counts, as the API server's omitempty does: checks must treat a missing count as 0. */
function omitZeros(status: Status): Status {
  return Object.fromEntries(Object.entries(status).filter(([, v]) => v !== 0 && v !== undefined));
}

/** Keeps a condition's timestamps when its status and reason did not change, so rewrites are no-ops. */
function keepTimes(previous: Condition[] | undefined, next: Condition[]): Condition[] {
  return next.map((c) => {
    const old = previous?.find((p) => p.type === c.type);
    if (old && old.status === c.status && old.reason === c.reason && old.message === c.message) {
      return { ...c, ...(old.lastUpdateTime ? { lastUpdateTime: old.lastUpdateTime } : {}), lastTransitionTime: old.lastTransitionTime };
    }
    return c;
  });
}

function writeStatus(cluster: SimCluster, obj: KubeObject, status: Status): void {
  const previous = obj.status as Status | undefined;
  const conditions = status.conditions as Condition[] | undefined;
  const next = { ...status, ...(conditions ? { conditions: keepTimes(previous?.conditions as Condition[] | undefined, conditions) } : {}) };
  if (deepEqual(previous, next)) return;
  cluster.updateStatus({ ...obj, status: next });
}

function newPods(cluster: SimCluster, owner: KubeObject, count: number, labels: Record<string, string>, fate?: PodFateFn): void {
  for (let i = 0; i < count; i++) {
    const pod = createPodFromTemplate(cluster, owner, `${owner.metadata.name}-${randomSuffix()}`, labels);
    startPod(cluster, pod, fate);
  }
}

// ---------------------------------------------------------------- ReplicaSet

export function reconcileReplicaSet(cluster: SimCluster, rs: KubeObject, fate?: PodFateFn): void {
  const desired = Number((rs.spec as { replicas?: number }).replicas ?? 1);
  const hash = rs.metadata.labels?.['pod-template-hash'];
  const pods = podsOwnedBy(cluster, rs);
  if (pods.length < desired) newPods(cluster, rs, desired - pods.length, hash ? { 'pod-template-hash': hash } : {}, fate);
  for (const extra of pods.slice(desired)) cluster.delete('v1', 'Pod', extra.metadata.name, extra.metadata.namespace);
  const now = podsOwnedBy(cluster, rs);
  const ready = now.filter(isPodReady).length;
  const fresh = cluster.get('apps/v1', 'ReplicaSet', rs.metadata.name, rs.metadata.namespace);
  if (!fresh) return;
  writeStatus(
    cluster,
    fresh,
    omitZeros({
      replicas: now.length,
      fullyLabeledReplicas: now.length,
      readyReplicas: ready,
      availableReplicas: ready,
      observedGeneration: fresh.metadata.generation,
    }),
  );
}

// ---------------------------------------------------------------- Deployment

export function reconcileDeployment(cluster: SimCluster, dep: KubeObject, fate?: PodFateFn): void {
  const ns = dep.metadata.namespace!;
  const spec = dep.spec as { replicas?: number; template?: { metadata?: { labels?: Record<string, string> } }; selector?: { matchLabels?: Record<string, string> } };
  const desired = spec.replicas ?? 1;
  const hash = templateHash(spec.template);
  const owned = cluster.list('apps/v1', 'ReplicaSet', ns).filter((rs) => controllerOf(rs)?.uid === dep.metadata.uid);
  const revisionOf = (rs: KubeObject) => Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0);

  let current = owned.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
  if (!current) {
    const revision = Math.max(0, ...owned.map(revisionOf)) + 1;
    const template = structuredClone(spec.template ?? {}) as { metadata?: { labels?: Record<string, string> } };
    template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, 'pod-template-hash': hash } };
    current = cluster.create({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${dep.metadata.name}-${hash}`,
        namespace: ns,
        labels: { ...spec.template?.metadata?.labels, 'pod-template-hash': hash },
        annotations: { 'deployment.kubernetes.io/desired-replicas': String(desired), 'deployment.kubernetes.io/revision': String(revision) },
        ownerReferences: [ownerRef(dep)],
      },
      spec: {
        replicas: desired,
        selector: { ...spec.selector, matchLabels: { ...spec.selector?.matchLabels, 'pod-template-hash': hash } },
        template,
      },
    });
  } else if ((current.spec as { replicas?: number }).replicas !== desired) {
    current = cluster.mergePatch({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: current.metadata.name, namespace: ns }, { spec: { replicas: desired } });
  }
  for (const old of owned.filter((rs) => rs.metadata.name !== current.metadata.name)) {
    if ((old.spec as { replicas?: number }).replicas !== 0) {
      cluster.mergePatch({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: old.metadata.name, namespace: ns }, { spec: { replicas: 0 } });
    }
    const fresh = cluster.get('apps/v1', 'ReplicaSet', old.metadata.name, ns);
    if (fresh) reconcileReplicaSet(cluster, fresh, fate);
  }
  reconcileReplicaSet(cluster, current, fate);

  const allPods = owned.concat(owned.some((rs) => rs.metadata.uid === current.metadata.uid) ? [] : [current]).flatMap((rs) => podsOwnedBy(cluster, rs));
  const updated = podsOwnedBy(cluster, current);
  const ready = allPods.filter(isPodReady).length;
  const updatedReady = updated.filter(isPodReady).length;
  const fresh = cluster.get('apps/v1', 'Deployment', dep.metadata.name, ns);
  if (!fresh) return;
  const now = timestamp();
  const available = ready >= desired;
  const complete = updatedReady >= desired && allPods.length === updated.length;
  writeStatus(
    cluster,
    fresh,
    omitZeros({
      observedGeneration: fresh.metadata.generation,
      replicas: allPods.length,
      updatedReplicas: updated.length,
      readyReplicas: ready,
      availableReplicas: ready,
      unavailableReplicas: Math.max(0, desired - ready),
      conditions: [
        {
          type: 'Available',
          status: available ? 'True' : 'False',
          reason: available ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
          message: available ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
          lastUpdateTime: now,
          lastTransitionTime: now,
        },
        {
          type: 'Progressing',
          status: 'True',
          reason: complete ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated',
          message: complete
            ? `ReplicaSet "${current.metadata.name}" has successfully progressed.`
            : `ReplicaSet "${current.metadata.name}" is progressing.`,
          lastUpdateTime: now,
          lastTransitionTime: now,
        },
      ],
    }),
  );
}

// ---------------------------------------------------------------- DaemonSet

export function reconcileDaemonSet(cluster: SimCluster, ds: KubeObject, fate?: PodFateFn): void {
  const template = (ds.spec as { template?: { spec?: Record<string, unknown> } }).template ?? {};
  const hash = templateHash(template);
  const nodes = eligibleNodes(cluster, template.spec ?? {});
  const nodeNames = new Set(nodes.map((n) => n.metadata.name));
  const pods = podsOwnedBy(cluster, ds);
  for (const pod of pods) {
    const nodeName = (pod.spec as { nodeName?: string }).nodeName ?? '';
    const stale = pod.metadata.labels?.['controller-revision-hash'] !== hash;
    if (stale || !nodeNames.has(nodeName)) cluster.delete('v1', 'Pod', pod.metadata.name, pod.metadata.namespace);
  }
  const remaining = podsOwnedBy(cluster, ds);
  for (const node of nodes) {
    if (remaining.some((p) => (p.spec as { nodeName?: string }).nodeName === node.metadata.name)) continue;
    const pod = createPodFromTemplate(cluster, ds, `${ds.metadata.name}-${randomSuffix()}`, { 'controller-revision-hash': hash, 'pod-template-generation': String(ds.metadata.generation ?? 1) }, { nodeName: node.metadata.name });
    startPod(cluster, pod, fate);
  }
  const now = podsOwnedBy(cluster, ds);
  const ready = now.filter(isPodReady).length;
  const fresh = cluster.get('apps/v1', 'DaemonSet', ds.metadata.name, ds.metadata.namespace);
  if (!fresh) return;
  writeStatus(cluster, fresh, {
    ...omitZeros({
      currentNumberScheduled: now.length,
      numberReady: ready,
      numberAvailable: ready,
      updatedNumberScheduled: now.length,
      numberUnavailable: nodes.length - ready,
      observedGeneration: fresh.metadata.generation,
    }),
    // These two are always present on a real DaemonSet status.
    desiredNumberScheduled: nodes.length,
    numberMisscheduled: 0,
  });
}

// ---------------------------------------------------------------- StatefulSet

export function reconcileStatefulSet(cluster: SimCluster, sts: KubeObject, fate?: PodFateFn): void {
  const spec = sts.spec as { replicas?: number; template?: unknown; serviceName?: string };
  const desired = spec.replicas ?? 1;
  const revision = `${sts.metadata.name}-${templateHash(spec.template)}`;
  const pods = podsOwnedBy(cluster, sts);
  for (const pod of pods) {
    const ordinal = Number(pod.metadata.name.slice(sts.metadata.name.length + 1));
    if (ordinal >= desired || pod.metadata.labels?.['controller-revision-hash'] !== revision) {
      cluster.delete('v1', 'Pod', pod.metadata.name, pod.metadata.namespace);
    }
  }
  const remaining = new Set(podsOwnedBy(cluster, sts).map((p) => p.metadata.name));
  for (let i = 0; i < desired; i++) {
    const name = `${sts.metadata.name}-${i}`;
    if (remaining.has(name)) continue;
    const pod = createPodFromTemplate(
      cluster,
      sts,
      name,
      { 'controller-revision-hash': revision, 'statefulset.kubernetes.io/pod-name': name, 'apps.kubernetes.io/pod-index': String(i) },
      { hostname: name, ...(spec.serviceName ? { subdomain: spec.serviceName } : {}) },
    );
    startPod(cluster, pod, fate);
  }
  const now = podsOwnedBy(cluster, sts);
  const ready = now.filter(isPodReady).length;
  const fresh = cluster.get('apps/v1', 'StatefulSet', sts.metadata.name, sts.metadata.namespace);
  if (!fresh) return;
  writeStatus(cluster, fresh, {
    ...omitZeros({
      replicas: now.length,
      readyReplicas: ready,
      currentReplicas: now.length,
      updatedReplicas: now.length,
      availableReplicas: ready,
      observedGeneration: fresh.metadata.generation,
    }),
    currentRevision: revision,
    updateRevision: revision,
    collisionCount: 0,
  });
}

/** Reconciles any workload kind the sim knows; ignores others. */
export function reconcileWorkload(cluster: SimCluster, obj: KubeObject, fate?: PodFateFn): void {
  switch (obj.kind) {
    case 'Deployment':
      return reconcileDeployment(cluster, obj, fate);
    case 'ReplicaSet':
      return reconcileReplicaSet(cluster, obj, fate);
    case 'DaemonSet':
      return reconcileDaemonSet(cluster, obj, fate);
    case 'StatefulSet':
      return reconcileStatefulSet(cluster, obj, fate);
  }
}
