/**
 * Watch streams: newline-delimited JSON events over a chunked response, served as a 1.35 API
 * server's watch cache serves them (options read by watch-options.ts).
 *
 * - Initial events (sendInitialEvents=true, also the default without a resourceVersion or with
 *   "0"): the current objects as ADDED; with allowWatchBookmarks, then a BOOKMARK whose object
 *   carries the annotation k8s.io/initial-events-end: "true" and the resourceVersion the initial
 *   state is at. client-go's WatchList (reflectors, so `kubectl rollout status` and `kubectl wait`)
 *   waits for that bookmark before it reports the list as synced.
 * - From a resourceVersion without initial events: what happened after it, or a 410 Expired
 *   ERROR event when history no longer reaches back. With initial events a resourceVersion means
 *   "not older than" and never expires; one the cluster has not reached yet is waited for (3 s),
 *   then refused with a Timeout ERROR event (ResourceVersionTooLarge), as the cacher does.
 * - With allowWatchBookmarks, a BOOKMARK with the current resourceVersion every
 *   `bookmarkIntervalMs` (the cacher: about a minute) and 2 s before timeoutSeconds ends the stream.
 * - An object that stops (starts) matching the selectors is sent as DELETED (ADDED).
 */
import type { ServerResponse } from 'node:http';
import type { KubeObject, WatchEventType } from '../../src/core/seams.js';
import type { SimCluster } from './cluster.js';
import { apiVersionOf, resourceKey } from './resources.js';
import type { ResourcePath } from './rest.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { expired, SimHttpError } from './status.js';
import type { StoreEvent } from './store.js';
import { parseWatchOptions } from './watch-options.js';

export interface OpenWatch {
  /** Ends the stream (server stopping). */
  close(): void;
}

export interface WatchServeOptions {
  /** How often a watch with allowWatchBookmarks gets a BOOKMARK (default 60 s, like the cacher). */
  bookmarkIntervalMs?: number;
}

/** The annotation client-go's WatchList waits for (metav1.InitialEventsAnnotationKey). */
export const INITIAL_EVENTS_END = 'k8s.io/initial-events-end';
/** How long the cacher waits for a resourceVersion it has not seen (resourceVersionTooHighRetrySeconds is the retry hint). */
const FRESHNESS_WAIT_MS = 3000;

function tooLarge(wanted: number, current: string): SimHttpError {
  const err = new SimHttpError(504, 'Timeout', `Timeout: Too large resource version: ${wanted}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
  });
  (err.body.details as Record<string, unknown>).retryAfterSeconds = 1;
  return err;
}

/**
 * Validates the request (throwing its Status before anything is written), then serves the stream.
 */
export function serveWatch(cluster: SimCluster, path: ResourcePath, query: URLSearchParams, res: ServerResponse, serve: WatchServeOptions = {}): OpenWatch {
  const r = path.resource;
  const opts = parseWatchOptions(query, r);
  const byLabel = parseLabelSelector(query.get('labelSelector') ?? undefined);
  const byField = parseFieldSelector(query.get('fieldSelector') ?? undefined, r.kind);
  const matches = (o: KubeObject) =>
    (!path.namespace || o.metadata.namespace === path.namespace) && (!path.name || o.metadata.name === path.name) && byLabel(o) && byField(o);

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders(); // the client waits for headers before it reads events
  const send = (type: WatchEventType | 'ERROR' | 'BOOKMARK', object: unknown) => {
    if (!res.writableEnded) res.write(`${JSON.stringify({ type, object })}\n`);
  };
  const versioned = (o: KubeObject) => cluster.asVersion(o, r, path.version);
  const bookmark = (annotations?: Record<string, string>) =>
    send('BOOKMARK', {
      apiVersion: apiVersionOf(r.group, path.version),
      kind: r.kind,
      metadata: { resourceVersion: cluster.currentResourceVersion(), ...(annotations ? { annotations } : {}) },
    });

  const forward = (e: StoreEvent) => {
    if (resourceKey(e.resource) !== resourceKey(r)) return;
    if (e.type !== 'MODIFIED') {
      if (matches(e.object)) send(e.type, versioned(e.object));
      return;
    }
    const was = e.previous !== undefined && matches(e.previous);
    const now = matches(e.object);
    if (was && now) send('MODIFIED', versioned(e.object));
    else if (now) send('ADDED', versioned(e.object));
    else if (was) send('DELETED', versioned(e.object));
  };

  let unsubscribe = () => {};
  const timers: NodeJS.Timeout[] = [];
  const close = () => {
    unsubscribe();
    for (const t of timers) clearTimeout(t);
    if (!res.writableEnded) res.end();
  };
  res.on('close', close);
  const fail = (err: SimHttpError) => {
    send('ERROR', err.body);
    close();
  };

  const start = () => {
    if (res.writableEnded) return;
    if (opts.initialEvents) {
      for (const obj of cluster.listIn(r, path.version, path.namespace)) if (matches(obj)) send('ADDED', obj);
      if (opts.initialEventsEndBookmark) bookmark({ [INITIAL_EVENTS_END]: 'true' });
    } else if (opts.resourceVersion > 0) {
      const missed = cluster.objects.eventsSince(opts.resourceVersion);
      if (!missed) return fail(expired(`too old resource version: ${opts.resourceVersion} (${cluster.objects.oldestResumableRv})`));
      missed.forEach(forward);
    }
    unsubscribe = cluster.objects.subscribe(forward);
    if (opts.bookmarks) {
      const every = serve.bookmarkIntervalMs ?? 60_000;
      const tick = () => {
        bookmark();
        timers.push(setTimeout(tick, every).unref());
      };
      timers.push(setTimeout(tick, every).unref());
      if (opts.timeoutSeconds > 2) timers.push(setTimeout(() => bookmark(), (opts.timeoutSeconds - 2) * 1000).unref());
    }
  };

  if (opts.timeoutSeconds > 0) timers.push(setTimeout(close, opts.timeoutSeconds * 1000));
  const behind = () => opts.initialEvents && opts.resourceVersion > Number(cluster.currentResourceVersion());
  if (!behind()) {
    start();
  } else {
    // "Not older than" a version the cluster has not reached: wait for writes to catch up.
    const giveUp = setTimeout(() => {
      unsubscribe();
      fail(tooLarge(opts.resourceVersion, cluster.currentResourceVersion()));
    }, FRESHNESS_WAIT_MS);
    timers.push(giveUp);
    unsubscribe = cluster.objects.subscribe(() => {
      if (behind()) return;
      clearTimeout(giveUp);
      unsubscribe();
      start();
    });
  }
  return { close };
}
