/**
 * Routing decisions as an Envoy built from the cluster's Istio config would take them, per
 * request: which VirtualService applies to a host (for sidecars: those without `gateways` or with
 * `mesh`; for a gateway: those bound to it), the first http rule whose match fits (uri, headers,
 * method, sourceLabels), its fault, timeout and mirror, the weighted destination, and the subset's
 * labels from the DestinationRule. No VirtualService: the Service's endpoints, no subset.
 */
import type { KubeObject } from '../../../../src/core/seams.js';
import type { SimCluster } from '../../apiserver.js';
import { durationMs, listOf, nsOf, percentOf, serviceByName, specOf, type Obj } from './view.js';

export interface Misroutes {
  /** Rules whose match has header conditions never match (as if the proxy ignored header matches). */
  ignoreHeaderMatches?: boolean;
  /** mirror / mirrors are ignored. */
  ignoreMirror?: boolean;
  /** DestinationRule connectionPool limits are not enforced. */
  ignoreConnectionPool?: boolean;
}

export interface RouteRequest {
  method: string;
  path: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** Labels of the calling pod (for sourceLabels). */
  sourceLabels?: Record<string, string>;
  /** Gateway name (ns/name) for gateway routing; absent for sidecars ("mesh"). */
  gateway?: string;
}

export interface Destination {
  service: KubeObject;
  subset?: string;
  /** Labels of the subset (from the DestinationRule); {} without subset. */
  subsetLabels: Record<string, string>;
  /** The subset is named but no DestinationRule defines it. */
  unknownSubset?: boolean;
  port?: number;
}

export type Decision =
  | { kind: 'route'; destination: Destination; vs?: KubeObject; abort?: { status: number }; delayMs?: number; timeoutMs?: number; mirror?: Destination; rule?: number }
  | { kind: 'no-route'; vs: KubeObject }
  | { kind: 'no-host'; host: string };

type StringMatch = { exact?: string; prefix?: string; regex?: string };
interface HttpMatch {
  uri?: StringMatch;
  headers?: Record<string, StringMatch>;
  method?: StringMatch;
  sourceLabels?: Record<string, string>;
  gateways?: string[];
  ignoreUriCase?: boolean;
}
interface RouteDest {
  destination?: { host: string; subset?: string; port?: { number?: number } };
  weight?: number;
}
interface HttpRoute {
  match?: HttpMatch[];
  route?: RouteDest[];
  fault?: { delay?: { fixedDelay?: string; percentage?: { value?: number }; percent?: number }; abort?: { httpStatus?: number; percentage?: { value?: number }; percent?: number } };
  timeout?: string;
  mirror?: { host: string; subset?: string; port?: { number?: number } };
  mirrorPercentage?: { value?: number };
  mirrors?: Array<{ destination: { host: string; subset?: string; port?: { number?: number } }; percentage?: { value?: number } }>;
}

function matchString(m: StringMatch | undefined, value: string | undefined, ignoreCase = false): boolean {
  if (!m) return true;
  if (value === undefined) return false;
  const v = ignoreCase ? value.toLowerCase() : value;
  if (m.exact !== undefined) return v === (ignoreCase ? m.exact.toLowerCase() : m.exact);
  if (m.prefix !== undefined) return v.startsWith(ignoreCase ? m.prefix.toLowerCase() : m.prefix);
  if (m.regex !== undefined) return new RegExp(`^(?:${m.regex})$`).test(value);
  return true;
}

function matches(m: HttpMatch, req: RouteRequest, mis: Misroutes): boolean {
  const path = req.path.split('?')[0] ?? '/';
  if (!matchString(m.uri, path, m.ignoreUriCase)) return false;
  if (!matchString(m.method, req.method)) return false;
  if (m.headers && Object.keys(m.headers).length) {
    if (mis.ignoreHeaderMatches) return false;
    for (const [name, sm] of Object.entries(m.headers)) if (!matchString(sm, req.headers[name.toLowerCase()])) return false;
  }
  if (m.sourceLabels) {
    const labels = req.sourceLabels ?? {};
    if (!Object.entries(m.sourceLabels).every(([k, v]) => labels[k] === v)) return false;
  }
  if (m.gateways?.length && !m.gateways.includes(req.gateway ?? 'mesh')) return false;
  return true;
}

/** "reviews" in namespace default, "reviews.default", "reviews.default.svc.cluster.local" are one host. */
export function hostKey(host: string, ns: string): string {
  const parts = host.toLowerCase().split('.');
  return parts.length === 1 ? `${parts[0]}.${ns}` : `${parts[0]}.${parts[1]}`;
}

const byAge = (a: KubeObject, b: KubeObject) => String(a.metadata.creationTimestamp ?? '').localeCompare(String(b.metadata.creationTimestamp ?? '')) || a.metadata.name.localeCompare(b.metadata.name);

/** VirtualServices for a mesh host (sidecar routing): no gateways, or "mesh" among them. */
export function meshVirtualService(cluster: SimCluster, svc: KubeObject): KubeObject | undefined {
  const key = hostKey(svc.metadata.name, nsOf(svc));
  return listOf(cluster, 'networking.istio.io/v1', 'VirtualService')
    .filter((vs) => {
      const spec = specOf<{ hosts?: string[]; gateways?: string[] }>(vs);
      const gws = spec.gateways ?? [];
      if (gws.length && !gws.includes('mesh')) return false;
      return (spec.hosts ?? []).some((h) => h !== '*' && hostKey(h, nsOf(vs)) === key);
    })
    .sort(byAge)[0];
}

/** VirtualServices bound to a gateway (ns/name) whose hosts cover the request's Host. */
export function gatewayVirtualServices(cluster: SimCluster, gateway: { name: string; namespace: string }, host: string): KubeObject[] {
  const h = host.toLowerCase().replace(/:\d+$/, '');
  return listOf(cluster, 'networking.istio.io/v1', 'VirtualService')
    .filter((vs) => {
      const spec = specOf<{ hosts?: string[]; gateways?: string[] }>(vs);
      const bound = (spec.gateways ?? []).some((g) => (g.includes('/') ? g === `${gateway.namespace}/${gateway.name}` : nsOf(vs) === gateway.namespace && g === gateway.name));
      const hostOk = (spec.hosts ?? []).some((x) => x === '*' || x.toLowerCase() === h || (x.startsWith('*.') && h.endsWith(x.slice(1))));
      return bound && hostOk;
    })
    .sort(byAge);
}

/** The DestinationRule for a Service (in the caller's namespace first, then the Service's). */
export function destinationRuleFor(cluster: SimCluster, svc: KubeObject, callerNs?: string): KubeObject | undefined {
  const key = hostKey(svc.metadata.name, nsOf(svc));
  const rules = listOf(cluster, 'networking.istio.io/v1', 'DestinationRule').filter((dr) => hostKey(specOf<{ host?: string }>(dr).host ?? '', nsOf(dr)) === key);
  return rules.find((r) => nsOf(r) === callerNs) ?? rules.find((r) => nsOf(r) === nsOf(svc)) ?? rules.sort(byAge)[0];
}

export function subsetLabels(cluster: SimCluster, svc: KubeObject, subset: string | undefined, callerNs?: string): { labels: Record<string, string>; unknown: boolean } {
  if (!subset) return { labels: {}, unknown: false };
  const dr = destinationRuleFor(cluster, svc, callerNs);
  const s = (specOf<{ subsets?: Array<{ name: string; labels?: Record<string, string> }> }>(dr ?? ({ metadata: { name: '' } } as KubeObject)).subsets ?? []).find((x) => x.name === subset);
  return s ? { labels: s.labels ?? {}, unknown: false } : { labels: {}, unknown: true };
}

export interface ConnectionPool {
  maxConnections: number;
  maxPending: number;
  maxRequestsPerConnection: number;
}

/** trafficPolicy.connectionPool of the DestinationRule (Envoy's defaults where not set). */
export function connectionPoolFor(cluster: SimCluster, svc: KubeObject, callerNs: string, mis: Misroutes): ConnectionPool {
  const unlimited = { maxConnections: Number.MAX_SAFE_INTEGER, maxPending: Number.MAX_SAFE_INTEGER, maxRequestsPerConnection: 0 };
  const dr = destinationRuleFor(cluster, svc, callerNs);
  if (!dr || mis.ignoreConnectionPool) return unlimited;
  const pool = specOf<{ trafficPolicy?: { connectionPool?: { tcp?: { maxConnections?: number }; http?: { http1MaxPendingRequests?: number; maxRequestsPerConnection?: number } } } }>(dr).trafficPolicy?.connectionPool;
  return {
    maxConnections: pool?.tcp?.maxConnections ?? unlimited.maxConnections,
    maxPending: pool?.http?.http1MaxPendingRequests ?? unlimited.maxPending,
    maxRequestsPerConnection: pool?.http?.maxRequestsPerConnection ?? 0,
  };
}

function destinationOf(cluster: SimCluster, d: { host: string; subset?: string; port?: { number?: number } }, vsNs: string, callerNs: string): Destination | undefined {
  const svc = serviceByName(cluster, d.host, vsNs);
  if (!svc) return undefined;
  const sub = subsetLabels(cluster, svc, d.subset, callerNs);
  return { service: svc, ...(d.subset ? { subset: d.subset } : {}), subsetLabels: sub.labels, ...(sub.unknown ? { unknownSubset: true } : {}), ...(d.port?.number ? { port: d.port.number } : {}) };
}

function pickWeighted(routes: RouteDest[], random: () => number): RouteDest | undefined {
  if (routes.length <= 1) return routes[0];
  const weights = routes.map((r) => r.weight ?? (routes.length === 1 ? 100 : 0));
  const total = weights.reduce((a, b) => a + b, 0);
  if (total <= 0) return routes[0];
  let x = random() * total;
  for (let i = 0; i < routes.length; i++) {
    x -= weights[i] as number;
    if (x < 0) return routes[i];
  }
  return routes.at(-1);
}

/** Applies one VirtualService to a request: the decision of the first rule that matches. */
export function applyVirtualService(cluster: SimCluster, vs: KubeObject, req: RouteRequest, callerNs: string, random: () => number, mis: Misroutes): Decision {
  const rules = specOf<{ http?: HttpRoute[] }>(vs).http ?? [];
  for (const [i, rule] of rules.entries()) {
    if (rule.match?.length && !rule.match.some((m) => matches(m, req, mis))) continue;
    const chosen = pickWeighted(rule.route ?? [], random);
    if (!chosen?.destination) return { kind: 'no-route', vs };
    const destination = destinationOf(cluster, chosen.destination, nsOf(vs), callerNs);
    if (!destination) return { kind: 'no-host', host: chosen.destination.host };
    const decision: Extract<Decision, { kind: 'route' }> = { kind: 'route', destination, vs, rule: i };
    const abort = rule.fault?.abort;
    if (abort?.httpStatus && random() * 100 < percentOf(abort)) decision.abort = { status: abort.httpStatus };
    const delay = rule.fault?.delay;
    const delayMs = durationMs(delay?.fixedDelay);
    if (delayMs && random() * 100 < percentOf(delay)) decision.delayMs = delayMs;
    const timeout = durationMs(rule.timeout);
    if (timeout) decision.timeoutMs = timeout;
    if (!mis.ignoreMirror) {
      const mirrors = rule.mirrors?.length ? rule.mirrors.map((m) => ({ d: m.destination, pct: percentOf(m) })) : rule.mirror ? [{ d: rule.mirror, pct: rule.mirrorPercentage?.value ?? 100 }] : [];
      for (const m of mirrors) {
        if (random() * 100 >= m.pct) continue;
        const md = destinationOf(cluster, m.d, nsOf(vs), callerNs);
        if (md) decision.mirror = md;
      }
    }
    return decision;
  }
  return { kind: 'no-route', vs };
}

/** Sidecar routing for a call to a Service: its mesh VirtualService, or straight to its endpoints. */
export function routeInMesh(cluster: SimCluster, svc: KubeObject, req: RouteRequest, callerNs: string, random: () => number, mis: Misroutes): Decision {
  const vs = meshVirtualService(cluster, svc);
  if (!vs) return { kind: 'route', destination: { service: svc, subsetLabels: {} } };
  return applyVirtualService(cluster, vs, req, callerNs, random, mis);
}

export type { Obj };
