/**
 * cloud-provider-kind's built-in Gateway API implementation (controller
 * kind.sigs.k8s.io/gateway-controller), as far as the labs see it:
 * - while cloud-provider-kind runs and the Gateway API CRDs are installed, it owns the GatewayClass
 *   `cloud-provider-kind` (Accepted);
 * - a Gateway of that class gets an Envoy container on the kind network: its IP in
 *   status.addresses, Accepted and Programmed conditions, listener status with attached routes;
 * - an HTTPRoute whose parentRef names such a Gateway (allowed by the listener) gets a parent status:
 *   Accepted, and ResolvedRefs True or False/BackendNotFound when a backendRef names no Service;
 * - requests to the Gateway's IP are matched by hostname and path (longest PathPrefix), and each
 *   one goes to a backendRef chosen by weight (default 1, weight 0 never), then to a random ready
 *   endpoint of that Service. A backend that does not exist answers 500 for its share, a Service
 *   without ready endpoints 503 ("no healthy upstream"), as Envoy does.
 */
import type { KubeObject } from '../../../src/core/seams.js';
import type { Sim, SimCluster } from '../apiserver.js';
import { timestamp } from '../cluster.js';
import { deepEqual } from '../patches.js';
import type { SimResponse } from '../../checks/sampler-sim.js';
import { attachToClusters } from './attach.js';
import { getOf, listOf, readyEndpointPods } from './cluster-view.js';
import type { NodeContainers } from './node-containers.js';
import { refused, type Arrival, type FrontDoor, type Network } from './network.js';

export const GATEWAY_CLASS = 'cloud-provider-kind';
export const GATEWAY_CONTROLLER = 'kind.sigs.k8s.io/gateway-controller';
const GW = 'gateway.networking.k8s.io/v1';
const GROUP = 'gateway.networking.k8s.io';

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}
interface Listener {
  name: string;
  port: number;
  protocol?: string;
  hostname?: string;
  allowedRoutes?: { namespaces?: { from?: string } };
}
interface ParentRef {
  name: string;
  namespace?: string;
  sectionName?: string;
  port?: number;
}
interface BackendRef {
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
  kind?: string;
}
interface RouteRule {
  matches?: Array<{ path?: { type?: string; value?: string } }>;
  backendRefs?: BackendRef[];
}

function cond(type: string, ok: boolean, reason: string, gen: unknown, message = ''): Condition {
  const generation = typeof gen === 'number' ? gen : undefined;
  return { type, status: ok ? 'True' : 'False', reason, message, ...(generation !== undefined ? { observedGeneration: generation } : {}), lastTransitionTime: timestamp() };
}

/** Keeps lastTransitionTime of conditions whose status and reason did not change. */
function keepTimes(previous: Condition[] | undefined, next: Condition[]): Condition[] {
  return next.map((c) => {
    const old = previous?.find((p) => p.type === c.type);
    return old && old.status === c.status && old.reason === c.reason ? { ...c, lastTransitionTime: old.lastTransitionTime ?? c.lastTransitionTime } : c;
  });
}

function writeStatus(cluster: SimCluster, obj: KubeObject, status: Record<string, unknown>): void {
  if (deepEqual(obj.status, status)) return;
  cluster.updateStatus({ ...obj, status });
}

const gatewaysOfClass = (cluster: SimCluster) =>
  listOf(cluster, GW, 'Gateway').filter((g) => (g.spec as { gatewayClassName?: string }).gatewayClassName === GATEWAY_CLASS);

/** Routes attached to a Gateway (parentRef by name, namespace allowed by the listener). */
function attachedRoutes(cluster: SimCluster, gw: KubeObject, listener?: Listener): KubeObject[] {
  return listOf(cluster, GW, 'HTTPRoute').filter((r) =>
    ((r.spec as { parentRefs?: ParentRef[] }).parentRefs ?? []).some((p) => {
      if (p.name !== gw.metadata.name || (p.namespace ?? r.metadata.namespace) !== gw.metadata.namespace) return false;
      const listeners = ((gw.spec as { listeners?: Listener[] }).listeners ?? []).filter((l) => !listener || l.name === listener.name);
      return listeners.some((l) => (!p.sectionName || p.sectionName === l.name) && ((l.allowedRoutes?.namespaces?.from ?? 'Same') !== 'Same' || r.metadata.namespace === gw.metadata.namespace));
    }),
  );
}

function backendsResolve(cluster: SimCluster, route: KubeObject): boolean {
  return ((route.spec as { rules?: RouteRule[] }).rules ?? []).every((rule) =>
    (rule.backendRefs ?? []).every((b) => (b.kind ?? 'Service') === 'Service' && getOf(cluster, 'v1', 'Service', b.name, b.namespace ?? route.metadata.namespace) !== undefined),
  );
}

export interface GatewayControllerHandle {
  stop(): void;
  /** The Gateway (cluster and object) whose address is `ip`. */
  gatewayAt(ip: string): { cluster: SimCluster; gateway: KubeObject } | undefined;
}

export function cloudProviderKindGateways(sim: Sim, containers: NodeContainers): GatewayControllerHandle {
  const addresses = new Map<string, string>(); // cluster/ns/name -> IP
  let next = 10;
  const cpkRunning = () => containers.all().some((c) => /cloud-provider-kind/.test(c.image ?? '') && c.state === 'running');

  const resync = (cluster: SimCluster) => {
    if (!cpkRunning()) return;
    try {
      cluster.resource(GW, 'GatewayClass');
    } catch {
      return; // no Gateway API CRDs (yet)
    }
    let cls = getOf(cluster, GW, 'GatewayClass', GATEWAY_CLASS);
    if (!cls) cls = cluster.create({ apiVersion: GW, kind: 'GatewayClass', metadata: { name: GATEWAY_CLASS }, spec: { controllerName: GATEWAY_CONTROLLER, description: 'cloud-provider-kind gateway API' } });
    if ((cls.spec as { controllerName?: string }).controllerName === GATEWAY_CONTROLLER) {
      const conditions = keepTimes((cls.status as { conditions?: Condition[] } | undefined)?.conditions, [cond('Accepted', true, 'Accepted', cls.metadata.generation)]);
      writeStatus(cluster, cls, { conditions });
    }
    for (const gw of gatewaysOfClass(cluster)) {
      const key = `${cluster.name}/${gw.metadata.namespace}/${gw.metadata.name}`;
      let ip = addresses.get(key);
      if (!ip) {
        ip = `172.18.254.${next++}`;
        addresses.set(key, ip);
      }
      const generation = gw.metadata.generation;
      const old = gw.status as { conditions?: Condition[]; listeners?: Array<{ name: string; conditions?: Condition[] }> } | undefined;
      const listeners = ((gw.spec as { listeners?: Listener[] }).listeners ?? []).map((l) => ({
        name: l.name,
        supportedKinds: [{ group: GROUP, kind: 'HTTPRoute' }, { group: GROUP, kind: 'GRPCRoute' }],
        attachedRoutes: attachedRoutes(cluster, gw, l).length,
        conditions: keepTimes(old?.listeners?.find((x) => x.name === l.name)?.conditions, [
          cond('Accepted', true, 'Accepted', generation),
          cond('Programmed', true, 'Programmed', generation),
          cond('ResolvedRefs', true, 'ResolvedRefs', generation),
        ]),
      }));
      writeStatus(cluster, gw, {
        addresses: [{ type: 'IPAddress', value: ip }],
        conditions: keepTimes(old?.conditions, [cond('Accepted', true, 'Accepted', generation), cond('Programmed', true, 'Programmed', generation)]),
        listeners,
      });
    }
    for (const route of listOf(cluster, GW, 'HTTPRoute')) {
      const parents = ((route.spec as { parentRefs?: ParentRef[] }).parentRefs ?? []).flatMap((p) => {
        const gw = getOf(cluster, GW, 'Gateway', p.name, p.namespace ?? route.metadata.namespace);
        if (!gw || (gw.spec as { gatewayClassName?: string }).gatewayClassName !== GATEWAY_CLASS) return [];
        const old = ((route.status as { parents?: Array<{ parentRef: ParentRef; conditions?: Condition[] }> } | undefined)?.parents ?? []).find((x) => x.parentRef.name === p.name);
        const accepted = attachedRoutes(cluster, gw).some((r) => r.metadata.uid === route.metadata.uid);
        const resolved = backendsResolve(cluster, route);
        return [
          {
            parentRef: { group: GROUP, kind: 'Gateway', name: p.name, ...(p.namespace ? { namespace: p.namespace } : {}), ...(p.sectionName ? { sectionName: p.sectionName } : {}) },
            controllerName: GATEWAY_CONTROLLER,
            conditions: keepTimes(old?.conditions, [
              accepted ? cond('Accepted', true, 'Accepted', route.metadata.generation) : cond('Accepted', false, 'NotAllowedByListeners', route.metadata.generation),
              resolved
                ? cond('ResolvedRefs', true, 'ResolvedRefs', route.metadata.generation)
                : cond('ResolvedRefs', false, 'BackendNotFound', route.metadata.generation, 'backend not found'),
            ]),
          },
        ];
      });
      if (parents.length) writeStatus(cluster, route, { parents });
    }
  };

  const stop = attachToClusters(sim, {
    interested: (e) => ['GatewayClass', 'Gateway', 'HTTPRoute', 'Service', 'CustomResourceDefinition'].includes(e.object.kind),
    resync,
  });
  // cloud-provider-kind may start after the CRDs: look again now and then.
  const timer = setInterval(() => {
    if (!cpkRunning()) return;
    for (const name of sim.clusterNames()) {
      try {
        resync(sim.cluster(name));
      } catch {
        // a cluster going away meanwhile
      }
    }
  }, 250);
  timer.unref();

  return {
    stop: () => {
      stop();
      clearInterval(timer);
    },
    gatewayAt(ip) {
      for (const [key, value] of addresses) {
        if (value !== ip) continue;
        const [clusterName, namespace, name] = key.split('/') as [string, string, string];
        if (!sim.hasCluster(clusterName)) continue;
        const cluster = sim.cluster(clusterName);
        const gateway = getOf(cluster, GW, 'Gateway', name, namespace);
        if (gateway) return { cluster, gateway };
      }
      return undefined;
    },
  };
}

// ---------------------------------------------------------------- data path

function hostMatches(hostnames: string[] | undefined, host: string): boolean {
  if (!hostnames?.length) return true;
  return hostnames.some((h) => (h.startsWith('*.') ? host.endsWith(h.slice(1)) : h.toLowerCase() === host.toLowerCase()));
}

function prefixLength(rule: RouteRule, path: string): number {
  const clean = path.split('?')[0] ?? '/';
  const matches = rule.matches?.length ? rule.matches : [{ path: { type: 'PathPrefix', value: '/' } }];
  let best = -1;
  for (const m of matches) {
    const type = m.path?.type ?? 'PathPrefix';
    const value = m.path?.value ?? '/';
    if (type === 'Exact' && clean === value) best = Math.max(best, value.length + 1);
    else if (type === 'PathPrefix') {
      const base = value.replace(/\/+$/, '');
      if (base === '' || clean === base || clean.startsWith(`${base}/`)) best = Math.max(best, base.length);
    }
  }
  return best;
}

export function gatewayFrontDoor(handle: GatewayControllerHandle): FrontDoor {
  return (arrival: Arrival, net: Network): SimResponse | undefined => {
    const found = handle.gatewayAt(arrival.ip);
    if (!found) return undefined;
    const { cluster, gateway } = found;
    const listener = ((gateway.spec as { listeners?: Listener[] }).listeners ?? []).find((l) => l.port === arrival.port);
    if (!listener) return refused(arrival.ip, arrival.port);
    const headers = { server: 'envoy', 'content-type': 'text/plain' };
    let best: { route: KubeObject; rule: RouteRule; length: number } | undefined;
    for (const route of attachedRoutes(cluster, gateway, listener)) {
      if (!hostMatches((route.spec as { hostnames?: string[] }).hostnames, arrival.host)) continue;
      for (const rule of (route.spec as { rules?: RouteRule[] }).rules ?? []) {
        const length = prefixLength(rule, arrival.path);
        if (length >= 0 && (!best || length > best.length)) best = { route, rule, length };
      }
    }
    if (!best) return { status: 404, body: '', headers, timeMs: 1 };
    const refs = best.rule.backendRefs ?? [];
    const total = refs.reduce((t, b) => t + (b.weight ?? 1), 0);
    if (total <= 0) return { status: 500, body: '', headers, timeMs: 1 };
    let roll = net.random() * total;
    const ref = refs.find((b) => (roll -= b.weight ?? 1) < 0) ?? refs[refs.length - 1]!;
    const svc = getOf(cluster, 'v1', 'Service', ref.name, ref.namespace ?? best.route.metadata.namespace);
    if (!svc) return { status: 500, body: '', headers, timeMs: 1 };
    const endpoints = readyEndpointPods(cluster, svc);
    const target = endpoints[Math.floor(net.random() * endpoints.length)];
    if (!target) return { status: 503, body: 'no healthy upstream', headers, timeMs: 1 };
    const sp = ((svc.spec as { ports?: Array<{ port: number; targetPort?: number | string }> }).ports ?? []).find((p) => p.port === (ref.port ?? p.port));
    const targetPort = typeof sp?.targetPort === 'number' ? sp.targetPort : (sp?.port ?? 80);
    const r = net.toPod(undefined, cluster, target, { ...arrival, port: targetPort });
    if ('exit' in r) return { status: 503, body: 'upstream connect error or disconnect/reset before headers. reset reason: connection timeout', headers, timeMs: r.timeMs ?? 1 };
    return r;
  };
}
