/**
 * Istio's addons (samples/addons) as their HTTP APIs answer:
 * - Prometheus :9090  /-/ready, /-/healthy, /api/v1/query over the proxies' istio_requests_total
 *   (promql.ts). It only has what it scraped: series appear once it runs.
 * - Grafana :3000     /api/search (the Istio dashboards the addon provisions), /api/health.
 * - Kiali :20001      under its web root /kiali: /api/status, /api/namespaces/graph (the app graph,
 *   built from Prometheus, so it needs Prometheus running and recent traffic).
 * - Jaeger :16686     under its base path /jaeger: /api/services, /api/traces, /api/traces/<id>,
 *   from the spans the proxies sent (tracing.ts).
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../../../../../src/core/seams.js';
import type { AppContext, AppModel, AppRequest, AppResponse } from '../mesh.js';
import { evaluate, PromQLError } from '../promql.js';
import type { Span } from '../tracing.js';
import { endpointsOf, getOf, labelsOf } from '../view.js';

const json = (status: number, body: unknown): AppResponse => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), timeMs: 2 });
const text = (status: number, body: string): AppResponse => ({ status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body, timeMs: 1 });
const app = (name: string, port: number, handle: AppModel['handle']): AppModel => ({ name, serves: (pod: KubeObject, p: number) => labelsOf(pod).app === name && p === port, handle });

/** Prometheus runs (a ready pod behind istio-system/prometheus): only then is anything scraped. */
function prometheusUp(ctx: AppContext): boolean {
  const svc = getOf(ctx.cluster, 'v1', 'Service', 'prometheus', 'istio-system');
  return svc !== undefined && endpointsOf(ctx.cluster, svc).length > 0;
}

function prometheus(ctx: AppContext, req: AppRequest): AppResponse {
  if (req.path === '/-/ready') return text(200, 'Prometheus Server is Ready.\n');
  if (req.path === '/-/healthy') return text(200, 'Prometheus Server is Healthy.\n');
  if (req.path === '/api/v1/query') {
    const query = req.query.get('query') ?? new URLSearchParams(req.body).get('query');
    if (!query) return json(400, { status: 'error', errorType: 'bad_data', error: 'invalid parameter "query": unknown expression' });
    try {
      const now = ctx.mesh.clock() / 1000;
      const result = evaluate(query, ctx.mesh.metrics.all()).map((s) => ({ metric: s.metric, value: [now, String(s.value)] }));
      return json(200, { status: 'success', data: { resultType: 'vector', result } });
    } catch (e) {
      if (e instanceof PromQLError) return json(e.type === 'bad_data' ? 400 : 422, { status: 'error', errorType: e.type, error: e.message });
      throw e;
    }
  }
  if (req.path === '/' || req.path === '/graph' || req.path === '/query') return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: '<!doctype html><html><head><title>Prometheus Time Series Collection and Processing Server</title></head></html>\n', timeMs: 1 };
  return text(404, '404 page not found\n');
}

export const GRAFANA_DASHBOARDS = ['Istio Control Plane Dashboard', 'Istio Mesh Dashboard', 'Istio Performance Dashboard', 'Istio Service Dashboard', 'Istio Wasm Extension Dashboard', 'Istio Workload Dashboard', 'Istio Ztunnel Dashboard'];

function grafana(_ctx: AppContext, req: AppRequest): AppResponse {
  if (req.path === '/api/health') return json(200, { database: 'ok', version: '12.0.1', commit: 'sim' });
  if (req.path === '/api/search') {
    const q = (req.query.get('query') ?? '').toLowerCase();
    const hits = GRAFANA_DASHBOARDS.filter((t) => t.toLowerCase().includes(q)).map((title, i) => {
      const slug = title.toLowerCase().replace(/\s+/g, '-');
      const uid = createHash('sha1').update(title).digest('hex').slice(0, 9);
      return { id: i + 1, uid, orgId: 1, title, uri: `db/${slug}`, url: `/d/${uid}/${slug}`, slug: '', type: 'dash-db', tags: [], isStarred: false, folderId: 1, folderUid: 'istio', folderTitle: 'istio', folderUrl: '/dashboards/f/istio/istio', sortMeta: 0 };
    });
    return json(200, hits);
  }
  if (req.path === '/' || req.path.startsWith('/dashboards') || req.path.startsWith('/d/')) return { status: 200, headers: { 'content-type': 'text/html; charset=UTF-8' }, body: '<!DOCTYPE html><html><head><title>Grafana</title></head></html>\n', timeMs: 2 };
  return json(404, { message: 'Not found' });
}

function kiali(ctx: AppContext, req: AppRequest): AppResponse {
  if (!req.path.startsWith('/kiali')) return text(404, '404 page not found\n');
  const path = req.path.slice('/kiali'.length) || '/';
  if (path === '/api/status') {
    return json(200, {
      status: { 'Kiali commit hash': 'sim', 'Kiali container version': 'v2.27.0', 'Kiali state': 'running', 'Kiali version': 'v2.27.0', 'Mesh name': 'Istio', 'Mesh version': '1.31.1' },
      externalServices: [{ name: 'Istio', version: '1.31.1' }, { name: 'Prometheus', version: '3.10.0' }, { name: 'Kubernetes', version: 'v1.35.8' }],
      warningMessages: [],
      istioEnvironment: { isMaistra: false, istioAPIEnabled: true },
    });
  }
  if (path === '/api/namespaces/graph') {
    if (!prometheusUp(ctx)) return json(503, { error: 'Post "http://prometheus.istio-system:9090/api/v1/query": dial tcp: lookup prometheus.istio-system: no such host' });
    const namespaces = (req.query.get('namespaces') ?? '').split(',').filter(Boolean);
    const d = /^(\d+)([smh])$/.exec(req.query.get('duration') ?? '10m');
    const durationS = d ? Number(d[1]) * ({ s: 1, m: 60, h: 3600 } as Record<string, number>)[d[2]!]! : 600;
    const since = ctx.mesh.clock() - durationS * 1000;
    const nodes = new Map<string, { id: string; nodeType: string; cluster: string; namespace: string; app: string; isRoot?: boolean }>();
    const edges = new Map<string, { id: string; source: string; target: string; traffic: { protocol: string; rates: { http: string }; responses: Record<string, unknown> } }>();
    const node = (app: string, namespace: string, root = false) => {
      const id = createHash('md5').update(`${namespace}/${app}`).digest('hex');
      if (!nodes.has(id)) nodes.set(id, { id, nodeType: 'app', cluster: 'Kubernetes', namespace, app, ...(root ? { isRoot: true } : {}) });
      return id;
    };
    for (const s of ctx.mesh.metrics.all()) {
      if (s.name !== 'istio_requests_total' || s.labels.reporter !== 'destination' || s.updatedAt < since) continue;
      const dstNs = s.labels.destination_workload_namespace ?? '';
      const srcNs = s.labels.source_workload_namespace ?? '';
      if (!namespaces.includes(dstNs) && !namespaces.includes(srcNs)) continue;
      const src = s.labels.source_app === 'unknown' ? node('unknown', 'unknown', true) : node(s.labels.source_app ?? '?', srcNs, s.labels.source_app === 'istio-ingressgateway');
      const dst = node(s.labels.destination_app ?? '?', dstNs);
      const id = `${src}-${dst}`;
      const e = edges.get(id) ?? { id, source: src, target: dst, traffic: { protocol: 'http', rates: { http: '0.00' }, responses: {} } };
      e.traffic.rates.http = (Number(e.traffic.rates.http) + s.value / durationS).toFixed(2);
      e.traffic.responses[s.labels.response_code ?? '200'] = { flags: { [s.labels.response_flags ?? '-']: '100.0' } };
      edges.set(id, e);
    }
    return json(200, { timestamp: Math.floor(ctx.mesh.clock() / 1000), duration: durationS, graphType: req.query.get('graphType') ?? 'versionedApp', elements: { nodes: [...nodes.values()].map((data) => ({ data })), edges: [...edges.values()].map((data) => ({ data })) } });
  }
  if (path === '/' || path.startsWith('/console')) return { status: 200, headers: { 'content-type': 'text/html' }, body: '<!doctype html><html><head><title>Kiali</title></head></html>\n', timeMs: 1 };
  return json(404, { error: 'Not Found' });
}

function jaegerTrace(spans: Span[]) {
  const services = [...new Set(spans.map((s) => s.service))];
  const processOf = (svc: string) => `p${services.indexOf(svc) + 1}`;
  return {
    traceID: spans[0]?.traceId ?? '',
    spans: spans.map((s) => ({
      traceID: s.traceId,
      spanID: s.spanId,
      operationName: s.operation,
      references: s.parentSpanId ? [{ refType: 'CHILD_OF', traceID: s.traceId, spanID: s.parentSpanId }] : [],
      startTime: s.startUs,
      duration: s.durationUs,
      tags: Object.entries(s.tags).map(([key, value]) => ({ key, type: 'string', value })),
      logs: [],
      processID: processOf(s.service),
      warnings: null,
    })),
    processes: Object.fromEntries(services.map((svc) => [processOf(svc), { serviceName: svc, tags: [{ key: 'hostname', type: 'string', value: svc }] }])),
    warnings: null,
  };
}

function jaeger(ctx: AppContext, req: AppRequest): AppResponse {
  if (!req.path.startsWith('/jaeger')) return text(404, '404 page not found\n');
  const path = req.path.slice('/jaeger'.length) || '/';
  const store = ctx.mesh.spans;
  const envelope = (data: unknown, total: number) => ({ data, total, limit: 0, offset: 0, errors: null });
  if (path === '/api/services') {
    const services = store.services();
    return json(200, envelope(services, services.length));
  }
  const one = /^\/api\/traces\/([0-9a-fA-F]+)$/.exec(path);
  if (one) {
    const spans = store.trace(one[1]!);
    if (!spans) return json(404, { data: null, total: 0, limit: 0, offset: 0, errors: [{ code: 404, msg: 'trace not found' }] });
    return json(200, envelope([jaegerTrace(spans)], 1));
  }
  if (path === '/api/traces') {
    const service = req.query.get('service');
    if (!service) return json(400, { data: null, total: 0, limit: 0, offset: 0, errors: [{ code: 400, msg: 'parameter \'service\' is required' }] });
    const nowUs = ctx.mesh.clock() * 1000;
    const lookback = /^(\d+)([smh])$/.exec(req.query.get('lookback') ?? '1h');
    const lookbackUs = lookback ? Number(lookback[1]) * ({ s: 1, m: 60, h: 3600 } as Record<string, number>)[lookback[2]!]! * 1e6 : 3600e6;
    const end = Number(req.query.get('end') ?? nowUs);
    const start = Number(req.query.get('start') ?? end - lookbackUs);
    const traces = store.find(service, start, end, Number(req.query.get('limit') ?? 20)).map(jaegerTrace);
    return json(200, envelope(traces, traces.length));
  }
  return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: '<!doctype html><html><head><base href="/jaeger/"><title>Jaeger UI</title></head></html>\n', timeMs: 1 };
}

export const addonApps: AppModel[] = [app('prometheus', 9090, prometheus), app('grafana', 3000, grafana), app('kiali', 20001, kiali), app('jaeger', 16686, jaeger)];
