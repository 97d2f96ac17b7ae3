/**
 * Watch streams: newline-delimited JSON events over a chunked response. Without a resourceVersion
 * (or with "0") the current objects come first as ADDED; with one, the stream replays what
 * happened after it, or sends a 410 Expired ERROR event when history no longer reaches back.
 * An object that stops (starts) matching the selectors is sent as DELETED (ADDED), as a real
 * server's watch cache does.
 */
import type { ServerResponse } from 'node:http';
import type { KubeObject, WatchEventType } from '../../src/core/seams.js';
import type { SimCluster } from './cluster.js';
import { resourceKey } from './resources.js';
import type { ResourcePath } from './rest.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { expired } from './status.js';
import type { StoreEvent } from './store.js';

export interface OpenWatch {
  /** Ends the stream (server stopping). */
  close(): void;
}

export function serveWatch(cluster: SimCluster, path: ResourcePath, query: URLSearchParams, res: ServerResponse): OpenWatch {
  const r = path.resource;
  const byLabel = parseLabelSelector(query.get('labelSelector') ?? undefined);
  const byField = parseFieldSelector(query.get('fieldSelector') ?? undefined, r.kind);
  const matches = (o: KubeObject) =>
    (!path.namespace || o.metadata.namespace === path.namespace) && (!path.name || o.metadata.name === path.name) && byLabel(o) && byField(o);

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders(); // the client waits for headers before it reads events
  const send = (type: WatchEventType | 'ERROR', object: unknown) => {
    if (!res.writableEnded) res.write(`${JSON.stringify({ type, object })}\n`);
  };
  const versioned = (o: KubeObject) => cluster.asVersion(o, r, path.version);

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
  let timer: NodeJS.Timeout | undefined;
  const close = () => {
    unsubscribe();
    if (timer) clearTimeout(timer);
    if (!res.writableEnded) res.end();
  };
  res.on('close', close);

  const rv = query.get('resourceVersion');
  if (!rv || rv === '0') {
    for (const obj of cluster.listIn(r, path.version, path.namespace)) if (matches(obj)) send('ADDED', obj);
  } else {
    const missed = cluster.objects.eventsSince(Number(rv));
    if (!missed) {
      send('ERROR', expired(`too old resource version: ${rv} (${cluster.objects.oldestResumableRv})`).body);
      close();
      return { close };
    }
    missed.forEach(forward);
  }
  unsubscribe = cluster.objects.subscribe(forward);

  const timeoutSeconds = Number(query.get('timeoutSeconds') ?? 0);
  if (timeoutSeconds > 0) timer = setTimeout(close, timeoutSeconds * 1000);
  return { close };
}
