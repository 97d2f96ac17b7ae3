/**
 * The network the labs' requests travel: the kind Docker network with its node containers, the
 * pod network between nodes (kindnet's routes), and whatever listens on an address. A request is
 * sent from a node container (docker exec) or a pod and goes to
 * - a front door registered by a model: a LoadBalancer IP (l4-load-balancer.ts), a Gateway
 *   address (gateway-api.ts);
 * - a node's address: kube-proxy's health check (`healthCheckNodePort`, `:10256/healthz`) and
 *   NodePorts;
 * - a pod's address: the application a pod app model says the pod runs (nginx-pod.ts, the
 *   ingress-nginx controller in ingress-nginx.ts);
 * and fails as curl would (no route, connection refused, timeout) when nothing answers.
 *
 * Pod traffic between two nodes needs the pod routes kindnet installs; `podRoutes: false` takes
 * them away (packets to a pod on another node are lost), the classic broken CNI.
 */
import { isIP } from 'node:net';
import type { KubeObject } from '../../../src/core/seams.js';
import type { Sim, SimCluster } from '../apiserver.js';
import type { SimResponse } from '../../checks/sampler-sim.js';
import { isNodeReady, nodeByIp, nodeNameOf, podByIp, readyEndpointPods } from './cluster-view.js';
import type { NodeContainers } from './node-containers.js';
import { isNginxPod, nginxResponse } from './nginx-pod.js';
import { seededRandom } from '../../support/random.js';

export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** curl --resolve: the address to connect to instead of the URL's host. */
  resolve?: string;
}

/** A request as it arrives somewhere: the address and port connected to, the Host and the path. */
export interface Arrival extends HttpRequest {
  ip: string;
  port: number;
  host: string;
  path: string;
}

/** Where a request starts: a node container, or a pod (then its node is where packets leave). */
export interface Origin {
  node?: string;
  pod?: { cluster: string; namespace: string; name: string };
}

export type FrontDoor = (arrival: Arrival, net: Network) => SimResponse | undefined;
export type PodApp = (cluster: SimCluster, pod: KubeObject, arrival: Arrival, net: Network) => SimResponse | undefined;

export interface NetworkOptions {
  /** kindnet's routes between nodes' pod CIDRs (default true). */
  podRoutes?: boolean;
  random?: () => number;
}

export interface Network {
  readonly sim: Sim;
  readonly containers: NodeContainers;
  random(): number;
  addFrontDoor(door: FrontDoor): void;
  addPodApp(app: PodApp): void;
  /** Sends one HTTP request from `origin`. */
  http(origin: Origin, req: HttpRequest): SimResponse;
  /** A connection from node `fromNode` (a node container's name) to a pod's port. */
  toPod(fromNode: string | undefined, cluster: SimCluster, pod: KubeObject, arrival: Arrival): SimResponse;
  /** Whether an ICMP echo from `origin` reaches `ip` and comes back. */
  ping(origin: Origin, ip: string): boolean;
  /** Whether a node container runs. */
  nodeUp(node: string): boolean;
}

export { seededRandom };

export const timedOut = (ms: number, what: string): SimResponse => ({ exit: 28, error: `curl: (28) ${what} timed out after ${ms} milliseconds`, timeMs: ms });
export const refused = (ip: string, port: number): SimResponse => ({ exit: 7, error: `curl: (7) Failed to connect to ${ip} port ${port} after 0 ms: Couldn't connect to server`, timeMs: 0 });
export const noRoute = (ip: string, port: number): SimResponse => ({ exit: 7, error: `curl: (7) Failed to connect to ${ip} port ${port} after 3071 ms: No route to host`, timeMs: 3071 });
export const emptyReply = (): SimResponse => ({ exit: 52, error: 'curl: (52) Empty reply from server', timeMs: 1 });

function arrivalOf(req: HttpRequest): Arrival | { failure: SimResponse } {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return { failure: { exit: 3, error: `curl: (3) URL rejected: Malformed input to a URL function` } };
  }
  const hostHeader = Object.entries(req.headers).find(([k]) => k.toLowerCase() === 'host')?.[1];
  const urlHost = url.hostname.replace(/^\[|\]$/g, '');
  const ip = req.resolve ?? (urlHost === 'localhost' ? '127.0.0.1' : urlHost);
  return {
    ...req,
    ip,
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    host: (hostHeader ?? url.host).replace(/:\d+$/, ''),
    path: `${url.pathname}${url.search}`,
  };
}

export function createNetwork(sim: Sim, containers: NodeContainers, opts: NetworkOptions = {}): Network {
  const doors: FrontDoor[] = [];
  const apps: PodApp[] = [];
  const random = opts.random ?? seededRandom();
  const podRoutes = opts.podRoutes ?? true;

  const nodeUp = (node: string) => containers.isRunning(node);

  /** The node a request leaves from. */
  const originNode = (origin: Origin): string | undefined => {
    if (origin.node) return origin.node;
    if (origin.pod && sim.hasCluster(origin.pod.cluster)) {
      const pod = sim.cluster(origin.pod.cluster).get('v1', 'Pod', origin.pod.name, origin.pod.namespace);
      return pod ? nodeNameOf(pod) : undefined;
    }
    return undefined;
  };

  /** Whether packets from a node reach a pod: its node runs, and a route exists when it is another node. */
  const podReachable = (fromNode: string | undefined, pod: KubeObject) => {
    const target = nodeNameOf(pod);
    if (!target || !nodeUp(target)) return false;
    return podRoutes || fromNode === undefined || fromNode === target;
  };

  const nodeByName = (name: string) => {
    for (const c of sim.clusterNames()) {
      const node = sim.cluster(c).get('v1', 'Node', name);
      if (node) return { cluster: sim.cluster(c), node };
    }
    return undefined;
  };

  const net: Network = {
    sim,
    containers,
    random,
    nodeUp,
    addFrontDoor: (door) => void doors.push(door),
    addPodApp: (app) => void apps.push(app),

    toPod(fromNode, cluster, pod, arrival) {
      if (!podReachable(fromNode, pod)) return timedOut(arrival.timeoutMs, 'Connection');
      if ((pod.status as { phase?: string } | undefined)?.phase !== 'Running') return refused(arrival.ip, arrival.port);
      // A node that just started: its kubelet has not restarted the pod's containers yet.
      if (containers.isRestarting(nodeNameOf(pod) ?? '')) return refused(arrival.ip, arrival.port);
      for (const app of apps) {
        const r = app(cluster, pod, arrival, net);
        if (r) return r;
      }
      if (isNginxPod(pod) && arrival.port === 80) return nginxResponse(cluster, pod, arrival.path);
      return refused(arrival.ip, arrival.port);
    },

    http(origin, req) {
      const arrival = arrivalOf(req);
      if ('failure' in arrival) return arrival.failure;
      if (!isIP(arrival.ip)) return { exit: 6, error: `curl: (6) Could not resolve host: ${arrival.ip}` };
      const from = originNode(origin);
      for (const door of doors) {
        const r = door(arrival, net);
        if (r) return r;
      }
      // Loopback in a node container is the node itself.
      const self = arrival.ip === '127.0.0.1' && origin.node ? nodeByName(origin.node) : undefined;
      const node = self ?? nodeByIp(sim, arrival.ip);
      if (node) return nodePort(node.cluster, node.node, arrival);
      const pod = podByIp(sim, arrival.ip);
      if (pod) return net.toPod(from, pod.cluster, pod.pod, arrival);
      return noRoute(arrival.ip, arrival.port);
    },

    ping(origin, ip) {
      const from = originNode(origin);
      const node = nodeByIp(sim, ip);
      if (node) return nodeUp(node.node.metadata.name);
      const pod = podByIp(sim, ip);
      if (pod) return podReachable(from, pod.pod);
      return false;
    },
  };

  /** What listens on a node's address: kube-proxy's health checks and the NodePorts. */
  const nodePort = (cluster: SimCluster, node: KubeObject, arrival: Arrival): SimResponse => {
    const name = node.metadata.name;
    if (!nodeUp(name)) return noRoute(arrival.ip, arrival.port);
    if (arrival.port === 10256 && arrival.path.startsWith('/healthz')) {
      return isNodeReady(node) ? { status: 200, body: '{"lastUpdated": "", "currentTime": ""}', timeMs: 1 } : { status: 503, body: '', timeMs: 1 };
    }
    for (const svc of cluster.list('v1', 'Service')) {
      const spec = svc.spec as { healthCheckNodePort?: number; externalTrafficPolicy?: string; ports?: Array<{ nodePort?: number; targetPort?: number | string; port: number }> };
      if (spec.healthCheckNodePort === arrival.port) {
        // kube-proxy answers for Services with externalTrafficPolicy: Local: 200 with local endpoints, 503 without.
        const local = readyEndpointPods(cluster, svc).filter((p) => nodeNameOf(p) === name).length;
        const body = JSON.stringify({ service: { namespace: svc.metadata.namespace, name: svc.metadata.name }, localEndpoints: local, serviceProxyHealthy: true });
        return { status: local > 0 ? 200 : 503, body, headers: { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' }, timeMs: 1 };
      }
      const port = spec.ports?.find((p) => p.nodePort === arrival.port);
      if (port) {
        const endpoints = readyEndpointPods(cluster, svc).filter((p) => spec.externalTrafficPolicy !== 'Local' || nodeNameOf(p) === name);
        const target = endpoints[Math.floor(random() * endpoints.length)];
        if (!target) return spec.externalTrafficPolicy === 'Local' ? timedOut(arrival.timeoutMs, 'Connection') : refused(arrival.ip, arrival.port);
        const targetPort = typeof port.targetPort === 'number' ? port.targetPort : port.port;
        return net.toPod(name, cluster, target, { ...arrival, port: targetPort });
      }
    }
    return refused(arrival.ip, arrival.port);
  };

  return net;
}
