/**
 * Does a download URL still answer? A HEAD request, redirects followed (GitHub release assets and
 * dl.k8s.io both redirect to a CDN). Some hosts refuse HEAD: object stores behind signed redirect
 * URLs sign them for GET only and answer 403, others answer 405 or 501. Those get a GET for the
 * first byte (`Range: bytes=0-0`), which costs no more than the HEAD would have.
 */
import { discard, readText, request, type RequestLimits } from './http.js';

export type UrlAnswer =
  | { kind: 'ok'; status: number; finalUrl: string }
  /** 404, 410 and other refusals: the file is not (or no longer) published there. */
  | { kind: 'missing'; status: number; detail: string }
  /** Rate limits and server errors: nothing can be said about the file. */
  | { kind: 'unavailable'; status: number; detail: string };

const HEAD_REFUSED = new Set([403, 405, 501]);

function classify(res: Response): UrlAnswer {
  if (res.ok) return { kind: 'ok', status: res.status, finalUrl: res.url };
  if (res.status === 429 || res.status >= 500) return { kind: 'unavailable', status: res.status, detail: `HTTP ${res.status}` };
  return { kind: 'missing', status: res.status, detail: res.status === 404 || res.status === 410 ? `not found (HTTP ${res.status})` : `refused (HTTP ${res.status})` };
}

/** Network failures throw Unreachable (http.ts). */
export async function probeUrl(url: string, limits: RequestLimits): Promise<UrlAnswer> {
  const head = await request(url, { method: 'HEAD', redirect: 'follow' }, limits);
  await discard(head);
  if (!HEAD_REFUSED.has(head.status)) return classify(head);
  const ranged = await request(url, { method: 'GET', redirect: 'follow', headers: { range: 'bytes=0-0' } }, limits);
  await discard(ranged);
  return classify(ranged);
}

/** GETs a small text file (a checksum list, a chart index), cut at `max` bytes. */
export async function fetchText(url: string, limits: RequestLimits, max: number): Promise<{ kind: 'ok'; text: string } | Exclude<UrlAnswer, { kind: 'ok' }>> {
  const res = await request(url, { method: 'GET', redirect: 'follow' }, limits);
  const answer = classify(res);
  if (answer.kind !== 'ok') {
    await discard(res);
    return answer;
  }
  return { kind: 'ok', text: await readText(res, max, limits) };
}
