/**
 * What the scheduler and the kubelet do to a pod, in one step: pick a node (nodeSelector, taints,
 * required pod anti-affinity), give it an IP from the node's pod CIDR, and write a status. Tests choose a pod's fate
 * (ready, crash looping, image pull failing, ...) to exercise failing checkpoints. Whatever the test
 * chooses, an image on a registry that is gone (src/lab/retired-registries.ts) cannot be pulled: the
 * pod stays Pending with the container waiting in ErrImagePull, and the pods controller then moves
 * it to ImagePullBackOff, as a kubelet does between retries.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { KubeObject } from '../../src/core/seams.js';
import { isOnGoneRegistry } from '../../src/lab/retired-registries.js';
import { timestamp, type SimCluster } from './cluster.js';
import { internalIp } from './nodes.js';
import { matchesLabelSelectorObject, matchesMap } from './selectors.js';

export type PodFate = 'ready' | 'not-ready' | 'crash-loop' | 'image-pull-error' | 'unschedulable' | 'succeeded';

/** Decides a pod's fate; undefined means 'ready'. */
export type PodFateFn = (pod: KubeObject) => PodFate | undefined;

interface Container {
  name: string;
  image?: string;
}
interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}
interface Taint {
  key: string;
  value?: string;
  effect: string;
}

/** A short stable hash of a pod template, like pod-template-hash / controller-revision-hash. */
export function templateHash(template: unknown): string {
  const digest = createHash('sha256').update(JSON.stringify(template ?? {})).digest();
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  for (let i = 0; i < 10; i++) out += alphabet[digest[i]! % alphabet.length];
  return out;
}

function tolerates(tolerations: Toleration[], taint: Taint): boolean {
  return tolerations.some(
    (t) =>
      (t.effect === undefined || t.effect === '' || t.effect === taint.effect) &&
      ((t.operator === 'Exists' && (t.key === undefined || t.key === '' || t.key === taint.key)) ||
        (t.key === taint.key && (t.value ?? '') === (taint.value ?? ''))),
  );
}

/** Nodes a pod spec may run on: Ready, matching its nodeSelector, tolerating NoSchedule/NoExecute taints. */
export function eligibleNodes(cluster: SimCluster, podSpec: Record<string, unknown>): KubeObject[] {
  const selector = podSpec.nodeSelector as Record<string, string> | undefined;
  const tolerations = (podSpec.tolerations as Toleration[] | undefined) ?? [];
  return cluster.list('v1', 'Node').filter((node) => {
    if (!matchesMap(selector, node.metadata.labels)) return false;
    if ((node.spec as { unschedulable?: boolean } | undefined)?.unschedulable) return false;
    const taints = ((node.spec as { taints?: Taint[] } | undefined)?.taints ?? []).filter((t) => t.effect !== 'PreferNoSchedule');
    return taints.every((t) => tolerates(tolerations, t));
  });
}

const podIpCounters = new WeakMap<SimCluster, Map<string, number>>();

function nextPodIp(cluster: SimCluster, node: KubeObject): string {
  const counters = podIpCounters.get(cluster) ?? new Map<string, number>();
  podIpCounters.set(cluster, counters);
  const n = (counters.get(node.metadata.name) ?? 1) + 1;
  counters.set(node.metadata.name, n);
  const cidr = String((node.spec as { podCIDR?: string } | undefined)?.podCIDR ?? '10.244.0.0/24');
  const prefix = cidr.split('.').slice(0, 3).join('.');
  return `${prefix}.${n % 254}`;
}

interface AntiAffinityTerm {
  labelSelector?: Parameters<typeof matchesLabelSelectorObject>[0];
  topologyKey: string;
  namespaces?: string[];
}

/** Required pod anti-affinity: no matching pod may run in the same topology domain (e.g. hostname). */
function antiAffinityAllows(cluster: SimCluster, pod: KubeObject, node: KubeObject): boolean {
  const affinity = (pod.spec as { affinity?: { podAntiAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: AntiAffinityTerm[] } } } | undefined)?.affinity;
  const terms = affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  if (terms.length === 0) return true;
  const nodes = new Map(cluster.list('v1', 'Node').map((n) => [n.metadata.name, n]));
  const pods = cluster.list('v1', 'Pod');
  return terms.every((term) => {
    const domain = node.metadata.labels?.[term.topologyKey];
    if (domain === undefined) return true;
    const namespaces = term.namespaces?.length ? term.namespaces : [pod.metadata.namespace];
    return !pods.some((other) => {
      const nodeName = (other.spec as { nodeName?: string } | undefined)?.nodeName;
      return (
        other.metadata.uid !== pod.metadata.uid &&
        namespaces.includes(other.metadata.namespace) &&
        nodeName !== undefined &&
        nodes.get(nodeName)?.metadata.labels?.[term.topologyKey] === domain &&
        matchesLabelSelectorObject(term.labelSelector, other.metadata.labels)
      );
    });
  });
}

/** Least-loaded eligible node, so replicas spread like the default scheduler spreads them. */
function pickNode(cluster: SimCluster, pod: KubeObject): KubeObject | undefined {
  const spec = (pod.spec ?? {}) as Record<string, unknown>;
  const candidates = eligibleNodes(cluster, spec).filter((node) => antiAffinityAllows(cluster, pod, node));
  if (candidates.length === 0) return undefined;
  const load = new Map<string, number>();
  for (const p of cluster.list('v1', 'Pod')) {
    const nodeName = (p.spec as { nodeName?: string } | undefined)?.nodeName;
    if (nodeName) load.set(nodeName, (load.get(nodeName) ?? 0) + 1);
  }
  return [...candidates].sort((a, b) => (load.get(a.metadata.name) ?? 0) - (load.get(b.metadata.name) ?? 0))[0];
}

function containerId(): string {
  return `containerd://${randomBytes(32).toString('hex')}`;
}

/** "nginx:1.27" → "nginx@sha256:…": the image without its tag, pinned by a made-up digest. */
function imageId(image: string | undefined): string {
  const name = (image ?? 'unknown').split('@')[0]!;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const repo = colon > slash ? name.slice(0, colon) : name;
  return `${repo}@sha256:${createHash('sha256').update(name).digest('hex')}`;
}

/**
 * What containerd says when the registry behind an image does not answer any more. The exact text
 * depends on how the registry goes away (DNS name removed, 403, 404); kubelet puts it after
 * "failed to pull and unpack image".
 */
function pullError(image: string): string {
  const host = image.split('/')[0] ?? image;
  return `Failed to pull image "${image}": rpc error: code = Unknown desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": failed to do request: Head "https://${host}/v2/": dial tcp: lookup ${host}: no such host`;
}

/** The containers whose image cannot be pulled because its registry is gone. */
const unpullable = (containers: Container[] | undefined) => (containers ?? []).filter((c) => c.image !== undefined && isOnGoneRegistry(c.image));

function containerStatus(c: Container, fate: PodFate, startedAt: string): Record<string, unknown> {
  const base = { name: c.name, image: c.image, imageID: imageId(c.image), restartCount: 0 };
  if (fate === 'image-pull-error' && c.image !== undefined && isOnGoneRegistry(c.image)) {
    return { ...base, imageID: '', ready: false, started: false, state: { waiting: { reason: 'ErrImagePull', message: pullError(c.image) } } };
  }
  switch (fate) {
    case 'crash-loop':
      return {
        ...base,
        containerID: containerId(),
        ready: false,
        started: false,
        restartCount: 4,
        state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off 1m20s restarting failed container=${c.name}` } },
        lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt, finishedAt: startedAt } },
      };
    case 'image-pull-error':
      return {
        ...base,
        imageID: '',
        ready: false,
        started: false,
        state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}"` } },
      };
    case 'succeeded':
      return {
        ...base,
        containerID: containerId(),
        ready: false,
        started: false,
        state: { terminated: { exitCode: 0, reason: 'Completed', startedAt, finishedAt: startedAt } },
      };
    default:
      return { ...base, containerID: containerId(), ready: fate === 'ready', started: true, state: { running: { startedAt } } };
  }
}

function cond(type: string, ok: boolean, now: string, reason?: string) {
  return { type, status: ok ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: now, ...(reason && !ok ? { reason } : {}) };
}

/** Schedules a pod and writes the status its fate implies. Returns the updated pod. */
export function startPod(cluster: SimCluster, pod: KubeObject, fateOf?: PodFateFn): KubeObject {
  const chosen = fateOf?.(pod) ?? 'ready';
  const podSpec = pod.spec as { containers?: Container[]; initContainers?: Container[] } | undefined;
  const pullFails = unpullable([...(podSpec?.initContainers ?? []), ...(podSpec?.containers ?? [])]).length > 0;
  const fate: PodFate = chosen !== 'unschedulable' && pullFails ? 'image-pull-error' : chosen;
  const now = timestamp();
  // DaemonSet pods come with their node; others are scheduled here.
  const preset = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
  const node = fate === 'unschedulable' ? undefined : preset ? cluster.get('v1', 'Node', preset) : pickNode(cluster, pod);
  if (!node) {
    const nodes = cluster.list('v1', 'Node').length;
    return cluster.updateStatus({
      ...pod,
      status: {
        phase: 'Pending',
        qosClass: 'BestEffort',
        conditions: [
          {
            ...cond('PodScheduled', false, now, 'Unschedulable'),
            message: `0/${nodes} nodes are available: ${nodes} node(s) didn't match Pod's node affinity/selector.`,
          },
        ],
      },
    });
  }
  let current = pod;
  if ((pod.spec as { nodeName?: string } | undefined)?.nodeName !== node.metadata.name) {
    current = cluster.replace({ ...pod, spec: { ...(pod.spec as object), nodeName: node.metadata.name } });
  }
  const spec = current.spec as { containers?: Container[]; initContainers?: Container[]; hostNetwork?: boolean };
  const podIp = spec.hostNetwork ? internalIp(node) : nextPodIp(cluster, node);
  const ready = fate === 'ready';
  const phase = fate === 'image-pull-error' ? 'Pending' : fate === 'succeeded' ? 'Succeeded' : 'Running';
  return cluster.updateStatus({
    ...current,
    status: {
      phase,
      qosClass: 'BestEffort',
      hostIP: internalIp(node),
      hostIPs: [{ ip: internalIp(node) }],
      podIP: podIp,
      podIPs: [{ ip: podIp }],
      startTime: now,
      conditions: [
        cond('PodReadyToStartContainers', true, now),
        cond('Initialized', true, now),
        cond('Ready', ready, now, 'ContainersNotReady'),
        cond('ContainersReady', ready, now, 'ContainersNotReady'),
        cond('PodScheduled', true, now),
      ],
      ...(spec.initContainers?.length
        ? { initContainerStatuses: spec.initContainers.map((c) => containerStatus(c, pullFails && isOnGoneRegistry(c.image ?? '') ? 'image-pull-error' : 'succeeded', now)) }
        : {}),
      // Only the containers whose image is on a gone registry fail to pull; the others start.
      containerStatuses: (spec.containers ?? []).map((c) => containerStatus(c, pullFails && !isOnGoneRegistry(c.image ?? '') ? 'ready' : fate, now)),
    },
  });
}

/**
 * The kubelet after a failed pull: ErrImagePull becomes ImagePullBackOff while it waits to retry
 * (this model does not retry). Returns the updated pod, or undefined when nothing waits in ErrImagePull.
 */
export function backOffImagePulls(cluster: SimCluster, pod: KubeObject): KubeObject | undefined {
  const statuses = (pod.status as { containerStatuses?: Array<Record<string, unknown>> } | undefined)?.containerStatuses ?? [];
  const waiting = (s: Record<string, unknown>) => (s.state as { waiting?: { reason?: string; message?: string } } | undefined)?.waiting;
  if (!statuses.some((s) => waiting(s)?.reason === 'ErrImagePull')) return undefined;
  const next = statuses.map((s) => {
    const w = waiting(s);
    if (w?.reason !== 'ErrImagePull') return s;
    return { ...s, state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${String(s.image)}": ErrImagePull: ${w.message ?? ''}` } } };
  });
  return cluster.updateStatus({ ...pod, status: { ...(pod.status as object), containerStatuses: next } });
}

/** True while a container of the pod waits in ErrImagePull (the kubelet's first failed pull). */
export function hasFailedPull(pod: KubeObject): boolean {
  const statuses = (pod.status as { containerStatuses?: Array<{ state?: { waiting?: { reason?: string } } }> } | undefined)?.containerStatuses ?? [];
  return statuses.some((s) => s.state?.waiting?.reason === 'ErrImagePull');
}

export function isPodReady(pod: KubeObject): boolean {
  const conditions = (pod.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** The controller that owns an object (ownerReferences with controller: true). */
export function controllerOf(obj: KubeObject): { kind: string; name: string; uid: string } | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller) ?? undefined;
}

export function ownerRef(owner: KubeObject) {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Creates (unscheduled) a pod from a workload's template. */
export function createPodFromTemplate(
  cluster: SimCluster,
  owner: KubeObject,
  name: string,
  extraLabels: Record<string, string>,
  extra: { nodeName?: string; hostname?: string; subdomain?: string } = {},
): KubeObject {
  const template = ((owner.spec as { template?: { metadata?: KubeObject['metadata']; spec?: Record<string, unknown> } }).template ?? {});
  return cluster.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: owner.metadata.namespace,
      labels: { ...template.metadata?.labels, ...extraLabels },
      ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
      ownerReferences: [ownerRef(owner)],
    },
    spec: {
      ...structuredClone(template.spec ?? {}),
      ...(extra.nodeName ? { nodeName: extra.nodeName } : {}),
      ...(extra.hostname ? { hostname: extra.hostname } : {}),
      ...(extra.subdomain ? { subdomain: extra.subdomain } : {}),
    },
  });
}
