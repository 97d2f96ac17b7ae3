/**
 * Read-side helpers the behaviour models share: what the data path of a cluster sees in the sim's
 * store (Services and their ready endpoint pods, pods and nodes by IP, node readiness), without
 * writing anything.
 */
import type { KubeObject } from '../../../src/core/seams.js';
import type { Sim, SimCluster } from '../apiserver.js';
import { internalIp } from '../nodes.js';
import { isPodReady } from '../pods.js';
import { matchesMap } from '../selectors.js';

/** list() that returns [] when the cluster does not serve the kind (a CRD not installed yet). */
export function listOf(cluster: SimCluster, apiVersion: string, kind: string, namespace?: string): KubeObject[] {
  try {
    return cluster.list(apiVersion, kind, namespace);
  } catch {
    return [];
  }
}

export function getOf(cluster: SimCluster, apiVersion: string, kind: string, name: string, namespace?: string): KubeObject | undefined {
  try {
    return cluster.get(apiVersion, kind, name, namespace);
  } catch {
    return undefined;
  }
}

export const podIp = (pod: KubeObject) => (pod.status as { podIP?: string } | undefined)?.podIP;
export const nodeNameOf = (pod: KubeObject) => (pod.spec as { nodeName?: string } | undefined)?.nodeName;

export function isNodeReady(node: KubeObject | undefined): boolean {
  const conditions = (node?.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Pods a Service selects that are Running and Ready (what its EndpointSlice lists as ready). */
export function readyEndpointPods(cluster: SimCluster, svc: KubeObject): KubeObject[] {
  const selector = (svc.spec as { selector?: Record<string, string> } | undefined)?.selector;
  if (!selector || Object.keys(selector).length === 0) return [];
  return cluster
    .list('v1', 'Pod', svc.metadata.namespace)
    .filter((p) => matchesMap(selector, p.metadata.labels) && podIp(p) && !p.metadata.deletionTimestamp && isPodReady(p));
}

/** The LoadBalancer Service whose external IP is `ip`, in any cluster of the sim. */
export function serviceByLoadBalancerIp(sim: Sim, ip: string): { cluster: SimCluster; svc: KubeObject } | undefined {
  for (const name of sim.clusterNames()) {
    const cluster = sim.cluster(name);
    for (const svc of cluster.list('v1', 'Service')) {
      const ingress = (svc.status as { loadBalancer?: { ingress?: Array<{ ip?: string }> } } | undefined)?.loadBalancer?.ingress ?? [];
      if ((svc.spec as { type?: string }).type === 'LoadBalancer' && ingress.some((i) => i.ip === ip)) return { cluster, svc };
    }
  }
  return undefined;
}

export function podByIp(sim: Sim, ip: string): { cluster: SimCluster; pod: KubeObject } | undefined {
  for (const name of sim.clusterNames()) {
    const cluster = sim.cluster(name);
    const pod = cluster.list('v1', 'Pod').find((p) => podIp(p) === ip && !(p.spec as { hostNetwork?: boolean }).hostNetwork);
    if (pod) return { cluster, pod };
  }
  return undefined;
}

export function nodeByIp(sim: Sim, ip: string): { cluster: SimCluster; node: KubeObject } | undefined {
  for (const name of sim.clusterNames()) {
    const cluster = sim.cluster(name);
    const node = cluster.list('v1', 'Node').find((n) => internalIp(n) === ip);
    if (node) return { cluster, node };
  }
  return undefined;
}
