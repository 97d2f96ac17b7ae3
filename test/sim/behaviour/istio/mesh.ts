/**
 * The data path of an Istio mesh in the sim: an HTTP request from a node container or a pod travels
 * the way it would through kube-proxy, the ingress gateway and the sidecars, driven by the objects
 * in the sim's store:
 *
 *   node/pod ──► LoadBalancer IP / cluster IP / pod IP / DNS name (pods only) / localhost
 *     ├─ caller has a sidecar: outbound routing (routing.ts: VirtualService, DestinationRule,
 *     │   faults, timeouts, mirroring) picks a subset and an endpoint
 *     ├─ else kube-proxy: any ready endpoint of the Service
 *     └─ the endpoint is an ingress gateway pod: its Gateway servers and bound VirtualServices route
 *   endpoint pod ──► its sidecar (inbound) ──► the app model serving that pod (apps/*.ts)
 *
 * Every proxy on the way writes what the real one would: istio_requests_total (metrics.ts), an
 * access log line (logs.ts, demo profile), a span when a Telemetry enables tracing (tracing.ts),
 * its Envoy counters (envoy-stats.ts). Time is simulated: each response says how long it took
 * (hops, app work, injected delays, timeouts), nothing sleeps. Randomness (weights, fault
 * percentages, endpoint choice) comes from a seeded generator, so runs repeat.
 */
import { isIP } from 'node:net';
import type { KubeObject } from '../../../../src/core/seams.js';
import type { Sim, SimCluster } from '../../apiserver.js';
import { EnvoyStats } from './envoy-stats.js';
import { envoyAccessLine, LogStore } from './logs.js';
import { MetricStore } from './metrics.js';
import { applyVirtualService, gatewayVirtualServices, routeInMesh, type Decision, type Misroutes } from './routing.js';
import { GatewayPushes } from './xds-push.js';
import { backendUp, contextOf, SpanStore, spanServiceOf, tracingFor, withContext, type TraceContext } from './tracing.js';
import {
  endpointsOf,
  fqdn,
  getOf,
  hasSidecar,
  labelsOf,
  listOf,
  meshConfigOf,
  nsOf,
  podByIp,
  podIp,
  portsOf,
  serviceByClusterIp,
  serviceByLoadBalancerIp,
  serviceByName,
  specOf,
  targetPortOf,
  type ServicePort,
} from './view.js';

export interface HttpRequest {
  method: string;
  url: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  body?: string;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  timeMs: number;
}

/** No HTTP response: curl's exit code and message. */
export interface NoResponse {
  exit: number;
  error: string;
  timeMs: number;
}

export type Outcome = HttpResponse | NoResponse;
export const isResponse = (o: Outcome): o is HttpResponse => 'status' in o;

/** Where a request starts: a node container (docker exec) or a pod (kubectl exec). */
export interface Origin {
  cluster: string;
  node?: string;
  pod?: KubeObject;
}

/** Misbehaviours a test can switch on to see the right checkpoint fail. */
export interface Misbehaviour extends Misroutes {
  /** The proxies report no metrics (nothing reaches Prometheus). */
  noMetrics?: boolean;
  /** Telemetry resources have no effect: no proxy traces. */
  ignoreTelemetry?: boolean;
  /** Applications do not forward trace headers (every hop starts a new trace). */
  dropTraceHeaders?: boolean;
}

export interface AppRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: string;
  port: number;
}

export interface AppResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Time the app took, including its own calls (default 1 ms). */
  timeMs?: number;
}

export interface AppContext {
  mesh: Mesh;
  cluster: SimCluster;
  clusterName: string;
  pod: KubeObject;
  /**
   * A call the app makes (through its sidecar, if it has one). With timeoutMs the app gives up
   * then: a slower answer becomes curl-like exit 28 after exactly timeoutMs.
   */
  call(url: string, opts?: { headers?: Record<string, string>; timeoutMs?: number; method?: string }): Outcome;
}

export interface AppModel {
  name: string;
  /** The model serves this pod on this port (undefined: the pod runs something else). */
  serves(pod: KubeObject, port: number): boolean;
  handle(ctx: AppContext, req: AppRequest): AppResponse;
}

const HOP_MS = 0.2;
const PROXY_MS = 0.3;

const hex = (random: () => number, n: number) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');

export interface MeshOptions {
  random: () => number;
  misbehave?: Misbehaviour;
  apps: AppModel[];
  clock?: () => number;
  /** How long after its creation a Gateway's listeners reach the gateway pods (xds-push.ts; default 3 s, 0: at once). */
  gatewayPushMs?: number;
}

export class Mesh {
  readonly metrics: MetricStore;
  readonly logs = new LogStore();
  readonly stats = new EnvoyStats();
  readonly spans = new SpanStore();
  readonly misbehave: Misbehaviour;
  readonly random: () => number;
  private readonly apps: AppModel[];
  readonly clock: () => number;
  private readonly pushes: GatewayPushes | undefined;

  constructor(
    readonly sim: Sim,
    opts: MeshOptions,
  ) {
    this.random = opts.random;
    this.misbehave = opts.misbehave ?? {};
    this.apps = opts.apps;
    this.clock = opts.clock ?? Date.now;
    this.metrics = new MetricStore(this.clock);
    const pushMs = opts.gatewayPushMs ?? 3000;
    this.pushes = pushMs > 0 ? new GatewayPushes(sim, this.clock, pushMs) : undefined;
  }

  stop(): void {
    this.pushes?.stop();
  }

  uuid(): string {
    const h = hex(this.random, 32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[Math.floor(this.random() * 4)]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  /** A request from a node or pod; `timeoutMs` is the client's own limit (curl --max-time). */
  request(from: Origin, req: HttpRequest, timeoutMs?: number): Outcome {
    let out: Outcome;
    try {
      out = this.send(from, req);
    } catch (e) {
      // A bug in a model, not cluster behaviour: make it loud, and let the request fail.
      console.error('sim mesh: request failed:', req.method, req.url, e);
      out = { exit: 7, error: `curl: (7) sim mesh failed: ${(e as Error).message}`, timeMs: 1 };
    }
    if (timeoutMs !== undefined && out.timeMs > timeoutMs) {
      return { exit: 28, error: `curl: (28) Operation timed out after ${Math.round(timeoutMs)} milliseconds with 0 bytes received`, timeMs: timeoutMs };
    }
    return out;
  }

  private send(from: Origin, req: HttpRequest): Outcome {
    const cluster = this.sim.cluster(from.cluster);
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return { exit: 3, error: `curl: (3) URL rejected: Malformed input to a URL function`, timeMs: 0 };
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const headers = { ...req.headers, host: req.headers.host ?? url.host };
    const path = `${url.pathname}${url.search}`;
    const refused = { exit: 7, error: `curl: (7) Failed to connect to ${host} port ${port} after 0 ms: Couldn't connect to server`, timeMs: 0.5 };
    const r: HttpRequest = { ...req, headers };

    if (host === 'localhost' || host === '127.0.0.1') {
      if (!from.pod) return refused;
      return this.serveApp(cluster, from.cluster, from.pod, port, path, r) ?? refused;
    }

    let svc: KubeObject | undefined;
    if (isIP(host)) {
      svc = serviceByLoadBalancerIp(cluster, host) ?? serviceByClusterIp(cluster, host);
      if (!svc) {
        const pod = podByIp(cluster, host);
        if (!pod) return { exit: 7, error: `curl: (7) Failed to connect to ${host} port ${port} after 3000 ms: No route to host`, timeMs: 3000 };
        return this.inbound(cluster, from.cluster, pod, port, path, r, from.pod) ?? refused;
      }
    } else {
      // Cluster DNS names only resolve inside pods; a node container uses the host's resolver.
      svc = from.pod ? serviceByName(cluster, host, nsOf(from.pod)) : undefined;
      if (!svc) return { exit: 6, error: `curl: (6) Could not resolve host: ${host}`, timeMs: 1 };
    }
    const sp = portsOf(svc).find((p) => p.port === port);
    if (!sp) return refused;
    if (from.pod && hasSidecar(from.pod)) return this.sidecarOutbound(cluster, from.cluster, from.pod, svc, sp, path, r);
    // kube-proxy: any ready endpoint.
    const eps = endpointsOf(cluster, svc);
    if (eps.length === 0) return refused;
    const pod = eps[Math.floor(this.random() * eps.length)]!;
    return this.inbound(cluster, from.cluster, pod, targetPortOf(sp, pod), path, r, from.pod) ?? refused;
  }

  // ---------------------------------------------------------------- proxies

  /** The first proxy a request meets gives it an x-request-id. */
  private requestId(headers: Record<string, string>): Record<string, string> {
    return headers['x-request-id'] ? headers : { ...headers, 'x-request-id': this.uuid() };
  }

  /**
   * A span at a proxy: continues the incoming trace context or starts one (sampling by the
   * Telemetry's percentage). Returns the headers to pass on and a function that records the span.
   */
  private span(cluster: SimCluster, proxy: KubeObject, headers: Record<string, string>, kind: 'server' | 'client', operation: string, service: string) {
    const cfg = tracingFor(cluster, proxy, this.misbehave.ignoreTelemetry);
    if (!cfg) return { headers, finish: (_code: number, _ms: number) => undefined };
    const incoming = contextOf(headers);
    const ctx: TraceContext = { traceId: incoming?.traceId ?? hex(this.random, 32), spanId: hex(this.random, 16), sampled: incoming ? incoming.sampled : this.random() * 100 < cfg.samplingPercent };
    let out = withContext(headers, ctx, incoming?.spanId);
    // The first tracing proxy records its sampling decision in a UUID request id: the version
    // nibble (14th character) becomes b (sampled); later proxies find it decided.
    const rid = out['x-request-id'];
    if (ctx.sampled && rid && /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-/.test(rid)) out = { ...out, 'x-request-id': `${rid.slice(0, 14)}b${rid.slice(15)}` };
    const startUs = this.clock() * 1000;
    const finish = (code: number, ms: number) => {
      if (!ctx.sampled || !backendUp(cluster, cfg)) return;
      this.spans.add({
        traceId: ctx.traceId,
        spanId: ctx.spanId,
        ...(incoming ? { parentSpanId: incoming.spanId } : {}),
        service,
        operation,
        kind,
        startUs,
        durationUs: Math.max(1, Math.round(ms * 1000)),
        tags: { 'http.method': 'GET', 'http.status_code': String(code), 'span.kind': kind, component: 'proxy', 'istio.canonical_service': service.split('.')[0] ?? service },
      });
    };
    return { headers: out, finish };
  }

  private accessLogsOn(cluster: SimCluster): boolean {
    return Boolean((meshConfigOf(cluster) as { accessLogFile?: string }).accessLogFile);
  }

  /** Outbound through a caller's sidecar: mesh routing for the Service. */
  private sidecarOutbound(cluster: SimCluster, clusterName: string, pod: KubeObject, svc: KubeObject, sp: ServicePort, path: string, req: HttpRequest): Outcome {
    const headers = this.requestId(req.headers);
    const decision = routeInMesh(cluster, svc, { method: req.method, path, headers, sourceLabels: labelsOf(pod) }, nsOf(pod), this.random, this.misbehave);
    return this.forward(cluster, clusterName, pod, false, decision, sp, path, { ...req, headers });
  }

  /** An ingress gateway pod: Gateway servers on the port, then the VirtualServices bound to them. */
  private atGateway(cluster: SimCluster, clusterName: string, gw: KubeObject, port: number, path: string, req: HttpRequest): Outcome {
    const gateways = listOf(cluster, 'networking.istio.io/v1', 'Gateway').filter((g) => {
      const spec = specOf<{ selector?: Record<string, string>; servers?: Array<{ port?: { number?: number } }> }>(g);
      const sel = spec.selector ?? {};
      return (
        Object.keys(sel).length > 0 &&
        Object.entries(sel).every(([k, v]) => labelsOf(gw)[k] === v) &&
        (spec.servers ?? []).some((s) => s.port?.number === port) &&
        (this.pushes?.pushed(g) ?? true)
      );
    });
    // No (pushed) Gateway opens the port: nothing listens there in the gateway pod.
    if (gateways.length === 0) return { exit: 56, error: 'curl: (56) Recv failure: Connection reset by peer', timeMs: 1 };
    const headers = this.requestId(req.headers);
    const host = headers.host ?? '';
    for (const g of gateways) {
      const vss = gatewayVirtualServices(cluster, { name: g.metadata.name, namespace: nsOf(g) }, host);
      if (vss.length === 0) continue;
      const decision = applyVirtualService(cluster, vss[0]!, { method: req.method, path, headers, gateway: `${nsOf(g)}/${g.metadata.name}` }, nsOf(vss[0]!), this.random, this.misbehave);
      return this.forward(cluster, clusterName, gw, true, decision, undefined, path, { ...req, headers });
    }
    return { status: 404, headers: { server: 'istio-envoy', 'content-length': '0' }, body: '', timeMs: PROXY_MS };
  }

  /** A proxy (sidecar or gateway) carries out a routing decision. */
  private forward(cluster: SimCluster, clusterName: string, proxy: KubeObject, gateway: boolean, decision: Decision, sp: ServicePort | undefined, path: string, req: HttpRequest): Outcome {
    const server = gateway ? 'istio-envoy' : 'envoy';
    const reply = (status: number, body: string, flags: string, timeMs: number, svc?: KubeObject, dest?: KubeObject, upstreamCluster = '-'): HttpResponse => {
      this.recordOutbound(cluster, clusterName, proxy, svc, dest, status, flags, timeMs, path, req, upstreamCluster);
      return { status, headers: { server, 'content-type': 'text/plain', 'content-length': String(body.length) }, body, timeMs };
    };
    if (decision.kind === 'no-route') return reply(404, '', 'NR', PROXY_MS);
    if (decision.kind === 'no-host') return reply(503, '', 'NC', PROXY_MS);
    const { destination } = decision;
    const svc = destination.service;
    const svcPort = (destination.port ? portsOf(svc).find((p) => p.port === destination.port) : undefined) ?? (sp && portsOf(svc).find((p) => p.port === sp.port)) ?? portsOf(svc)[0];
    const upstreamCluster = `outbound|${svcPort?.port ?? 80}|${destination.subset ?? ''}|${fqdn(svc)}`;
    const opName = `${fqdn(svc)}:${svcPort?.port ?? 80}${gateway ? path.split('?')[0] : '/*'}`;
    const service = gateway ? `${labelsOf(proxy).app ?? 'istio-ingressgateway'}.${nsOf(proxy)}` : spanServiceOf(proxy);
    const span = this.span(cluster, proxy, req.headers, gateway ? 'server' : 'client', opName, service);
    // A gateway (a Router proxy) also spawns a span for the upstream request: istiod sets the HCM's
    // spawn_upstream_span for proxy.Type == Router (pilot/pkg/networking/core/tracing.go,
    // configureFromProviderConfig, release-1.31), and Envoy's router names it after the cluster.
    const upstreamSpan = gateway ? this.span(cluster, proxy, span.headers, 'client', `router ${upstreamCluster} egress`, service) : undefined;
    const upstreamHeaders = (upstreamSpan ?? span).headers;
    const done = (o: HttpResponse) => {
      upstreamSpan?.finish(o.status, Math.max(0.001, o.timeMs - PROXY_MS));
      span.finish(o.status, o.timeMs);
      return o;
    };
    if (decision.abort) return done(reply(decision.abort.status, 'fault filter abort', 'FI', PROXY_MS, svc, undefined, upstreamCluster));
    const delay = decision.delayMs ?? 0;
    if (destination.unknownSubset || !svcPort) return done(reply(503, '', 'NC', delay + PROXY_MS, svc, undefined, upstreamCluster));
    const eps = endpointsOf(cluster, svc, destination.subsetLabels);
    if (eps.length === 0) return done(reply(503, 'no healthy upstream', 'UH', delay + PROXY_MS, svc, undefined, upstreamCluster));
    const target = eps[Math.floor(this.random() * eps.length)]!;
    const upstream = this.inbound(cluster, clusterName, target, targetPortOf(svcPort, target), path, { ...req, headers: upstreamHeaders }, proxy);
    if (decision.mirror) this.mirror(cluster, clusterName, proxy, decision.mirror.service, decision.mirror.subsetLabels, svcPort, path, req);
    if (!upstream || !isResponse(upstream)) {
      return done(reply(503, 'upstream connect error or disconnect/reset before headers. reset reason: connection failure', 'UF', delay + PROXY_MS + 1, svc, target, upstreamCluster));
    }
    if (decision.timeoutMs !== undefined && upstream.timeMs > decision.timeoutMs) {
      return done(reply(504, 'upstream request timeout', 'UT', delay + decision.timeoutMs, svc, target, upstreamCluster));
    }
    const timeMs = upstream.timeMs + delay + PROXY_MS + HOP_MS;
    this.recordOutbound(cluster, clusterName, proxy, svc, target, upstream.status, delay ? 'DI' : '-', timeMs, path, req, upstreamCluster);
    return done({ ...upstream, headers: { ...upstream.headers, server, 'x-envoy-upstream-service-time': String(Math.round(upstream.timeMs)) }, timeMs });
  }

  /** A copy of the request to the mirror destination; its answer is dropped. */
  private mirror(cluster: SimCluster, clusterName: string, proxy: KubeObject, svc: KubeObject, subset: Record<string, string>, sp: ServicePort, path: string, req: HttpRequest): void {
    const eps = endpointsOf(cluster, svc, subset);
    if (eps.length === 0) return;
    const target = eps[Math.floor(this.random() * eps.length)]!;
    const port = portsOf(svc).find((p) => p.port === sp.port) ?? sp;
    this.inbound(cluster, clusterName, target, targetPortOf(port, target), path, req, proxy);
  }

  private recordOutbound(cluster: SimCluster, clusterName: string, proxy: KubeObject, svc: KubeObject | undefined, dest: KubeObject | undefined, code: number, flags: string, timeMs: number, path: string, req: HttpRequest, upstreamCluster: string): void {
    if (svc && !this.misbehave.noMetrics) this.metrics.request({ reporter: 'source', source: proxy, destination: dest, service: svc, code, flags, mtls: Boolean(dest && hasSidecar(dest)) });
    if (upstreamCluster !== '-') {
      const stat = `cluster.${upstreamCluster}`;
      this.stats.add(clusterName, proxy, `${stat}.upstream_rq_${code}`);
      this.stats.add(clusterName, proxy, `${stat}.upstream_rq_completed`);
    }
    if (this.accessLogsOn(cluster)) {
      this.logs.append(clusterName, proxy, 'istio-proxy', envoyAccessLine({
        method: req.method,
        path,
        code,
        flags,
        durationMs: timeMs,
        userAgent: req.headers['user-agent'] ?? '',
        requestId: req.headers['x-request-id'] ?? '',
        authority: req.headers.host ?? '',
        upstreamHost: dest ? `${podIp(dest)}:${svc ? (portsOf(svc)[0]?.port ?? 80) : 80}` : '-',
        upstreamCluster,
        downstreamLocal: svc ? `${(svc.spec as { clusterIP?: string }).clusterIP}:${portsOf(svc)[0]?.port ?? 80}` : '-',
        downstreamRemote: `${podIp(proxy)}:${40000 + Math.floor(this.random() * 20000)}`,
        route: 'default',
      }));
    }
  }

  /**
   * A request arriving at a pod: a gateway pod routes it; a pod with a sidecar goes through its
   * inbound proxy to the app. undefined: nothing listens on that port.
   */
  inbound(cluster: SimCluster, clusterName: string, pod: KubeObject, port: number, path: string, req: HttpRequest, source?: KubeObject): Outcome | undefined {
    if (['ingressgateway', 'egressgateway'].includes(labelsOf(pod).istio ?? '')) return this.atGateway(cluster, clusterName, pod, port, path, req);
    if (!hasSidecar(pod)) return this.serveApp(cluster, clusterName, pod, port, path, req);
    const headers = this.requestId(req.headers);
    const span = this.span(cluster, pod, headers, 'server', `${labelsOf(pod).app ?? pod.metadata.name}.${nsOf(pod)}.svc.cluster.local:${port}${path.split('?')[0]}`, spanServiceOf(pod));
    const res = this.serveApp(cluster, clusterName, pod, port, path, { ...req, headers: span.headers });
    if (!res || !isResponse(res)) return res;
    const timeMs = res.timeMs + PROXY_MS;
    span.finish(res.status, timeMs);
    const svc = this.serviceOfPod(cluster, pod, port);
    const peer = source && (hasSidecar(source) || labelsOf(source).istio === 'ingressgateway') ? source : undefined;
    if (svc && !this.misbehave.noMetrics) this.metrics.request({ reporter: 'destination', source: peer, destination: pod, service: svc, code: res.status, mtls: Boolean(peer) });
    if (this.accessLogsOn(cluster)) {
      this.logs.append(clusterName, pod, 'istio-proxy', envoyAccessLine({
        method: req.method,
        path,
        code: res.status,
        flags: '-',
        durationMs: timeMs,
        userAgent: req.headers['user-agent'] ?? '',
        requestId: span.headers['x-request-id'] ?? '',
        authority: req.headers.host ?? '',
        upstreamHost: `${podIp(pod)}:${port}`,
        upstreamCluster: `inbound|${port}||`,
        downstreamLocal: `${podIp(pod)}:${port}`,
        downstreamRemote: `${source ? podIp(source) : '10.244.0.1'}:${40000 + Math.floor(this.random() * 20000)}`,
        route: 'default',
      }));
    }
    return { ...res, timeMs };
  }

  private serviceOfPod(cluster: SimCluster, pod: KubeObject, port: number): KubeObject | undefined {
    return listOf(cluster, 'v1', 'Service', nsOf(pod)).find((s) => {
      const sel = specOf<{ selector?: Record<string, string> }>(s).selector ?? {};
      return Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => labelsOf(pod)[k] === v) && portsOf(s).some((p) => targetPortOf(p, pod) === port);
    });
  }

  /** The app model of a pod answers (undefined: no model serves that pod and port). */
  serveApp(cluster: SimCluster, clusterName: string, pod: KubeObject, port: number, path: string, req: HttpRequest): Outcome | undefined {
    const app = this.apps.find((a) => a.serves(pod, port));
    if (!app) return undefined;
    const url = new URL(path, 'http://app');
    const ctx: AppContext = {
      mesh: this,
      cluster,
      clusterName,
      pod,
      call: (target, opts = {}) => {
        const headers = Object.fromEntries(Object.entries(opts.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
        return this.request({ cluster: clusterName, pod }, { method: opts.method ?? 'GET', url: target, headers }, opts.timeoutMs);
      },
    };
    const res = app.handle(ctx, { method: req.method, path: url.pathname, query: url.searchParams, headers: req.headers, body: req.body ?? '', port });
    const body = res.body ?? '';
    return { status: res.status, headers: { 'content-length': String(Buffer.byteLength(body)), ...res.headers }, body, timeMs: (res.timeMs ?? 1) + HOP_MS };
  }

  /** The pod object of an exec request (undefined for nodes). */
  podOf(clusterName: string, namespace: string, name: string): KubeObject | undefined {
    return getOf(this.sim.cluster(clusterName), 'v1', 'Pod', name, namespace);
  }
}
