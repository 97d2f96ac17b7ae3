/**
 * Watch-list (sendInitialEvents) and bookmarks over raw HTTP, the way client-go 1.35's reflector
 * asks for them: the initial-events-end bookmark kubectl rollout status / wait depend on, the
 * defaulting and 422 validation of the watch options, and periodic bookmarks.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSimCluster, type Sim } from './apiserver.js';

let sim: Sim;
beforeEach(async () => {
  sim = await startSimCluster();
});
afterEach(async () => {
  await sim.stop();
});

const CMS = '/api/v1/namespaces/default/configmaps';
const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels: { test: 'w' } }, data: { a: '1' } });
const WATCH_LIST = 'watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan';

interface WatchEvent {
  type: string;
  object: { kind?: string; apiVersion?: string; code?: number; reason?: string; metadata: { name?: string; resourceVersion?: string; annotations?: Record<string, string> } };
}

/** Watches (or lists) this test's ConfigMaps: "default" also holds the cluster's kube-root-ca.crt. */
const get = (query: string) => fetch(`${sim.url}${CMS}?labelSelector=test%3Dw&${query}`, { headers: { authorization: 'Bearer t' } });

/** Reads events until `until` says stop (or the stream ends); gives up after `ms`. */
async function events(res: Response, until: (seen: WatchEvent[]) => boolean, ms = 2000): Promise<WatchEvent[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const seen: WatchEvent[] = [];
  let buffer = '';
  const timer = setTimeout(() => void reader.cancel(), ms);
  try {
    while (!until(seen)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        seen.push(JSON.parse(buffer.slice(0, nl)) as WatchEvent);
        buffer = buffer.slice(nl + 1);
      }
    }
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => undefined);
  }
  return seen;
}

const summary = (e: WatchEvent) => `${e.type} ${e.object.metadata.name ?? ''}`.trim();

describe('watch-list', () => {
  it('sends every object as ADDED, then a bookmark marking the end of the initial events, then live events', async () => {
    sim.store.create(cm('a'));
    sim.store.create(cm('b'));
    const res = await get(WATCH_LIST);
    expect(res.status).toBe(200);
    const stream = events(res, (s) => s.length >= 4);
    await new Promise((r) => setTimeout(r, 50));
    sim.store.create(cm('c'));
    const seen = await stream;

    expect(seen.map(summary)).toEqual(['ADDED a', 'ADDED b', 'BOOKMARK', 'ADDED c']);
    const bookmark = seen[2]!.object;
    expect(bookmark).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { annotations: { 'k8s.io/initial-events-end': 'true' } } });
    // The bookmark is at the state it ends: not older than the objects sent, older than what follows.
    const rv = Number(bookmark.metadata.resourceVersion);
    expect(rv).toBeGreaterThanOrEqual(Number(seen[1]!.object.metadata.resourceVersion));
    expect(Number(seen[3]!.object.metadata.resourceVersion)).toBeGreaterThan(rv);
  });

  it('sends no end bookmark without allowWatchBookmarks, and no initial events with sendInitialEvents=false', async () => {
    const first = sim.store.create(cm('a'));
    const plain = await events(await get('watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan'), (s) => s.length >= 2, 300);
    expect(plain.map(summary)).toEqual(['ADDED a']);

    sim.store.create(cm('b'));
    const from = await events(await get(`watch=1&sendInitialEvents=false&resourceVersionMatch=NotOlderThan&resourceVersion=${first.metadata.resourceVersion}`), (s) => s.length >= 1);
    expect(from.map(summary)).toEqual(['ADDED b']);
  });

  it('waits for a resourceVersion the cluster has not reached yet, then serves the state at it', async () => {
    const ahead = Number(sim.store.currentResourceVersion()) + 1;
    const res = await get(`${WATCH_LIST}&resourceVersion=${ahead}`);
    const stream = events(res, (s) => s.some((e) => e.type === 'BOOKMARK'));
    await new Promise((r) => setTimeout(r, 100));
    sim.store.create(cm('late'));
    const seen = await stream;
    expect(seen.map(summary)).toEqual(['ADDED late', 'BOOKMARK']);
    expect(Number(seen[1]!.object.metadata.resourceVersion)).toBeGreaterThanOrEqual(ahead);
  });

  it('refuses invalid combinations with the API server 422 ListOptions Status', async () => {
    const cases: Array<[string, string]> = [
      ['watch=1&sendInitialEvents=true&resourceVersion=5', 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'],
      ['watch=1&resourceVersionMatch=NotOlderThan&resourceVersion=5', 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'],
      [
        'watch=1&sendInitialEvents=true&resourceVersionMatch=Exact',
        'ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan, resourceVersionMatch: Unsupported value: "Exact": supported values: "NotOlderThan"]',
      ],
      ['watch=1&resourceVersion=abc', 'configmaps "" is invalid: resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax'],
    ];
    for (const [query, message] of cases) {
      const res = await get(query);
      const body = (await res.json()) as { code: number; reason: string; message: string; details: { causes: Array<{ field: string }> } };
      expect({ query, status: res.status, reason: body.reason, message: body.message }).toEqual({ query, status: 422, reason: 'Invalid', message });
      expect(body.details.causes.length).toBeGreaterThan(0);
    }
  });

  it('sends periodic bookmarks carrying the current resourceVersion when they are allowed', async () => {
    sim.watchBookmarkIntervalMs = 40;
    const res = await get('watch=1&allowWatchBookmarks=true&resourceVersion=1&sendInitialEvents=false&resourceVersionMatch=NotOlderThan');
    const stream = events(res, (s) => s.filter((e) => e.type === 'BOOKMARK').length >= 2);
    const made = sim.store.create(cm('x'));
    const seen = await stream;
    const bookmarks = seen.filter((e) => e.type === 'BOOKMARK');
    expect(bookmarks).toHaveLength(2);
    expect(bookmarks[0]!.object.metadata.annotations).toBeUndefined();
    expect(Number(bookmarks[1]!.object.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(made.metadata.resourceVersion));

    const none = await events(await get('watch=1&resourceVersion=1'), (s) => s.some((e) => e.type === 'BOOKMARK'), 200);
    expect(none.filter((e) => e.type === 'BOOKMARK')).toEqual([]);
  });
});
