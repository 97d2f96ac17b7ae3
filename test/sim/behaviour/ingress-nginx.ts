/**
 * ingress-nginx (controller v1.15), as far as the labs see it:
 * - the controller publishes its Service's load-balancer address in the status of every Ingress of
 *   its class (IngressClass with spec.controller k8s.io/ingress-nginx), once one of its pods is ready;
 * - a controller pod routes each request by Host and path over the Ingresses of its class: the
 *   longest matching path of the rule for the host; no rule: the default backend's 404; a backend
 *   Service without ready endpoints: 503; then a random ready endpoint of the backend Service;
 * - canary Ingresses (`nginx.ingress.kubernetes.io/canary: "true"`) for the same host and path
 *   take a request with probability canary-weight / canary-weight-total (default total 100).
 *
 * `honourCanary: false` is a controller that does not know the canary annotations (another
 * controller, or a release before them): the canary Ingress is then one more Ingress for the same
 * host and path, and the oldest one wins, as ingress-nginx resolves such duplicates.
 */
import type { KubeObject } from '../../../src/core/seams.js';
import type { Sim, SimCluster } from '../apiserver.js';
import { deepEqual } from '../patches.js';
import { isPodReady } from '../pods.js';
import type { SimResponse } from '../../checks/sampler-sim.js';
import { attachToClusters } from './attach.js';
import { listOf, readyEndpointPods } from './cluster-view.js';
import { nginxErrorPage } from './nginx-pod.js';
import type { Arrival, Network, PodApp } from './network.js';

export const INGRESS_NGINX_CONTROLLER = 'k8s.io/ingress-nginx';
const CANARY = 'nginx.ingress.kubernetes.io/canary';
const WEIGHT = 'nginx.ingress.kubernetes.io/canary-weight';
const WEIGHT_TOTAL = 'nginx.ingress.kubernetes.io/canary-weight-total';

export interface IngressNginxOptions {
  honourCanary?: boolean;
}

interface IngressPath {
  path?: string;
  pathType?: string;
  backend?: { service?: { name: string; port?: { number?: number; name?: string } } };
}
interface IngressRule {
  host?: string;
  http?: { paths?: IngressPath[] };
}

export function isIngressNginxPod(pod: KubeObject): boolean {
  const l = pod.metadata.labels ?? {};
  return l['app.kubernetes.io/name'] === 'ingress-nginx' && l['app.kubernetes.io/component'] === 'controller';
}

function classNames(cluster: SimCluster): string[] {
  return listOf(cluster, 'networking.k8s.io/v1', 'IngressClass')
    .filter((c) => (c.spec as { controller?: string } | undefined)?.controller === INGRESS_NGINX_CONTROLLER)
    .map((c) => c.metadata.name);
}

function ingressesOfClass(cluster: SimCluster): KubeObject[] {
  const classes = classNames(cluster);
  return listOf(cluster, 'networking.k8s.io/v1', 'Ingress').filter((i) => {
    const cls = (i.spec as { ingressClassName?: string } | undefined)?.ingressClassName ?? i.metadata.annotations?.['kubernetes.io/ingress.class'];
    return cls !== undefined && classes.includes(cls);
  });
}

/** The controller's Service (the chart's publish-service): a LoadBalancer selecting controller pods. */
function controllerService(cluster: SimCluster): KubeObject | undefined {
  return cluster
    .list('v1', 'Service')
    .find((s) => {
      const sel = (s.spec as { selector?: Record<string, string>; type?: string }).selector ?? {};
      return sel['app.kubernetes.io/component'] === 'controller' && sel['app.kubernetes.io/name'] === 'ingress-nginx' && (s.spec as { type?: string }).type === 'LoadBalancer';
    });
}

// ---------------------------------------------------------------- status

function resync(cluster: SimCluster): void {
  const svc = controllerService(cluster);
  const ready = svc ? readyEndpointPods(cluster, svc).length > 0 : false;
  const lb = (svc?.status as { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> } } | undefined)?.loadBalancer?.ingress ?? [];
  const published = ready ? lb.filter((i) => i.ip || i.hostname).map((i) => (i.ip ? { ip: i.ip } : { hostname: i.hostname })) : [];
  for (const ing of ingressesOfClass(cluster)) {
    const current = (ing.status as { loadBalancer?: { ingress?: unknown[] } } | undefined)?.loadBalancer?.ingress ?? [];
    // A controller that is not running leaves the last published address in place.
    if (!ready || deepEqual(current, published)) continue;
    cluster.updateStatus({ ...ing, status: { loadBalancer: { ingress: published } } });
  }
}

export function ingressNginxController(sim: Sim): () => void {
  return attachToClusters(sim, {
    interested: (e) => ['Ingress', 'IngressClass', 'Service', 'Pod'].includes(e.object.kind),
    resync,
  });
}

// ---------------------------------------------------------------- routing

function hostMatches(ruleHost: string | undefined, host: string): boolean {
  if (!ruleHost) return true;
  if (ruleHost.startsWith('*.')) return host.endsWith(ruleHost.slice(1)) && host.split('.').length === ruleHost.split('.').length;
  return ruleHost.toLowerCase() === host.toLowerCase();
}

/** Length of the match of an Ingress path against the request path, or -1. */
function pathMatch(p: IngressPath, path: string): number {
  const want = p.path ?? '/';
  const clean = path.split('?')[0] ?? '/';
  if (p.pathType === 'Exact') return clean === want ? want.length : -1;
  if (want === '/') return 1;
  const base = want.replace(/\/+$/, '');
  return clean === base || clean.startsWith(`${base}/`) ? base.length : -1;
}

interface Match {
  ingress: KubeObject;
  path: IngressPath;
  length: number;
}

function bestMatch(ingresses: KubeObject[], host: string, path: string): Match | undefined {
  let best: Match | undefined;
  for (const ingress of ingresses) {
    for (const rule of (ingress.spec as { rules?: IngressRule[] }).rules ?? []) {
      if (!hostMatches(rule.host, host)) continue;
      for (const p of rule.http?.paths ?? []) {
        const length = pathMatch(p, path);
        if (length >= 0 && (!best || length > best.length)) best = { ingress, path: p, length };
      }
    }
  }
  return best;
}

const created = (o: KubeObject) => o.metadata.creationTimestamp ?? '';

export function ingressNginxRouter(opts: IngressNginxOptions = {}): PodApp {
  const honourCanary = opts.honourCanary ?? true;
  return (cluster: SimCluster, pod: KubeObject, arrival: Arrival, net: Network): SimResponse | undefined => {
    if (!isIngressNginxPod(pod)) return undefined;
    if (arrival.port !== 80 && arrival.port !== 443) return undefined;
    if (!isPodReady(pod)) return { exit: 7, error: `curl: (7) Failed to connect to ${arrival.ip} port ${arrival.port}: Connection refused` };
    const all = ingressesOfClass(cluster).sort((a, b) => created(a).localeCompare(created(b)));
    const isCanary = (i: KubeObject) => honourCanary && i.metadata.annotations?.[CANARY] === 'true';
    const main = bestMatch(all.filter((i) => !isCanary(i)), arrival.host, arrival.path);
    const headers = { server: 'nginx', 'content-type': 'text/html' };
    if (!main) return { status: 404, body: nginxErrorPage(404, 'Not Found'), headers, timeMs: 1 };
    let chosen = main;
    const canary = bestMatch(all.filter(isCanary), arrival.host, arrival.path);
    if (canary && canary.path.path === main.path.path) {
      const weight = Number(canary.ingress.metadata.annotations?.[WEIGHT] ?? 0) || 0;
      const total = Number(canary.ingress.metadata.annotations?.[WEIGHT_TOTAL] ?? 100) || 100;
      if (net.random() * total < weight) chosen = canary;
    }
    const backend = chosen.path.backend?.service;
    const svc = backend ? cluster.get('v1', 'Service', backend.name, chosen.ingress.metadata.namespace) : undefined;
    const endpoints = svc ? readyEndpointPods(cluster, svc) : [];
    const target = endpoints[Math.floor(net.random() * endpoints.length)];
    if (!svc || !target) return { status: 503, body: nginxErrorPage(503, 'Service Temporarily Unavailable'), headers, timeMs: 1 };
    const ports = (svc.spec as { ports?: Array<{ port: number; name?: string; targetPort?: number | string }> }).ports ?? [];
    const sp = ports.find((p) => p.port === backend?.port?.number || (backend?.port?.name !== undefined && p.name === backend.port.name)) ?? ports[0];
    const targetPort = typeof sp?.targetPort === 'number' ? sp.targetPort : (sp?.port ?? 80);
    const r = net.toPod((pod.spec as { nodeName?: string }).nodeName, cluster, target, { ...arrival, port: targetPort });
    // The proxy turns a failed upstream connection into a gateway error.
    if ('exit' in r) return { status: r.exit === 28 ? 504 : 502, body: nginxErrorPage(r.exit === 28 ? 504 : 502, r.exit === 28 ? 'Gateway Time-out' : 'Bad Gateway'), headers, timeMs: r.timeMs ?? 1 };
    return r;
  };
}
