/**
 * istiod's push of a new Gateway to the gateway pods. A Gateway object in the API is not yet a
 * listener in Envoy: istiod waits for config changes to settle (PILOT_DEBOUNCE_AFTER, 100 ms quiet,
 * up to PILOT_DEBOUNCE_MAX), builds the gateway's listeners and pushes them over xDS, and Envoy
 * warms the new listener before it accepts connections. Until then nothing listens on the port in
 * the gateway pod, and a client that connects through the load balancer gets its connection reset
 * (curl exit 52/56). On a small kind node running the demo profile that takes a few seconds; the
 * model makes a Gateway's servers take effect `pushMs` (lab clock) after the Gateway was created.
 * Gateways that existed before the model first saw their cluster count as pushed.
 */
import type { Sim, SimCluster } from '../../apiserver.js';
import type { KubeObject } from '../../../../src/core/seams.js';

export class GatewayPushes {
  private readonly createdAt = new Map<string, number>();
  private readonly watched = new Set<SimCluster>();
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    private readonly sim: Sim,
    private readonly clock: () => number,
    private readonly pushMs: number,
  ) {
    // A cluster is picked up at the first API request that reaches it, before that request is served.
    const scan = () => {
      for (const name of sim.clusterNames()) this.watch(sim.cluster(name));
    };
    sim.on('request', scan);
    this.unsubscribe.push(() => sim.off('request', scan));
    scan();
  }

  private watch(cluster: SimCluster): void {
    if (this.watched.has(cluster)) return;
    this.watched.add(cluster);
    this.unsubscribe.push(
      cluster.objects.subscribe((e) => {
        if (e.type === 'ADDED' && e.object.kind === 'Gateway' && e.resource.group === 'networking.istio.io' && e.object.metadata.uid) {
          this.createdAt.set(e.object.metadata.uid, this.clock());
        }
      }),
    );
  }

  /** Whether the gateway pods have the listeners of this Gateway yet. */
  pushed(gateway: KubeObject): boolean {
    const at = gateway.metadata.uid ? this.createdAt.get(gateway.metadata.uid) : undefined;
    return at === undefined || this.clock() - at >= this.pushMs;
  }

  stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }
}
