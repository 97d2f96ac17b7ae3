/**
 * Runs the upstream check over a list of targets: a few requests at a time, each with its own
 * timeout, all within one overall deadline, and sorts the answers into three piles:
 *  - drift: something a pin names no longer resolves, or resolves to another digest than pinned;
 *  - unchecked: no answer that says anything (no route, DNS, timeouts, rate limits, 5xx);
 *  - ok.
 * When nothing at all could be reached the machine is offline, and the report says so instead of
 * listing every target.
 */
import { ChecksumFormatError, parseChecksumFile } from '../../platform/tools/checksum.js';
import { rewriteUrl, type HostMap } from '../../platform/upstream/hosts.js';
import { Unreachable, type RequestLimits } from '../../platform/upstream/http.js';
import { createRegistryClient, type ManifestAnswer, type RegistryClient } from '../../platform/upstream/registry-client.js';
import type { ImageTarget, UpstreamTargets, UrlTarget } from './targets.js';
import { fetchText, probeUrl, type UrlAnswer } from '../../platform/upstream/url-probe.js';

export type Outcome =
  | 'ok'
  /** The reference, file or checksum entry is gone. */
  | 'missing'
  /** The tag now names another manifest than the pinned digest. */
  | 'digest-changed'
  /** Could not be reached (DNS, no route, refused, timeout, the deadline). */
  | 'unreachable'
  /** Reached, but the answer says nothing about the target (429, 5xx). */
  | 'unavailable';

export interface CheckResult {
  type: 'image' | 'url';
  /** The image reference or the URL as pinned (before any KINDLAB_UPSTREAM_HOSTS mapping). */
  target: string;
  usedBy: string[];
  outcome: Outcome;
  detail: string;
  pinnedDigest?: string;
  currentDigest?: string;
  /** For digest-changed and a missing tag: whether the pinned digest itself still resolves (pulls by digest still work). */
  pinnedDigestResolves?: boolean;
}

export interface UpstreamReport {
  results: CheckResult[];
  drift: CheckResult[];
  unchecked: CheckResult[];
  /** Nothing could be reached at all. */
  offline: boolean;
  unresolved: UpstreamTargets['unresolved'];
  durationMs: number;
}

export interface CheckOptions {
  hosts: HostMap;
  fetch?: typeof fetch;
  /** Per request (default 15 s). */
  timeoutMs?: number;
  /** For the whole check (default 3 min). */
  deadlineMs?: number;
  /** Requests under way at once (default 8). */
  concurrency?: number;
}

const DRIFT: ReadonlySet<Outcome> = new Set(['missing', 'digest-changed']);
const CHECKSUM_MAX = 1024 * 1024;
const CHART_INDEX_MAX = 32 * 1024 * 1024;

export const isDrift = (r: CheckResult) => DRIFT.has(r.outcome);

async function pool<T, R>(items: readonly T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
  return out;
}

const notFound = (a: Exclude<ManifestAnswer, { kind: 'found' }> | Exclude<UrlAnswer, { kind: 'ok' }>): Pick<CheckResult, 'outcome' | 'detail'> => ({
  outcome: a.kind === 'missing' ? 'missing' : 'unavailable',
  detail: a.detail,
});

async function checkImage(t: ImageTarget, registry: RegistryClient): Promise<Omit<CheckResult, 'type' | 'target' | 'usedBy'>> {
  const ask = (reference: string) => registry.manifest(t.registry, t.repository, reference);
  if (!t.digest) {
    const a = await ask(t.tag ?? 'latest');
    return a.kind === 'found' ? { outcome: 'ok', detail: `resolves to ${a.digest}`, currentDigest: a.digest } : notFound(a);
  }
  if (!t.tag) {
    const a = await ask(t.digest);
    return a.kind === 'found' ? { outcome: 'ok', detail: 'the pinned digest resolves', currentDigest: a.digest } : notFound(a);
  }
  const byTag = await ask(t.tag);
  if (byTag.kind === 'found' && byTag.digest === t.digest) return { outcome: 'ok', detail: 'the tag resolves to the pinned digest', currentDigest: byTag.digest };
  if (byTag.kind === 'unavailable') return notFound(byTag);
  // The tag moved or is gone: a pull by digest (what kind and containerd do with tag@digest) may still work.
  const byDigest = await ask(t.digest);
  const resolves = byDigest.kind === 'found';
  const still = resolves ? 'the pinned digest still resolves' : 'the pinned digest does not resolve either';
  if (byTag.kind === 'found') {
    return { outcome: 'digest-changed', detail: `the tag now resolves to ${byTag.digest}; ${still}`, pinnedDigest: t.digest, currentDigest: byTag.digest, pinnedDigestResolves: resolves };
  }
  return { outcome: 'missing', detail: `tag ${t.tag}: ${byTag.detail}; ${still}`, pinnedDigest: t.digest, pinnedDigestResolves: resolves };
}

export async function runUpstreamCheck(targets: UpstreamTargets, opts: CheckOptions): Promise<UpstreamReport> {
  const started = Date.now();
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), opts.deadlineMs ?? 180_000);
  timer.unref();
  const limits: RequestLimits = { fetch: opts.fetch ?? globalThis.fetch, timeoutMs: opts.timeoutMs ?? 15_000, deadline: deadline.signal, down: new Map(), firstContact: new Map() };
  const registry = createRegistryClient({ hosts: opts.hosts, limits });
  const at = (url: string) => rewriteUrl(url, opts.hosts);
  // Several platforms share one checksum list (GoReleaser's checksums.txt): fetch each list once.
  const texts = new Map<string, ReturnType<typeof fetchText>>();
  const text = (url: string, max: number) => {
    let t = texts.get(url);
    if (!t) texts.set(url, (t = fetchText(at(url), limits, max)));
    return t;
  };

  async function checkUrl(t: UrlTarget): Promise<Omit<CheckResult, 'type' | 'target' | 'usedBy'>> {
    if (t.check === 'exists') {
      const a = await probeUrl(at(t.url), limits);
      return a.kind === 'ok' ? { outcome: 'ok', detail: `HTTP ${a.status}` } : notFound(a);
    }
    const got = await text(t.url, t.check === 'checksum' ? CHECKSUM_MAX : CHART_INDEX_MAX);
    if (got.kind !== 'ok') return notFound(got);
    const entry = t.entry as string;
    if (t.check === 'checksum') {
      try {
        parseChecksumFile(got.text, entry);
        return { outcome: 'ok', detail: `lists ${entry}` };
      } catch (err) {
        if (err instanceof ChecksumFormatError) return { outcome: 'missing', detail: err.message };
        throw err;
      }
    }
    if (!got.text.includes(entry)) return { outcome: 'missing', detail: `the chart index does not list ${entry}` };
    // The index names where the archive lives (a GitHub release for ingress-nginx): that must answer too.
    const archive = new RegExp(`https?://[^\\s"']*/${entry.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`).exec(got.text)?.[0];
    if (!archive) return { outcome: 'ok', detail: `lists ${entry}` };
    const a = await probeUrl(at(archive), limits);
    return a.kind === 'ok' ? { outcome: 'ok', detail: `lists ${entry}, which answers` } : { ...notFound(a), detail: `lists ${entry}, but ${archive}: ${a.detail}` };
  }

  type Job = { type: 'image'; t: ImageTarget } | { type: 'url'; t: UrlTarget };
  const jobs: Job[] = [...targets.images.map((t) => ({ type: 'image' as const, t })), ...targets.urls.map((t) => ({ type: 'url' as const, t }))];
  try {
    const results = await pool(jobs, opts.concurrency ?? 8, async (job): Promise<CheckResult> => {
      const head = job.type === 'image' ? { type: job.type, target: job.t.ref, usedBy: job.t.usedBy } : { type: job.type, target: job.t.url, usedBy: [job.t.usedBy] };
      try {
        return { ...head, ...(job.type === 'image' ? await checkImage(job.t, registry) : await checkUrl(job.t)) };
      } catch (err) {
        if (err instanceof Unreachable) return { ...head, outcome: 'unreachable', detail: err.reason };
        throw err;
      }
    });
    const unchecked = results.filter((r) => r.outcome === 'unreachable' || r.outcome === 'unavailable');
    return {
      results,
      drift: results.filter(isDrift),
      unchecked,
      offline: results.length > 0 && results.every((r) => r.outcome === 'unreachable'),
      unresolved: targets.unresolved,
      durationMs: Date.now() - started,
    };
  } finally {
    clearTimeout(timer);
  }
}
