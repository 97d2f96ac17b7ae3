/**
 * cloud-provider-kind's load balancer for a LoadBalancer Service: an Envoy on the kind network that
 * takes each new connection to the Service's external IP and hands it to one of the cluster's nodes
 * (all but those labelled node.kubernetes.io/exclude-from-external-load-balancers, i.e. kind's
 * control plane), at the Service's NodePort. It health-checks the nodes first:
 * - externalTrafficPolicy: Cluster — kube-proxy's own /healthz (:10256): every running node passes,
 *   and kube-proxy there picks one of all ready endpoints of the Service, on whichever node;
 * - externalTrafficPolicy: Local — the Service's healthCheckNodePort: only nodes with a ready local
 *   endpoint pass, and kube-proxy keeps the connection on that node.
 * Each connection picks a passing node at random, then an endpoint at random, so the share each pod
 * gets follows the replica counts, as with the real thing.
 *
 * `followNodeHealth: false` is a load balancer whose health view went stale: a node whose
 * container stopped still counts as passing (with the endpoints it had), so connections sent there
 * time out — what clients see when health checking is not set up.
 */
import type { KubeObject } from '../../../src/core/seams.js';
import type { SimCluster } from '../apiserver.js';
import { isPodReady } from '../pods.js';
import { matchesMap } from '../selectors.js';
import { nodeNameOf, podIp, serviceByLoadBalancerIp } from './cluster-view.js';
import { emptyReply, refused, timedOut, type Arrival, type FrontDoor, type Network } from './network.js';

export interface L4LoadBalancerOptions {
  /** Take a node out when its container stops (default true). */
  followNodeHealth?: boolean;
}

const EXCLUDE = 'node.kubernetes.io/exclude-from-external-load-balancers';

/** Endpoints of a Service; with `ignoreNodeDown`, also pods that are unready only because their node went down. */
function endpoints(cluster: SimCluster, svc: KubeObject, net: Network, ignoreNodeDown: boolean): KubeObject[] {
  const selector = (svc.spec as { selector?: Record<string, string> }).selector;
  if (!selector || Object.keys(selector).length === 0) return [];
  return cluster.list('v1', 'Pod', svc.metadata.namespace).filter((p) => {
    if (!matchesMap(selector, p.metadata.labels) || !podIp(p) || p.metadata.deletionTimestamp) return false;
    if (isPodReady(p)) return true;
    const node = nodeNameOf(p);
    return ignoreNodeDown && node !== undefined && !net.nodeUp(node);
  });
}

export function l4LoadBalancer(opts: L4LoadBalancerOptions = {}): FrontDoor {
  const followNodeHealth = opts.followNodeHealth ?? true;
  return (arrival: Arrival, net: Network) => {
    const found = serviceByLoadBalancerIp(net.sim, arrival.ip);
    if (!found) return undefined;
    const { cluster, svc } = found;
    const spec = svc.spec as { externalTrafficPolicy?: string; ports?: Array<{ port: number; targetPort?: number | string; nodePort?: number }> };
    const port = spec.ports?.find((p) => p.port === arrival.port);
    if (!port) return refused(arrival.ip, arrival.port);
    const local = spec.externalTrafficPolicy === 'Local';
    const stale = !followNodeHealth;
    const all = endpoints(cluster, svc, net, stale);
    const nodes = cluster.list('v1', 'Node').filter((n) => n.metadata.labels?.[EXCLUDE] === undefined);
    const passing = nodes.filter((n) => {
      const name = n.metadata.name;
      if (!stale && !net.nodeUp(name)) return false;
      return local ? all.some((p) => nodeNameOf(p) === name) : true;
    });
    const node = passing[Math.floor(net.random() * passing.length)];
    if (!node) return emptyReply();
    const name = node.metadata.name;
    if (!net.nodeUp(name)) return timedOut(arrival.timeoutMs, 'Connection');
    // kube-proxy on the node: only local endpoints with Local, every ready endpoint with Cluster.
    const ready = endpoints(cluster, svc, net, false);
    const candidates = local ? ready.filter((p) => nodeNameOf(p) === name) : ready;
    const target = candidates[Math.floor(net.random() * candidates.length)];
    if (!target) return local ? timedOut(arrival.timeoutMs, 'Connection') : emptyReply();
    const targetPort = typeof port.targetPort === 'number' ? port.targetPort : Number(port.targetPort ?? port.port) || port.port;
    return net.toPod(name, cluster, target, { ...arrival, port: targetPort });
  };
}
