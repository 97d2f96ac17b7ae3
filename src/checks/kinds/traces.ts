/**
 * traces: the tracing backend returns, for a service, a trace whose spans cover a set of services
 * (one trace, so the spans were joined by propagated headers — the point of the tracing lab).
 * Jaeger: GET <basePath>/api/traces?service=...; Zipkin: GET /api/v2/traces?serviceName=...
 */
import { parseDuration } from '../../core/duration.js';
import type { CheckSpecOf } from '../../model/check-schema.js';
import type { CheckImplementation } from '../types.js';
import { plural } from '../format.js';
import { jsonBody, serviceGet } from '../service-api.js';

type Spec = CheckSpecOf<'traces'>;

export interface TraceSummary {
  traceId: string;
  spans: number;
  services: string[];
}

export function parseJaeger(body: unknown): TraceSummary[] {
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw new Error('Jaeger answered without a data list');
  return data.map((t: { traceID?: string; spans?: Array<{ processID?: string }>; processes?: Record<string, { serviceName?: string }> }) => {
    const processes = t.processes ?? {};
    const services = new Set<string>();
    for (const span of t.spans ?? []) {
      const name = processes[span.processID ?? '']?.serviceName;
      if (name) services.add(name);
    }
    return { traceId: t.traceID ?? '', spans: (t.spans ?? []).length, services: [...services].sort() };
  });
}

export function parseZipkin(body: unknown): TraceSummary[] {
  if (!Array.isArray(body)) throw new Error('Zipkin answered without a list of traces');
  return body.map((trace: Array<{ traceId?: string; localEndpoint?: { serviceName?: string } }>) => {
    const services = new Set<string>();
    for (const span of trace) if (span.localEndpoint?.serviceName) services.add(span.localEndpoint.serviceName);
    return { traceId: trace[0]?.traceId ?? '', spans: trace.length, services: [...services].sort() };
  });
}

/** "reviews" covers "reviews.default"; names compare case-insensitively (Zipkin lower-cases them). */
export function covers(services: string[], wanted: string): boolean {
  const w = wanted.toLowerCase();
  return services.some((s) => {
    const name = s.toLowerCase();
    return name === w || name.startsWith(`${w}.`);
  });
}

function apiPath(spec: Spec, nowMs: number): string {
  const lookbackMs = parseDuration(spec.lookback);
  const service = encodeURIComponent(spec.service);
  if (spec.backend === 'zipkin') {
    return `${spec.api.basePath ?? ''}/api/v2/traces?serviceName=${service}&endTs=${nowMs}&lookback=${lookbackMs}&limit=${spec.limit}`;
  }
  // Jaeger's query API takes microseconds; give the window explicitly rather than rely on defaults.
  const end = nowMs * 1000;
  return `${spec.api.basePath ?? '/jaeger'}/api/traces?service=${service}&start=${end - lookbackMs * 1000}&end=${end}&limit=${spec.limit}&lookback=${spec.lookback}`;
}

const traces: CheckImplementation<'traces'> = {
  kind: 'traces',
  defaultTimeoutMs: 120_000,
  strategy: 'poll',
  describe: (spec: Spec) => `a ${spec.backend} trace of ${spec.service} covering ${spec.covers.join(', ')}`,
  async attempt(spec, ctx, signal) {
    const r = await serviceGet(ctx, spec.api, apiPath(spec, ctx.clock.now()), spec.from, signal);
    const body = jsonBody(r, spec.backend === 'zipkin' ? 'Zipkin' : 'Jaeger');
    const list = spec.backend === 'zipkin' ? parseZipkin(body) : parseJaeger(body);
    const scored = list
      .map((t) => ({ ...t, covered: spec.covers.filter((c) => covers(t.services, c)) }))
      .sort((a, b) => b.covered.length - a.covered.length || b.spans - a.spans);
    const good = scored.find((t) => t.covered.length === spec.covers.length && (spec.minSpans === undefined || t.spans >= spec.minSpans));
    const best = good ?? scored[0];
    const expected = `one trace with spans from ${spec.covers.join(', ')}${spec.minSpans ? ` and at least ${spec.minSpans} spans` : ''}`;
    const title = `${spec.backend} trace of ${spec.service} covering ${spec.covers.join(', ')}`;
    const hint = `send traffic, check the Telemetry sampling and provider name; open the UI with kindlab open ${spec.backend === 'zipkin' ? 'zipkin' : 'jaeger'}; by hand: ${r.reproduce}`;
    if (!best) return { ok: false, title, expected, found: `no traces for ${spec.service} in the last ${spec.lookback}`, hint, data: { traces: 0 } };
    const missing = spec.covers.filter((c) => !best.covered.includes(c));
    const found =
      `${plural(list.length, 'trace')} for ${spec.service}; ${good ? 'trace' : 'best trace'} ${best.traceId.slice(0, 16)} has ${plural(best.spans, 'span')} from ${best.services.join(', ')}` +
      (missing.length ? `; missing ${missing.join(', ')}` : '') +
      (!good && !missing.length && spec.minSpans ? `; fewer than ${spec.minSpans} spans` : '');
    return {
      ok: good !== undefined,
      title,
      expected,
      found,
      hint,
      data: { traces: list.length, best: { traceId: best.traceId, spans: best.spans, services: best.services } },
    };
  },
};
export default traces;
