/**
 * Pod routes between a lab's clusters (front matter `network: { podRoutes: true }`).
 *
 * One Istio network across several clusters means a pod in one cluster connects straight to a
 * pod IP of another. kind's CNI (kindnet) only routes the pod CIDRs of its own cluster's nodes,
 * and every kind cluster sits on the same `kind` Docker network, so the missing piece is one
 * static route per remote node on every node: `<remote node podCIDR> via <remote node IP>`.
 * That is what Istio's own kind CI does (istio/istio common/scripts/kind_provisioner.sh,
 * connect_kind_clusters).
 *
 * The routes live in the node containers' network namespaces and are lost when a node container
 * restarts, so `up` applies them after every start, reused clusters included; `ip route replace`
 * makes a second run a no-op instead of a "File exists" failure.
 */
import type { Clock, KubeClient, KubeObject, ProcessRunner } from '../../core/seams.js';
import { phaseError } from './run.js';
import { waitFor, type Progress } from './wait.js';

export const PHASE_INTERCONNECT = 'Routing pod traffic between clusters';
const NODE_INFO_TIMEOUT_MS = 2 * 60_000;

/** What routing needs to know about one node. */
export interface NodeNetwork {
  /** Node name, which is also its container name in kind. */
  name: string;
  /** IPv4 pod CIDRs the node controller gave the node. */
  podCIDRs: string[];
  /** The node's IPv4 InternalIP: its address on the kind Docker network. */
  address: string;
}

export interface ClusterNetwork {
  kindName: string;
  nodes: NodeNetwork[];
}

export interface NodeRoute {
  /** The node container the route is added in. */
  node: string;
  cidr: string;
  via: string;
}

const isIPv4 = (s: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(s);
const isIPv4Cidr = (s: string) => /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(s);

/** The node's IPv4 pod CIDRs and InternalIP, or undefined while either is still missing. */
export function nodeNetworkOf(node: KubeObject): NodeNetwork | undefined {
  const spec = (node.spec ?? {}) as { podCIDR?: string; podCIDRs?: string[] };
  const status = (node.status ?? {}) as { addresses?: Array<{ type?: string; address?: string }> };
  const cidrs = [...new Set([...(spec.podCIDRs ?? []), ...(spec.podCIDR ? [spec.podCIDR] : [])])].filter(isIPv4Cidr);
  const address = (status.addresses ?? []).find((a) => a.type === 'InternalIP' && typeof a.address === 'string' && isIPv4(a.address))?.address;
  if (cidrs.length === 0 || address === undefined) return undefined;
  return { name: node.metadata.name, podCIDRs: cidrs, address };
}

/** Every node gets a route to every pod CIDR of every node of the other clusters (never its own). */
export function planPodRoutes(clusters: readonly ClusterNetwork[]): NodeRoute[] {
  const routes: NodeRoute[] = [];
  for (const local of clusters) {
    const remote = clusters.filter((c) => c !== local).flatMap((c) => c.nodes);
    for (const node of local.nodes) {
      for (const peer of remote) for (const cidr of peer.podCIDRs) routes.push({ node: node.name, cidr, via: peer.address });
    }
  }
  return routes;
}

export interface InterconnectDeps {
  runner: ProcessRunner;
  docker: string;
  env: Record<string, string | undefined>;
  clock: Clock;
  signal?: AbortSignal;
  status: (message: string) => void;
  timeoutMs?: number;
}

export interface ClusterToConnect {
  kindName: string;
  kube: KubeClient;
  /** The node names kind created (all must be known before routing). */
  nodeNames: readonly string[];
}

function networksReady(names: readonly string[]) {
  return (objects: KubeObject[]): Progress => {
    const byName = new Map(objects.map((o) => [o.metadata.name, o]));
    const missing = names.filter((n) => {
      const o = byName.get(n);
      return o === undefined || nodeNetworkOf(o) === undefined;
    });
    return { done: missing.length === 0, found: missing.length === 0 ? 'all nodes have a pod CIDR and an address' : `no pod CIDR or InternalIP yet: ${missing.join(', ')}` };
  };
}

/**
 * Waits until every node of every cluster has a pod CIDR and an InternalIP (the node controller
 * assigns the CIDR shortly after the node registers), then adds the routes with `docker exec`.
 * Returns the routes it added.
 */
export async function connectPodNetworks(deps: InterconnectDeps, clusters: readonly ClusterToConnect[]): Promise<NodeRoute[]> {
  if (clusters.length < 2) return [];
  const networks = await Promise.all(
    clusters.map(async (c): Promise<ClusterNetwork> => {
      const nodes = await waitFor(c.kube, { apiVersion: 'v1', kind: 'Node' }, `pod CIDRs and addresses of the nodes of ${c.kindName}`, networksReady(c.nodeNames), {
        clock: deps.clock,
        timeoutMs: deps.timeoutMs ?? NODE_INFO_TIMEOUT_MS,
        phase: PHASE_INTERCONNECT,
        status: deps.status,
        ...(deps.signal ? { signal: deps.signal } : {}),
      });
      const byName = new Map(nodes.map((n) => [n.metadata.name, nodeNetworkOf(n)]));
      return { kindName: c.kindName, nodes: c.nodeNames.map((n) => byName.get(n) as NodeNetwork) };
    }),
  );

  const routes = planPodRoutes(networks);
  deps.status(`${PHASE_INTERCONNECT}: ${routes.length} routes on ${networks.reduce((n, c) => n + c.nodes.length, 0)} nodes`);
  const byNode = new Map<string, NodeRoute[]>();
  for (const r of routes) byNode.set(r.node, [...(byNode.get(r.node) ?? []), r]);
  // Nodes in parallel, each node's routes one after the other.
  await Promise.all(
    [...byNode.entries()].map(async ([node, list]) => {
      for (const r of list) {
        const result = await deps.runner.run(deps.docker, ['exec', node, 'ip', 'route', 'replace', r.cidr, 'via', r.via], {
          env: deps.env,
          timeoutMs: 30_000,
          ...(deps.signal ? { signal: deps.signal } : {}),
        });
        if (result.exitCode !== 0) {
          throw phaseError(PHASE_INTERCONNECT, `could not add the route to ${r.cidr} via ${r.via} on node ${node}`, {
            result,
            fix: 'Check that the node containers run (docker ps) and share the kind network (docker network inspect kind).',
          });
        }
      }
    }),
  );
  return routes;
}
