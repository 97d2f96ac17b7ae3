/**
 * An in-memory KubeClient for check tests: objects in a map, label/field selectors, watches that
 * deliver the initial state as ADDED events and every later change, and an exec hook.
 */
import type { ExecResult, KubeClient, KubeObject, ListQuery, ObjectRef, WatchEventType } from '../../src/core/seams.js';
import { selectorMatches } from '../../src/checks/label-selector.js';

type Listener = { query: ListQuery; onEvent: (t: WatchEventType, o: KubeObject) => void; onError?: (e: unknown) => void };
export type ExecHandler = (pod: { namespace: string; name: string; container?: string }, command: string[]) => ExecResult | Promise<ExecResult>;

const keyOf = (apiVersion: string, kind: string, namespace: string | undefined, name: string) => `${apiVersion}|${kind}|${namespace ?? ''}|${name}`;

export class FakeKube implements KubeClient {
  readonly objects = new Map<string, KubeObject>();
  readonly listeners = new Set<Listener>();
  readonly calls = { get: 0, list: 0, watch: 0, exec: 0, stop: 0 };
  readonly execCalls: Array<{ pod: { namespace: string; name: string; container?: string }; command: string[] }> = [];
  execHandler: ExecHandler = () => ({ stdout: '', stderr: 'no exec handler in this test', exitCode: 1 });
  /** Make get/list throw (an unreachable API server). */
  failReads: Error | undefined;

  constructor(objects: KubeObject[] = []) {
    for (const o of objects) this.objects.set(this.key(o), structuredClone(o));
  }

  private key(o: KubeObject | ObjectRef): string {
    const name = 'metadata' in o ? o.metadata.name : o.name;
    const namespace = 'metadata' in o ? o.metadata.namespace : o.namespace;
    return keyOf(o.apiVersion, o.kind, namespace, name);
  }

  private matches(q: ListQuery, o: KubeObject): boolean {
    if (o.apiVersion !== q.apiVersion || o.kind !== q.kind) return false;
    if (q.namespace !== undefined && o.metadata.namespace !== q.namespace) return false;
    if (q.labelSelector && !selectorMatches(q.labelSelector, o.metadata.labels)) return false;
    for (const term of (q.fieldSelector ?? '').split(',').filter((t) => t)) {
      const [field, value] = term.split('=') as [string, string];
      if (field === 'metadata.name' && o.metadata.name !== value) return false;
      if (field === 'metadata.namespace' && o.metadata.namespace !== value) return false;
    }
    return true;
  }

  /** Creates or replaces an object and notifies watchers (after the current tick, like a network would). */
  set(obj: KubeObject): void {
    const key = this.key(obj);
    const type: WatchEventType = this.objects.has(key) ? 'MODIFIED' : 'ADDED';
    const copy = structuredClone(obj);
    this.objects.set(key, copy);
    this.emit(type, copy);
  }

  remove(ref: ObjectRef): void {
    const key = this.key(ref);
    const obj = this.objects.get(key);
    if (!obj) return;
    this.objects.delete(key);
    this.emit('DELETED', obj);
  }

  private emit(type: WatchEventType, obj: KubeObject): void {
    for (const l of this.listeners) if (this.matches(l.query, obj)) setTimeout(() => this.listeners.has(l) && l.onEvent(type, structuredClone(obj)), 0);
  }

  /** Ends every watch with an error, as a dropped connection would. */
  breakWatches(err: Error): void {
    for (const l of [...this.listeners]) {
      this.listeners.delete(l);
      l.onError?.(err);
    }
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    this.calls.get++;
    if (this.failReads) throw this.failReads;
    const o = this.objects.get(this.key(ref));
    return o ? structuredClone(o) : undefined;
  }

  async list(query: ListQuery): Promise<KubeObject[]> {
    this.calls.list++;
    if (this.failReads) throw this.failReads;
    return [...this.objects.values()].filter((o) => this.matches(query, o)).map((o) => structuredClone(o));
  }

  async apply(obj: KubeObject): Promise<KubeObject> {
    this.set(obj);
    return structuredClone(obj);
  }

  async patch(ref: ObjectRef, patch: Record<string, unknown>): Promise<KubeObject> {
    const o = this.objects.get(this.key(ref));
    if (!o) throw new Error('not found');
    const merged = { ...o, ...patch } as KubeObject;
    this.set(merged);
    return merged;
  }

  async delete(ref: ObjectRef): Promise<boolean> {
    const had = this.objects.has(this.key(ref));
    this.remove(ref);
    return had;
  }

  async watch(query: ListQuery, onEvent: Listener['onEvent'], onError?: Listener['onError']): Promise<() => void> {
    this.calls.watch++;
    const l: Listener = { query, onEvent, ...(onError ? { onError } : {}) };
    this.listeners.add(l);
    const initial = [...this.objects.values()].filter((o) => this.matches(query, o));
    setTimeout(() => {
      for (const o of initial) if (this.listeners.has(l)) onEvent('ADDED', structuredClone(o));
    }, 0);
    return () => {
      this.calls.stop++;
      this.listeners.delete(l);
    };
  }

  async exec(pod: { namespace: string; name: string; container?: string }, command: string[]): Promise<ExecResult> {
    this.calls.exec++;
    this.execCalls.push({ pod, command });
    return this.execHandler(pod, command);
  }
}
