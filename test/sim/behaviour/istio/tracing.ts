/**
 * Tracing as the proxies do it in current Istio: a proxy traces only when a Telemetry resource
 * (workload selector, then its namespace, then the root namespace istio-system) selects a tracing
 * provider that the mesh config's extensionProviders define, with its randomSamplingPercentage.
 * The first proxy of a request decides sampling (or honours an incoming W3C traceparent / B3
 * context), every proxy adds a span (a gateway two: its own and the upstream span it spawns, see
 * mesh.ts) and passes its own span id on in traceparent and x-b3-*;
 * spans reach the backend only if the provider's Service has a ready pod behind it.
 */
import type { KubeObject } from '../../../../src/core/seams.js';
import type { SimCluster } from '../../apiserver.js';
import { matchesMap } from '../../selectors.js';
import { appOf, endpointsOf, labelsOf, listOf, memo, meshConfigOf, nsOf, serviceByName, specOf } from './view.js';

export interface TracingConfig {
  provider: string;
  /** The provider's backend Service (host name from the extension provider). */
  service: string;
  samplingPercent: number;
}

export interface TraceContext {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  service: string;
  operation: string;
  kind: 'server' | 'client';
  startUs: number;
  durationUs: number;
  tags: Record<string, string>;
}

interface TelemetrySpec {
  selector?: { matchLabels?: Record<string, string> };
  tracing?: Array<{ providers?: Array<{ name: string }>; randomSamplingPercentage?: number; disableSpanReporting?: boolean }>;
}

/** The tracing a proxy of `pod` does (undefined: none), from Telemetry resources and the mesh config. */
export function tracingFor(cluster: SimCluster, pod: KubeObject, ignoreTelemetry = false): TracingConfig | undefined {
  if (ignoreTelemetry) return undefined;
  return memo(cluster, `tracing ${nsOf(pod)}/${pod.metadata.name}`, () => tracingOf(cluster, pod));
}

function tracingOf(cluster: SimCluster, pod: KubeObject): TracingConfig | undefined {
  const all = listOf(cluster, 'telemetry.istio.io/v1', 'Telemetry');
  const spec = (t: KubeObject) => specOf<TelemetrySpec>(t);
  const withTracing = all.filter((t) => spec(t).tracing?.length);
  const workload = withTracing.find((t) => nsOf(t) === nsOf(pod) && spec(t).selector?.matchLabels && matchesMap(spec(t).selector?.matchLabels, labelsOf(pod)));
  const namespace = withTracing.find((t) => nsOf(t) === nsOf(pod) && !spec(t).selector && nsOf(pod) !== 'istio-system');
  const root = withTracing.find((t) => nsOf(t) === 'istio-system' && !spec(t).selector);
  const chosen = workload ?? namespace ?? root;
  const mesh = meshConfigOf(cluster) as { extensionProviders?: Array<Record<string, { service?: string } | string>>; defaultProviders?: { tracing?: string[] } };
  const tracing = chosen ? spec(chosen).tracing?.[0] : undefined;
  if (tracing?.disableSpanReporting) return undefined;
  const name = tracing?.providers?.[0]?.name ?? mesh.defaultProviders?.tracing?.[0];
  if (!name) return undefined;
  const provider = (mesh.extensionProviders ?? []).find((p) => p.name === name);
  if (!provider) return undefined;
  const settings = Object.entries(provider).find(([k]) => k !== 'name')?.[1] as { service?: string } | undefined;
  if (!settings?.service) return undefined;
  return { provider: name, service: settings.service, samplingPercent: tracing?.randomSamplingPercentage ?? 100 };
}

/** The trace context a request carries: W3C traceparent first, then B3. */
export function contextOf(headers: Record<string, string>): TraceContext | undefined {
  const tp = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(headers.traceparent ?? '');
  if (tp) return { traceId: tp[1]!, spanId: tp[2]!, sampled: (parseInt(tp[3]!, 16) & 1) === 1 };
  const b3 = headers['x-b3-traceid'];
  if (b3 && headers['x-b3-spanid']) return { traceId: b3.padStart(32, '0'), spanId: headers['x-b3-spanid'], sampled: headers['x-b3-sampled'] === '1' };
  return undefined;
}

export function withContext(headers: Record<string, string>, ctx: TraceContext, parentSpanId?: string): Record<string, string> {
  return {
    ...headers,
    traceparent: `00-${ctx.traceId}-${ctx.spanId}-${ctx.sampled ? '01' : '00'}`,
    'x-b3-traceid': ctx.traceId,
    'x-b3-spanid': ctx.spanId,
    ...(parentSpanId ? { 'x-b3-parentspanid': parentSpanId } : {}),
    'x-b3-sampled': ctx.sampled ? '1' : '0',
  };
}

export const spanServiceOf = (pod: KubeObject) => `${appOf(pod)}.${nsOf(pod)}`;

/** The spans a tracing backend (Jaeger) received. */
export class SpanStore {
  private readonly traces = new Map<string, Span[]>();

  add(span: Span): void {
    const list = this.traces.get(span.traceId) ?? [];
    list.push(span);
    this.traces.set(span.traceId, list);
  }

  trace(traceId: string): Span[] | undefined {
    return this.traces.get(traceId.toLowerCase().padStart(32, '0'));
  }

  services(): string[] {
    return [...new Set([...this.traces.values()].flat().map((s) => s.service))].sort();
  }

  /** Traces with a span of `service` that started in [startUs, endUs], newest first. */
  find(service: string, startUs: number, endUs: number, limit: number): Span[][] {
    const found = [...this.traces.values()].filter((spans) => spans.some((s) => s.service === service && s.startUs >= startUs && s.startUs <= endUs));
    return found.sort((a, b) => Math.max(...b.map((s) => s.startUs)) - Math.max(...a.map((s) => s.startUs))).slice(0, limit);
  }
}

/** The backend behind a provider's service host is up (a ready pod behind its Service). */
export function backendUp(cluster: SimCluster, cfg: TracingConfig): boolean {
  const svc = serviceByName(cluster, cfg.service, 'istio-system');
  return svc !== undefined && endpointsOf(cluster, svc).length > 0;
}
