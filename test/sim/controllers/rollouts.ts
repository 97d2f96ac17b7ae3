/**
 * The rollouts controller: when a Deployment, DaemonSet, StatefulSet or (standalone) ReplicaSet is
 * created or its spec changes, or one of its pods goes away or changes, it brings pods and status
 * to the desired state after `delayMs`. A node joining, leaving or changing labels, taints or
 * schedulability re-runs DaemonSets.
 */
import type { KubeObject } from '../../../src/core/seams.js';
import type { SimCluster } from '../cluster.js';
import { deepEqual } from '../patches.js';
import { controllerOf, type PodFateFn } from '../pods.js';
import type { StoreEvent } from '../store.js';
import { DelayedQueue, keyOf, splitKey, type Controller } from './framework.js';
import { reconcileWorkload } from './workloads.js';

export interface RolloutOptions {
  /** Time from a change to pods running and status written (default 10 ms). */
  delayMs?: number;
  /** The fate of each new pod (default: every pod becomes Ready). */
  podFate?: PodFateFn;
}

const WORKLOADS: Record<string, string> = {
  Deployment: 'apps/v1',
  DaemonSet: 'apps/v1',
  StatefulSet: 'apps/v1',
  ReplicaSet: 'apps/v1',
};

/** True when something other than status (or resourceVersion) changed. */
function specChanged(e: StoreEvent): boolean {
  if (e.type !== 'MODIFIED' || !e.previous) return true;
  const strip = (o: KubeObject) => ({ ...o, status: undefined, metadata: { ...o.metadata, resourceVersion: undefined, managedFields: undefined } });
  return !deepEqual(strip(e.previous), strip(e.object));
}

/** A node's labels, taints or schedulability changed: DaemonSets may now want a pod there, or not. */
function nodePlacementChanged(e: StoreEvent): boolean {
  const placement = (o: KubeObject | undefined) => ({ labels: o?.metadata.labels, spec: o?.spec });
  return !deepEqual(placement(e.previous), placement(e.object));
}

export function rolloutsController(opts: RolloutOptions = {}): Controller {
  return (cluster: SimCluster) => {
    const queue = new DelayedQueue(opts.delayMs ?? 10, (key) => {
      const [kind, rest] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
      const { namespace, name } = splitKey(rest);
      const obj = cluster.get(WORKLOADS[kind]!, kind, name, namespace);
      if (obj) reconcileWorkload(cluster, obj, opts.podFate);
    });
    const enqueue = (kind: string, namespace: string | undefined, name: string) => queue.add(`${kind}:${keyOf(namespace, name)}`);

    /** A pod's controller, followed up to the Deployment when the owner is one of its ReplicaSets. */
    const enqueueOwnerOf = (pod: KubeObject) => {
      const owner = controllerOf(pod);
      if (!owner || !(owner.kind in WORKLOADS)) return;
      const ns = pod.metadata.namespace;
      if (owner.kind === 'ReplicaSet') {
        const rs = cluster.get('apps/v1', 'ReplicaSet', owner.name, ns);
        const top = rs && controllerOf(rs);
        if (top?.kind === 'Deployment') return enqueue('Deployment', ns, top.name);
      }
      enqueue(owner.kind, ns, owner.name);
    };

    const unsubscribe = cluster.objects.subscribe((e) => {
      const { kind } = e.object;
      if (kind in WORKLOADS && e.type !== 'DELETED' && specChanged(e)) {
        // ReplicaSets of a Deployment are driven through their Deployment.
        if (kind === 'ReplicaSet' && controllerOf(e.object)?.kind === 'Deployment') return;
        enqueue(kind, e.object.metadata.namespace, e.object.metadata.name);
      } else if (kind === 'Pod' && (e.type === 'DELETED' || (e.type === 'MODIFIED' && !deepEqual(e.previous?.status, e.object.status)))) {
        enqueueOwnerOf(e.object);
      } else if (kind === 'Node' && (e.type !== 'MODIFIED' || nodePlacementChanged(e))) {
        for (const ds of cluster.list('apps/v1', 'DaemonSet')) enqueue('DaemonSet', ds.metadata.namespace, ds.metadata.name);
      }
    });
    // Workloads that existed before the controller was enabled.
    for (const kind of Object.keys(WORKLOADS)) {
      for (const obj of cluster.list(WORKLOADS[kind]!, kind)) {
        if (kind === 'ReplicaSet' && controllerOf(obj)?.kind === 'Deployment') continue;
        enqueue(kind, obj.metadata.namespace, obj.metadata.name);
      }
    }
    return () => {
      unsubscribe();
      queue.stop();
    };
  };
}
