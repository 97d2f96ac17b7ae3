/**
 * Object storage of one simulated cluster: objects by resource and namespace/name, a resource
 * version per write, change events for watchers and controllers, and a bounded event history so a
 * watch can resume from a resourceVersion (or get 410 Gone when it is too old, like etcd after
 * compaction).
 */
import type { KubeObject, WatchEventType } from '../../src/core/seams.js';
import { resourceKey, type ResourceType } from './resources.js';

export interface StoreEvent {
  type: WatchEventType;
  resource: ResourceType;
  /** The object after the change (for DELETED: as it was when deleted). */
  object: KubeObject;
  /** The object before a MODIFIED change. */
  previous?: KubeObject;
  rv: number;
}

export type StoreListener = (event: StoreEvent) => void;

const HISTORY_LIMIT = 10_000;

const objectKey = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

export class ObjectStore {
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly listeners = new Set<StoreListener>();
  private history: StoreEvent[] = [];
  /** Events with rv <= compactedRv are gone from history. */
  private compactedRv: number;

  /** `nextRv` is shared by every cluster of a sim, so resource versions never repeat. */
  constructor(private readonly nextRv: () => number, private readonly currentRv: () => number) {
    this.compactedRv = currentRv();
  }

  get(r: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const obj = this.objects.get(resourceKey(r))?.get(objectKey(r.namespaced ? namespace : undefined, name));
    return obj && structuredClone(obj);
  }

  /** Objects of a resource, in one namespace or all; ordered by namespace and name like a real list. */
  list(r: ResourceType, namespace?: string): KubeObject[] {
    const all = [...(this.objects.get(resourceKey(r))?.values() ?? [])];
    return all
      .filter((o) => !namespace || !r.namespaced || o.metadata.namespace === namespace)
      .sort((a, b) => objectKey(a.metadata.namespace, a.metadata.name).localeCompare(objectKey(b.metadata.namespace, b.metadata.name)))
      .map((o) => structuredClone(o));
  }

  /** Stores a new object or a new version of one; sets metadata.resourceVersion and emits an event. */
  put(r: ResourceType, obj: KubeObject): KubeObject {
    const key = resourceKey(r);
    let byName = this.objects.get(key);
    if (!byName) this.objects.set(key, (byName = new Map()));
    const k = objectKey(r.namespaced ? obj.metadata.namespace : undefined, obj.metadata.name);
    const previous = byName.get(k);
    const rv = this.nextRv();
    const stored = structuredClone(obj);
    stored.metadata.resourceVersion = String(rv);
    byName.set(k, stored);
    this.emit({
      type: previous ? 'MODIFIED' : 'ADDED',
      resource: r,
      object: structuredClone(stored),
      ...(previous ? { previous: structuredClone(previous) } : {}),
      rv,
    });
    return structuredClone(stored);
  }

  remove(r: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const byName = this.objects.get(resourceKey(r));
    const k = objectKey(r.namespaced ? namespace : undefined, name);
    const obj = byName?.get(k);
    if (!byName || !obj) return undefined;
    byName.delete(k);
    const rv = this.nextRv();
    // A deleted object's last event carries a new resourceVersion, as with etcd.
    const gone = structuredClone(obj);
    gone.metadata.resourceVersion = String(rv);
    this.emit({ type: 'DELETED', resource: r, object: structuredClone(gone), rv });
    return gone;
  }

  /** Drops every object of a resource (a CRD was deleted), with DELETED events. */
  removeAll(r: ResourceType): void {
    for (const obj of this.list(r)) this.remove(r, obj.metadata.namespace, obj.metadata.name);
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Events after `rv`, or undefined when history no longer reaches back that far. */
  eventsSince(rv: number): StoreEvent[] | undefined {
    if (rv < this.compactedRv) return undefined;
    return this.history.filter((e) => e.rv > rv);
  }

  /** Forgets the event history, as etcd compaction does: older watches then get 410 Gone. */
  compact(): void {
    this.history = [];
    this.compactedRv = this.currentRv();
  }

  get oldestResumableRv(): number {
    return this.compactedRv;
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > HISTORY_LIMIT) {
      const dropped = this.history.splice(0, this.history.length - HISTORY_LIMIT);
      this.compactedRv = dropped[dropped.length - 1]!.rv;
    }
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (err) {
        // A failing controller or watcher must not break the write that triggered it.
        console.error('sim: store listener failed:', err);
      }
    }
  }
}
