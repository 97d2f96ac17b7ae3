/**
 * List-then-watch, the way informers do it: list to get the current objects (delivered as ADDED)
 * and a resourceVersion, then watch from that version. When the watch ends normally (server
 * timeout) it resumes from the last version seen; when the version is too old (410 Gone, as HTTP
 * status or as an ERROR event) it lists again and delivers the difference. Other failures are
 * retried with backoff; after several in a row the watch gives up and reports the error once.
 */
import type { KubeObject, ListQuery, WatchEventType } from '../core/seams.js';
import { describe, k8s, KubeApiError, withType, type RawObjectApi } from './kube-api.js';

const MAX_FAILURES = 5;
const FIRST_BACKOFF_MS = 200;
/** The server ends each watch before client-node's 30 s inactivity timer would abort it. */
const WATCH_TIMEOUT_SECONDS = 25;

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

function isGone(err: unknown): boolean {
  const e = err as { statusCode?: number; code?: number } | undefined;
  return e?.statusCode === 410 || e?.code === 410;
}

function isTimeout(err: unknown): boolean {
  return (err as { name?: string } | undefined)?.name === 'TimeoutError';
}

export async function listAndWatch(
  api: RawObjectApi,
  kc: k8s.KubeConfig,
  query: ListQuery,
  onEvent: (type: WatchEventType, obj: KubeObject) => void,
  onError?: (err: unknown) => void,
): Promise<() => void> {
  const { path } = await api.pathOf({ apiVersion: query.apiVersion, kind: query.kind, namespace: query.namespace });
  const selectors = {
    ...(query.labelSelector ? { labelSelector: query.labelSelector } : {}),
    ...(query.fieldSelector ? { fieldSelector: query.fieldSelector } : {}),
  };
  const what = describe('watch', { apiVersion: query.apiVersion, kind: query.kind, namespace: query.namespace });
  const known = new Map<string, KubeObject>();
  let resourceVersion = '';
  let stopped = false;
  let failures = 0;
  let controller: AbortController | undefined;
  let retryTimer: NodeJS.Timeout | undefined;

  const deliver = (type: WatchEventType, obj: KubeObject) => {
    if (stopped) return;
    if (type === 'DELETED') known.delete(keyOf(obj));
    else known.set(keyOf(obj), obj);
    onEvent(type, obj);
  };

  /** Lists and delivers what changed since the objects we knew (everything, the first time). */
  const relist = async () => {
    const list = (await api.send(`list ${query.kind}`, k8s.HttpMethod.GET, path, { query: selectors })) as {
      metadata?: { resourceVersion?: string };
      items?: unknown[];
    };
    const items = (list.items ?? []).map((i) => withType(i, query.apiVersion, query.kind));
    const seen = new Set<string>();
    for (const obj of items) {
      const key = keyOf(obj);
      seen.add(key);
      const before = known.get(key);
      if (!before) deliver('ADDED', obj);
      else if (before.metadata.resourceVersion !== obj.metadata.resourceVersion) deliver('MODIFIED', obj);
    }
    for (const [key, obj] of [...known]) if (!seen.has(key)) deliver('DELETED', obj);
    resourceVersion = list.metadata?.resourceVersion ?? '';
  };

  const fail = (err: unknown) => {
    if (stopped) return;
    failures++;
    if (failures >= MAX_FAILURES) {
      stopped = true;
      onError?.(err instanceof KubeApiError ? err.about(what) : err);
      return;
    }
    retryTimer = setTimeout(() => void restart(), FIRST_BACKOFF_MS * 2 ** (failures - 1));
  };

  const restart = async (mustRelist = false) => {
    if (stopped) return;
    try {
      if (mustRelist) await relist();
      await startWatch();
    } catch (err) {
      fail(err);
    }
  };

  const startWatch = async () => {
    if (stopped) return;
    const watch = new k8s.Watch(kc);
    let gone = false;
    const ctl = await watch.watch(
      path,
      { ...selectors, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: WATCH_TIMEOUT_SECONDS },
      (type: string, obj: KubeObject) => {
        if (stopped || gone) return;
        if (type === 'ERROR') {
          // A Status object: 410 means our resourceVersion is too old; anything else is a failure.
          gone = true;
          ctl.abort();
          if (isGone(obj)) void restart(true);
          else fail(KubeApiError.fromResponse(Number((obj as { code?: number }).code ?? 500), obj));
          return;
        }
        failures = 0;
        if (obj?.metadata?.resourceVersion) resourceVersion = obj.metadata.resourceVersion;
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') deliver(type, obj);
        // BOOKMARK events only move resourceVersion forward.
      },
      (err: unknown) => {
        if (stopped || gone) return;
        gone = true;
        if (!err || isTimeout(err)) void restart(false);
        else if (isGone(err)) void restart(true);
        else fail(err);
      },
    );
    controller = ctl;
    if (stopped) ctl.abort();
  };

  await relist();
  await startWatch();
  return () => {
    stopped = true;
    if (retryTimer) clearTimeout(retryTimer);
    controller?.abort();
  };
}
