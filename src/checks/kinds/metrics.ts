/**
 * metrics: a PromQL instant query against the lab's Prometheus returns the expected number of
 * series and values. Polled: Prometheus scrapes every 15 s or so, so fresh traffic shows up late.
 */
import type { CheckSpecOf } from '../../model/check-schema.js';
import type { CheckImplementation } from '../types.js';
import { compare, describeComparison } from '../compare.js';
import { plural } from '../format.js';
import { jsonBody, serviceGet } from '../service-api.js';
import { CheckConfigError } from '../errors.js';

type Spec = CheckSpecOf<'metrics'>;

export interface Series {
  metric: Record<string, string>;
  value: number;
}

/** The series of a Prometheus query response; a range vector's series take their last sample. */
export function parsePrometheus(body: unknown): Series[] {
  const b = body as { status?: string; error?: string; data?: { resultType?: string; result?: unknown } };
  if (b?.status !== 'success') throw new Error(`Prometheus answered status ${b?.status ?? '?'}${b?.error ? `: ${b.error}` : ''}`);
  const type = b.data?.resultType;
  const result = b.data?.result;
  const num = (v: unknown) => Number(v);
  switch (type) {
    case 'vector':
      return (result as Array<{ metric: Record<string, string>; value: [number, string] }>).map((r) => ({ metric: r.metric ?? {}, value: num(r.value[1]) }));
    case 'matrix':
      return (result as Array<{ metric: Record<string, string>; values: Array<[number, string]> }>).map((r) => ({
        metric: r.metric ?? {},
        value: num(r.values.at(-1)?.[1]),
      }));
    case 'scalar':
      return [{ metric: {}, value: num((result as [number, string])[1]) }];
    default:
      throw new CheckConfigError(`Prometheus returned a ${type ?? 'missing'} result; use a query that returns numbers`);
  }
}

export function seriesLabel(s: Series): string {
  const { __name__: name, ...labels } = s.metric;
  const inner = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  return `${name ?? ''}{${inner}}`;
}

/** A query Prometheus cannot parse is the lab's mistake: no point retrying it. */
function rejectBadQuery(body: string): void {
  let parsed: { status?: string; errorType?: string; error?: string } | undefined;
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return;
  }
  if (parsed?.status === 'error' && parsed.errorType === 'bad_data') throw new CheckConfigError(`Prometheus rejects the query: ${parsed.error ?? 'bad_data'}`);
}

function expectedText(spec: Spec): string {
  const parts: string[] = [];
  if (spec.series) parts.push(`series count ${describeComparison(spec.series)}`);
  if (spec.value) parts.push(`every value ${describeComparison(spec.value)}`);
  return parts.join(', ') || 'at least one series';
}

const metrics: CheckImplementation<'metrics'> = {
  kind: 'metrics',
  defaultTimeoutMs: 120_000,
  strategy: 'poll',
  describe: (spec: Spec) => `Prometheus query ${spec.query}`,
  async attempt(spec, ctx, signal) {
    const r = await serviceGet(ctx, spec.prometheus, `/api/v1/query?query=${encodeURIComponent(spec.query)}`, spec.from, signal);
    rejectBadQuery(r.sample.body);
    const series = parsePrometheus(jsonBody(r, 'Prometheus'));
    const problems: string[] = [];
    const seriesRule = spec.series ?? (spec.value ? undefined : { gte: 1 });
    if (seriesRule && !compare(series.length, seriesRule)) problems.push(`${plural(series.length, 'series', 'series')}, expected ${describeComparison(seriesRule)}`);
    if (spec.value) {
      if (series.length === 0) problems.push('no series to compare');
      for (const s of series) if (!compare(s.value, spec.value)) problems.push(`${seriesLabel(s)} = ${s.value}, expected ${describeComparison(spec.value)}`);
    }
    const shown = series.slice(0, 5).map((s) => `${seriesLabel(s)} = ${s.value}`);
    const found = series.length ? `${plural(series.length, 'series', 'series')}: ${shown.join('; ')}${series.length > 5 ? '; …' : ''}` : 'no series';
    return {
      ok: problems.length === 0,
      title: `Prometheus query ${spec.query}`,
      expected: expectedText(spec),
      found,
      ...(problems.length ? { details: problems.slice(0, 10) } : {}),
      hint: `metrics appear after traffic and a scrape (~15 s); query by hand: ${r.reproduce}`,
      data: { series: series.length, values: series.map((s) => s.value), result: series },
    };
  },
};
export default metrics;
