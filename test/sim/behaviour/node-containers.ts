/**
 * kind node containers going down and up: the fake docker keeps container state in its state file
 * (`docker stop` / `docker start`); this model watches it and does what the cluster would do when a
 * node machine loses power and comes back, on the lab clock (lab-clock.ts):
 * - stopped: nothing changes in the API at first (the kubelet just stops posting). Only after the
 *   node-monitor grace period does the node lifecycle controller set Ready=Unknown ("Kubelet
 *   stopped posting node status.") and mark the node's pods not ready, so they leave the
 *   Services' endpoints. The default grace is 50 s since Kubernetes 1.32 (kubernetes/kubernetes
 *   #126287; 40 s before), and the controller looks every 5 s (node-monitor-period), so a node
 *   turns NotReady 40–55 s after it stopped; the model uses the grace period itself;
 * - started: the node boots, the kubelet comes back and restarts every container of the node. For
 *   `restartMs` the pods do not answer, while the API still shows what it showed before: pods that
 *   were never marked not ready still look ready (stale), so whatever trusts that view (kube-proxy's
 *   health check for externalTrafficPolicy: Local, answered from the EndpointSlices) sends traffic
 *   to pods that refuse it. Then the kubelet reports the node Ready and its pods restarted
 *   (restartCount + 1) and ready. A simplification: kube-proxy is taken to answer at once, where the
 *   real one restarts too.
 */
import { readFileSync } from 'node:fs';
import type { KubeObject } from '../../../src/core/seams.js';
import type { Sim, SimCluster } from '../apiserver.js';
import { timestamp } from '../cluster.js';
import { nodeNameOf } from './cluster-view.js';

export interface ContainerRecord {
  name: string;
  image?: string;
  state: 'running' | 'exited';
  labels?: Record<string, string>;
}

export interface NodeContainers {
  /** True when the node's container runs, as of the last sync (unknown containers count as running). */
  isRunning(nodeName: string): boolean;
  /** True while a started node's kubelet is still restarting its containers (its pods do not answer). */
  isRestarting(nodeName: string): boolean;
  /** Every container of the fake docker, as of the last sync. */
  all(): ContainerRecord[];
  /** Reads the container states and applies changes now (also done every pollMs); call it per exec. */
  sync(): void;
  stop(): void;
}

export interface NodeLifecycleOptions {
  /** node-monitor-grace-period (default 50 s). */
  graceMs?: number;
  /** From `docker start` until the kubelet reports the node and its restarted pods ready (default 10 s). */
  restartMs?: number;
}

type Condition = { type: string; status: string; reason?: string; message?: string; lastHeartbeatTime?: string; lastTransitionTime?: string };

function setNodeReady(cluster: SimCluster, node: KubeObject, ready: boolean): void {
  const now = timestamp();
  const conditions = ((node.status as { conditions?: Condition[] }).conditions ?? []).map((c) => {
    if (c.type === 'Ready') {
      return ready
        ? { ...c, status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: c.status === 'True' ? c.lastTransitionTime : now }
        : { ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: now };
    }
    return ready ? { ...c, status: 'False', lastHeartbeatTime: now } : { ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' };
  });
  cluster.updateStatus({ ...node, status: { ...(node.status as object), conditions } });
}

function setPodReady(cluster: SimCluster, pod: KubeObject, ready: boolean, restarted: boolean): void {
  const now = timestamp();
  const status = (pod.status ?? {}) as { conditions?: Condition[]; containerStatuses?: Array<Record<string, unknown>> };
  const conditions = (status.conditions ?? []).map((c) =>
    c.type === 'Ready' || c.type === 'ContainersReady'
      ? { ...c, status: ready ? 'True' : 'False', lastTransitionTime: now, ...(ready ? { reason: undefined } : { reason: c.type === 'Ready' ? 'NodeNotReady' : 'ContainersNotReady' }) }
      : c,
  );
  const containerStatuses = (status.containerStatuses ?? []).map((c) => ({
    ...c,
    ready,
    ...(restarted ? { restartCount: Number(c.restartCount ?? 0) + 1, state: { running: { startedAt: now } } } : {}),
  }));
  cluster.updateStatus({ ...pod, status: { ...status, conditions: JSON.parse(JSON.stringify(conditions)) as Condition[], containerStatuses } });
}

export function watchNodeContainers(sim: Sim, stateFile: string, opts: { pollMs?: number; clock?: () => number } & NodeLifecycleOptions = {}): NodeContainers {
  const clock = opts.clock ?? Date.now;
  const graceMs = opts.graceMs ?? 50_000;
  const restartMs = opts.restartMs ?? 10_000;
  /** Per container: its state, since when (lab clock), and what the cluster has made of it so far. */
  const known = new Map<string, { state: 'running' | 'exited'; since: number; marked: boolean; restarting: boolean }>();

  const read = (): ContainerRecord[] => {
    try {
      return (JSON.parse(readFileSync(stateFile, 'utf8')) as { containers?: ContainerRecord[] }).containers ?? [];
    } catch {
      return [];
    }
  };

  const nodeOf = (container: ContainerRecord) => {
    const clusterName = container.labels?.['io.x-k8s.kind.cluster'];
    if (!clusterName || !sim.hasCluster(clusterName)) return undefined;
    const cluster = sim.cluster(clusterName);
    const node = cluster.get('v1', 'Node', container.name);
    return node ? { cluster, node } : undefined;
  };

  /**
   * up=false: the node lifecycle controller gives up on the node (Ready=Unknown, its pods not ready);
   * up=true: the kubelet is back (the node Ready, every pod of the node restarted and ready).
   */
  const mark = (container: ContainerRecord, up: boolean) => {
    const found = nodeOf(container);
    if (!found) return;
    setNodeReady(found.cluster, found.node, up);
    for (const pod of found.cluster.list('v1', 'Pod').filter((p) => nodeNameOf(p) === container.name)) setPodReady(found.cluster, pod, up, up);
  };

  let last: ContainerRecord[] = [];
  const sync = () => {
    last = read();
    const now = clock();
    for (const c of last) {
      const k = known.get(c.name);
      if (!k) {
        // Only changes count: a node container first seen running is the normal case; one first seen
        // stopped has been down for longer than anyone remembers.
        known.set(c.name, { state: c.state, since: now, marked: c.state !== 'running', restarting: false });
        if (c.state !== 'running') mark(c, false);
        continue;
      }
      if (k.state !== c.state) {
        k.state = c.state;
        k.since = now;
        k.restarting = c.state === 'running';
        if (c.state !== 'running') k.marked = false;
      }
      if (k.state === 'exited' && !k.marked && now - k.since >= graceMs) {
        k.marked = true;
        mark(c, false);
      }
      if (k.state === 'running' && k.restarting && now - k.since >= restartMs) {
        k.restarting = false;
        k.marked = false;
        mark(c, true);
      }
    }
  };

  const timer = setInterval(sync, opts.pollMs ?? 100);
  timer.unref();
  return {
    isRunning(nodeName) {
      return (known.get(nodeName)?.state ?? 'running') === 'running';
    },
    isRestarting(nodeName) {
      return known.get(nodeName)?.restarting ?? false;
    },
    all: () => last,
    sync,
    stop: () => clearInterval(timer),
  };
}
