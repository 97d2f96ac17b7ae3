/**
 * kind node containers going down and up: the fake docker keeps container state in its state file
 * (`docker stop` / `docker start`); this model watches it and does what the cluster would do when a
 * node machine loses power and comes back: the Node turns NotReady (Ready=Unknown, "Kubelet stopped
 * posting node status.") and its pods stop being ready, so they leave the Services' endpoints;
 * after `docker start` the kubelet reports Ready again and restarts the pods' containers.
 *
 * The real node lifecycle controller waits for the node-monitor grace period (~40 s) before it
 * marks anything; the model reacts within `pollMs`, which only shortens the wait of the lab's
 * `kubectl wait`.
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
  /** Every container of the fake docker, as of the last sync. */
  all(): ContainerRecord[];
  /** Reads the container states and applies changes now (also done every pollMs); call it per exec. */
  sync(): void;
  stop(): void;
}

type Condition = { type: string; status: string; reason?: string; message?: string; lastHeartbeatTime?: string; lastTransitionTime?: string };

function setNodeReady(cluster: SimCluster, node: KubeObject, ready: boolean): void {
  const now = timestamp();
  const conditions = ((node.status as { conditions?: Condition[] }).conditions ?? []).map((c) => {
    if (c.type === 'Ready') {
      return ready
        ? { ...c, status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now }
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

export function watchNodeContainers(sim: Sim, stateFile: string, opts: { pollMs?: number } = {}): NodeContainers {
  const known = new Map<string, 'running' | 'exited'>();
  /** Pods this model took down, by uid: only those are brought back. */
  const downed = new Set<string>();

  const read = (): ContainerRecord[] => {
    try {
      return (JSON.parse(readFileSync(stateFile, 'utf8')) as { containers?: ContainerRecord[] }).containers ?? [];
    } catch {
      return [];
    }
  };

  const apply = (container: ContainerRecord) => {
    const clusterName = container.labels?.['io.x-k8s.kind.cluster'];
    if (!clusterName || !sim.hasCluster(clusterName)) return;
    const cluster = sim.cluster(clusterName);
    const node = cluster.get('v1', 'Node', container.name);
    if (!node) return;
    const up = container.state === 'running';
    setNodeReady(cluster, node, up);
    for (const pod of cluster.list('v1', 'Pod').filter((p) => nodeNameOf(p) === container.name)) {
      if (!up) {
        downed.add(pod.metadata.uid!);
        setPodReady(cluster, pod, false, false);
      } else if (downed.delete(pod.metadata.uid!)) {
        setPodReady(cluster, pod, true, true);
      }
    }
  };

  let last: ContainerRecord[] = [];
  const sync = () => {
    last = read();
    for (const c of last) {
      const before = known.get(c.name);
      known.set(c.name, c.state);
      // Only changes count: a node container first seen running is the normal case.
      if (before !== undefined && before !== c.state) apply(c);
      else if (before === undefined && c.state !== 'running') apply(c);
    }
  };

  const timer = setInterval(sync, opts.pollMs ?? 100);
  timer.unref();
  return {
    isRunning(nodeName) {
      return (known.get(nodeName) ?? 'running') === 'running';
    },
    all: () => last,
    sync,
    stop: () => clearInterval(timer),
  };
}
