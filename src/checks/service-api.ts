/**
 * Reading an HTTP API of an in-cluster Service (Prometheus, Jaeger, Zipkin): curl from a vantage
 * point (default the control-plane node, where kube-proxy makes cluster IPs reachable) to the
 * Service's cluster IP. This needs no port-forward and works the same on Docker Desktop.
 */
import type { CheckContext } from './types.js';
import { excerpt } from './format.js';
import { describeSample, sendRequests, type Sample } from './sampler.js';
import { reproduce, gotResponse } from './request.js';
import { resolveVantage, type VantageSpec } from './vantage.js';

/** Largest API answer read (bytes). */
export const API_BODY_LIMIT = 32 * 1024 * 1024;

export interface ServiceRef {
  namespace: string;
  service: string;
  port: number;
}

export interface ServiceResponse {
  sample: Sample;
  url: string;
  /** A command that repeats the request. */
  reproduce: string;
}

export async function serviceGet(ctx: CheckContext, ref: ServiceRef, pathAndQuery: string, from: VantageSpec | undefined, signal: AbortSignal): Promise<ServiceResponse> {
  const svc = await ctx.kube().get({ apiVersion: 'v1', kind: 'Service', name: ref.service, namespace: ref.namespace });
  if (!svc) throw new Error(`Service ${ref.namespace}/${ref.service} does not exist (is the addon installed?)`);
  const ip = (svc.spec as { clusterIP?: string } | undefined)?.clusterIP;
  if (!ip || ip === 'None') throw new Error(`Service ${ref.namespace}/${ref.service} has no cluster IP`);
  const host = ip.includes(':') ? `[${ip}]` : ip;
  const url = `http://${host}:${ref.port}${pathAndQuery}`;
  const vantage = await resolveVantage(from, ctx);
  const request = { url, method: 'GET', timeoutMs: 15_000 };
  // API answers are read whole: Jaeger's JSON for 50 traces of Bookinfo is several hundred KiB,
  // far above the sampler's default body limit (64 KiB), and a cut-off body is not JSON.
  const [sample] = await sendRequests(ctx, vantage, request, 1, { signal, bodyLimit: API_BODY_LIMIT });
  if (!sample) throw new Error(`no response record for ${url}`);
  return { sample, url, reproduce: reproduce(vantage, request) };
}

/** The JSON body of a 2xx response, or an error naming what came back instead. */
export function jsonBody(r: ServiceResponse, what: string): unknown {
  const s = r.sample;
  if (!gotResponse(s)) throw new Error(`${what} at ${r.url}: ${describeSample(s)}`);
  let body: unknown;
  try {
    body = JSON.parse(s.body);
  } catch {
    throw new Error(`${what} at ${r.url} answered HTTP ${s.status} with a body that is not JSON: "${excerpt(s.body, 160)}"`);
  }
  if (s.status >= 300) {
    const message = (body as { error?: unknown; errors?: unknown } | null)?.error ?? (body as { errors?: unknown } | null)?.errors;
    throw new Error(`${what} at ${r.url} answered HTTP ${s.status}${message ? `: ${excerpt(JSON.stringify(message), 300)}` : ''}`);
  }
  return body;
}
