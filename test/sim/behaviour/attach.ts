/**
 * Runs a behaviour model's controller in every cluster of a sim, including the kind clusters the
 * fake `kind` creates later: a cluster is picked up at the first API request that reaches it (before
 * that request is served, so the controller sees the object it creates). Work is coalesced per
 * cluster (one resync after a burst of events), as the sim's own controllers do.
 */
import type { Sim, SimCluster } from '../apiserver.js';
import type { StoreEvent } from '../store.js';

export interface ClusterController {
  /** Which store events call for a resync (default: all). */
  interested?(event: StoreEvent): boolean;
  /** Brings the cluster to the state the controller wants; must write nothing when it is there. */
  resync(cluster: SimCluster): void;
}

export function attachToClusters(sim: Sim, controller: ClusterController, opts: { delayMs?: number } = {}): () => void {
  const attached = new Map<SimCluster, () => void>();
  const delayMs = opts.delayMs ?? 5;

  const attach = (cluster: SimCluster) => {
    if (attached.has(cluster)) return;
    let timer: NodeJS.Timeout | undefined;
    const schedule = () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        if (!attached.has(cluster)) return;
        try {
          controller.resync(cluster);
        } catch (err) {
          if (process.env.KINDLAB_SIM_DEBUG) console.error('sim behaviour controller:', err);
        }
      }, delayMs);
      timer.unref();
    };
    const unsubscribe = cluster.objects.subscribe((e) => {
      if (!controller.interested || controller.interested(e)) schedule();
    });
    attached.set(cluster, () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
    });
    schedule();
  };

  const scan = () => {
    for (const name of sim.clusterNames()) attach(sim.cluster(name));
    for (const [cluster, detach] of attached) {
      if (!sim.hasCluster(cluster.name) || sim.cluster(cluster.name) !== cluster) {
        detach();
        attached.delete(cluster);
      }
    }
  };
  const onRequest = () => scan();
  sim.on('request', onRequest);
  scan();
  return () => {
    sim.off('request', onRequest);
    for (const detach of attached.values()) detach();
    attached.clear();
  };
}
