/** The request fields shared by http, traffic, latency and errors, and how results talk about them. */
import { parseDuration } from '../core/duration.js';
import type { CheckSpecOf } from '../model/check-schema.js';
import type { CheckContext } from './types.js';
import { curlCommand, sendRequests, shellQuote, type HttpRequestSpec, type Sample } from './sampler.js';
import { resolveVantage, type ResolvedVantage } from './vantage.js';

type RequestFields = Pick<CheckSpecOf<'http'>, 'from' | 'url' | 'method' | 'headers' | 'body' | 'login' | 'insecure' | 'requestTimeout' | 'resolve'>;

export function requestOf(spec: RequestFields): HttpRequestSpec {
  return {
    url: spec.url,
    method: spec.method,
    ...(spec.headers ? { headers: spec.headers } : {}),
    ...(spec.body !== undefined ? { body: spec.body } : {}),
    insecure: spec.insecure,
    timeoutMs: parseDuration(spec.requestTimeout),
    ...(spec.resolve ? { resolve: spec.resolve } : {}),
    ...(spec.login ? { login: spec.login } : {}),
  };
}

export function describeRequest(spec: RequestFields): string {
  return `${spec.method} ${spec.url}${spec.login ? ' (logged in)' : ''}`;
}

/** A command that repeats the request from the same place, for hints. */
export function reproduce(v: ResolvedVantage, req: HttpRequestSpec): string {
  const curl = curlCommand(req) + ' -i';
  if (v.type === 'docker') return `docker exec ${v.container} ${curl}`;
  if (v.type === 'pod') return `kubectl exec -n ${v.namespace} ${v.name}${v.container ? ` -c ${v.container}` : ''} -- sh -c ${shellQuote(curl)}`;
  return curl;
}

export interface SampleRun {
  vantage: ResolvedVantage;
  request: HttpRequestSpec;
  samples: Sample[];
}

export async function sample(spec: RequestFields, ctx: CheckContext, count: number, signal: AbortSignal): Promise<SampleRun> {
  const vantage = await resolveVantage(spec.from, ctx);
  const request = requestOf(spec);
  const samples = await sendRequests(ctx, vantage, request, count, { signal });
  return { vantage, request, samples };
}

export function gotResponse(s: Sample): boolean {
  return s.curlExit === 0 && s.status > 0;
}

/** "200×88, 503×10, no response×2" */
export function statusTally(samples: Sample[]): { text: string; counts: Record<string, number> } {
  const counts: Record<string, number> = {};
  for (const s of samples) {
    const key = gotResponse(s) ? String(s.status) : 'no response';
    counts[key] = (counts[key] ?? 0) + 1;
  }
  const text = Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}×${v}`)
    .join(', ');
  return { text, counts };
}
