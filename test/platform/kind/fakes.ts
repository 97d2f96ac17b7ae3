/**
 * Fakes for platform tests: a recording process runner with scripted answers, an in-memory
 * KubeClient with working watches, and a clock whose long sleeps (timeouts) only end when a test
 * advances it while short ones (retry pauses) pass at once.
 */
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type {
  Clock,
  KubeClient,
  KubeClientFactory,
  KubeObject,
  ListQuery,
  ObjectRef,
  ProcessRunner,
  RunOptions,
  RunResult,
  WatchEventType,
} from '../../../src/core/seams.js';

// ---------------------------------------------------------------- runner

export interface Call {
  command: string;
  args: string[];
  opts: RunOptions;
  start: number;
  end?: number;
  result?: RunResult;
}

export type Answer = Partial<Pick<RunResult, 'exitCode' | 'stdout' | 'stderr' | 'timedOut'>>;
export type Handler = (call: Call) => Answer | undefined | Promise<Answer | undefined>;

export class FakeRunner implements ProcessRunner {
  readonly calls: Call[] = [];
  private handlers: Handler[] = [];

  /** Handlers are tried newest first; the first to return an answer wins. Unanswered calls exit 0. */
  on(handler: Handler): this {
    this.handlers.unshift(handler);
    return this;
  }

  /** Answer calls whose command line (command + args joined by spaces) contains `fragment`. */
  when(fragment: string | RegExp, answer: Answer | ((call: Call) => Answer | Promise<Answer>)): this {
    return this.on((call) => {
      const line = [call.command, ...call.args].join(' ');
      const hit = typeof fragment === 'string' ? line.includes(fragment) : fragment.test(line);
      if (!hit) return undefined;
      return typeof answer === 'function' ? answer(call) : answer;
    });
  }

  async run(command: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const call: Call = { command, args, opts, start: performance.now() };
    this.calls.push(call);
    let answer: Answer | undefined;
    for (const h of this.handlers) {
      answer = await h(call);
      if (answer) break;
    }
    call.end = performance.now();
    const result: RunResult = {
      argv: [command, ...args],
      exitCode: answer?.exitCode ?? 0,
      stdout: answer?.stdout ?? '',
      stderr: answer?.stderr ?? '',
      durationMs: call.end - call.start,
      ...(answer?.timedOut ? { timedOut: true } : {}),
    };
    call.result = result;
    return result;
  }

  runScript(script: string, opts?: RunOptions): Promise<RunResult> {
    return this.run('bash', ['-c', script], opts);
  }

  /** Calls whose command line contains every fragment. */
  find(...fragments: string[]): Call[] {
    return this.calls.filter((c) => {
      const line = [c.command, ...c.args].join(' ');
      return fragments.every((f) => line.includes(f));
    });
  }

  lines(): string[] {
    return this.calls.map((c) => [c.command, ...c.args].join(' '));
  }
}

/** Resolves after `ms` real milliseconds, or with exit 130 when the signal fires first. */
export function delayed(ms: number, answer: Answer, signal?: AbortSignal): Promise<Answer> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(answer), ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve({ exitCode: 130, stderr: 'aborted', timedOut: true });
      },
      { once: true },
    );
  });
}

// ---------------------------------------------------------------- clock

export class FakeClock implements Clock {
  private t = 1_700_000_000_000;
  private sleepers: Array<{ at: number; resolve: () => void }> = [];

  /** Sleeps up to this long pass immediately (retry pauses); longer ones wait for advance(). */
  constructor(private readonly instantBelowMs = 10_000) {}

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new DOMException('aborted', 'AbortError'));
    if (ms <= this.instantBelowMs) {
      this.t += ms;
      return new Promise((resolve) => setImmediate(resolve));
    }
    return new Promise((resolve, reject) => {
      const entry = { at: this.t + ms, resolve };
      this.sleepers.push(entry);
      signal?.addEventListener(
        'abort',
        () => {
          this.sleepers = this.sleepers.filter((s) => s !== entry);
          reject(new DOMException('aborted', 'AbortError'));
        },
        { once: true },
      );
    });
  }

  advance(ms: number): void {
    this.t += ms;
    const due = this.sleepers.filter((s) => s.at <= this.t);
    this.sleepers = this.sleepers.filter((s) => s.at > this.t);
    for (const s of due) s.resolve();
  }

  get pending(): number {
    return this.sleepers.length;
  }
}

// ---------------------------------------------------------------- kube

type Listener = { query: ListQuery; onEvent: (type: WatchEventType, obj: KubeObject) => void };

const clone = <T>(v: T): T => structuredClone(v);

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return clone(patch);
  const base = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete base[k];
    else base[k] = mergePatch(base[k], v);
  }
  return base;
}

function matchesLabels(obj: KubeObject, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=').map((s) => s.trim());
    return obj.metadata.labels?.[k as string] === v;
  });
}

/** One simulated cluster: objects keyed by apiVersion/kind/namespace/name. */
export class FakeCluster implements KubeClient {
  private objects = new Map<string, KubeObject>();
  private listeners = new Set<Listener>();
  readonly patches: Array<{ ref: ObjectRef; patch: Record<string, unknown> }> = [];
  readonly applied: KubeObject[] = [];
  /** Make apply fail this many times with this message (webhook-not-ready simulations). */
  failApply: { times: number; message: string } = { times: 0, message: '' };

  private key(r: { apiVersion: string; kind: string; namespace?: string; name: string }) {
    return `${r.apiVersion}/${r.kind}/${r.namespace ?? ''}/${r.name}`;
  }

  private matches(q: ListQuery, o: KubeObject): boolean {
    return (
      o.apiVersion === q.apiVersion &&
      o.kind === q.kind &&
      (q.namespace === undefined || o.metadata.namespace === q.namespace) &&
      matchesLabels(o, q.labelSelector)
    );
  }

  private emit(type: WatchEventType, obj: KubeObject) {
    for (const l of this.listeners) if (this.matches(l.query, obj)) l.onEvent(type, clone(obj));
  }

  /** Creates or replaces an object (tests and simulated controllers). */
  set(obj: KubeObject): void {
    const k = this.key({ ...obj, ...obj.metadata });
    const existed = this.objects.has(k);
    this.objects.set(k, clone(obj));
    this.emit(existed ? 'MODIFIED' : 'ADDED', obj);
  }

  /** Merges into an existing object (e.g. a status update). */
  update(ref: ObjectRef, patch: Record<string, unknown>): void {
    const cur = this.objects.get(this.key(ref));
    if (!cur) throw new Error(`no ${ref.kind} ${ref.name}`);
    this.set(mergePatch(cur, patch) as KubeObject);
  }

  async get(ref: ObjectRef) {
    const o = this.objects.get(this.key(ref));
    return o ? clone(o) : undefined;
  }

  async list(q: ListQuery) {
    return [...this.objects.values()].filter((o) => this.matches(q, o)).map(clone);
  }

  async apply(obj: KubeObject) {
    if (this.failApply.times > 0) {
      this.failApply.times--;
      throw new Error(this.failApply.message);
    }
    this.applied.push(clone(obj));
    const ref = { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, namespace: obj.metadata.namespace };
    const cur = this.objects.get(this.key(ref));
    this.set((cur ? mergePatch(cur, obj) : obj) as KubeObject);
    return clone(this.objects.get(this.key(ref)) as KubeObject);
  }

  async patch(ref: ObjectRef, patch: Record<string, unknown>) {
    this.patches.push({ ref, patch });
    this.update(ref, patch);
    return clone(this.objects.get(this.key(ref)) as KubeObject);
  }

  async delete(ref: ObjectRef) {
    const k = this.key(ref);
    const o = this.objects.get(k);
    if (!o) return false;
    this.objects.delete(k);
    this.emit('DELETED', o);
    return true;
  }

  async watch(query: ListQuery, onEvent: (type: WatchEventType, obj: KubeObject) => void) {
    const l: Listener = { query, onEvent };
    this.listeners.add(l);
    for (const o of await this.list(query)) onEvent('ADDED', o);
    return () => void this.listeners.delete(l);
  }

  get watchers(): number {
    return this.listeners.size;
  }

  async exec() {
    return { stdout: '', stderr: '', exitCode: 0 };
  }
}

/** A factory handing out one FakeCluster per context, recording which kubeconfig each call named. */
export class FakeKube {
  readonly clusters = new Map<string, FakeCluster>();
  readonly opened: Array<{ kubeconfig: string; context?: string }> = [];

  cluster(context: string): FakeCluster {
    let c = this.clusters.get(context);
    if (!c) {
      c = new FakeCluster();
      this.clusters.set(context, c);
    }
    return c;
  }

  factory: KubeClientFactory = (kubeconfig, context) => {
    this.opened.push({ kubeconfig, ...(context ? { context } : {}) });
    return this.cluster(context ?? '');
  };
}

// ---------------------------------------------------------------- objects

export function node(name: string, ready = true): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: {} },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'KubeletReady' : 'KubeletNotReady' }] },
  };
}

export function deployment(namespace: string, name: string, ready: boolean, replicas = 1): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, generation: 1 },
    spec: { replicas },
    status: {
      observedGeneration: 1,
      replicas,
      readyReplicas: ready ? replicas : 0,
      updatedReplicas: replicas,
      conditions: [{ type: 'Available', status: ready ? 'True' : 'False', reason: ready ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable' }],
    },
  };
}

export function daemonSet(namespace: string, name: string, ready: number, desired: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace, generation: 1 },
    status: { observedGeneration: 1, desiredNumberScheduled: desired, numberReady: ready, updatedNumberScheduled: desired },
  };
}

/** Lets pending promise callbacks and immediates run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

// ---------------------------------------------------------------- kind

export function kindKubeconfig(kindName: string, port = 40000): string {
  const key = `kind-${kindName}`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: key, cluster: { server: `https://127.0.0.1:${port}`, 'certificate-authority-data': 'Q0E=' } }],
    users: [{ name: key, user: { 'client-certificate-data': 'Y2VydA==', 'client-key-data': 'a2V5' } }],
    contexts: [{ name: key, context: { cluster: key, user: key } }],
    'current-context': key,
  });
}

export const arg = (call: Call, flag: string) => call.args[call.args.indexOf(flag) + 1] as string;

/** A fake kind: creating a cluster takes `createMs`, writes its kubeconfig, then its nodes turn Ready. */
/**
 * A scripted kind: clusters in `existing` (and the ones it creates) have node containers that
 * `docker ps` lists with kind's labels, as the real Docker provider makes them. Returns the IDs
 * of a cluster's containers, for tests that record a cluster as kindlab's.
 */
export function fakeKind(runner: FakeRunner, kube: FakeKube, existing: Set<string>, plans: readonly { kindName: string; nodes: readonly { name: string }[] }[], createMs = 80) {
  const containers = new Map<string, Array<{ id: string; name: string; role: string; created: string }>>();
  let serial = 0;
  const makeNodes = (kindName: string) => {
    const p = plans.find((x) => x.kindName === kindName);
    const names = p?.nodes.map((n) => n.name) ?? [`${kindName}-control-plane`];
    containers.set(
      kindName,
      names.map((name) => ({ id: `${(++serial).toString(16).padStart(8, '0')}${'c'.repeat(56)}`, name, role: name.includes('control-plane') ? 'control-plane' : 'worker', created: new Date().toISOString() })),
    );
  };
  for (const name of existing) makeNodes(name);
  runner.when('kind get clusters', () => ({ stdout: [...existing].map((c) => `${c}\n`).join('') }));
  runner.when(/^docker ps -a --no-trunc --filter label=io\.x-k8s\.kind\.cluster --format/, () => ({
    stdout: [...existing].flatMap((c) => (containers.get(c) ?? []).map((n) => [n.id, c, n.role, n.name, 'running', n.created].join('\t'))).join('\n'),
  }));
  runner.when('kind create cluster', async (call) => {
    const name = arg(call, '--name');
    const answer = await delayed(createMs, {}, call.opts.signal);
    if (answer.exitCode) return answer;
    writeFileSync(arg(call, '--kubeconfig'), kindKubeconfig(name));
    existing.add(name);
    makeNodes(name);
    const p = plans.find((x) => x.kindName === name);
    // Nodes register NotReady first and become Ready a little later, as kubelets do.
    for (const n of p?.nodes ?? []) kube.cluster(`kind-${name}`).set(node(n.name, false));
    setTimeout(() => {
      for (const n of p?.nodes ?? []) kube.cluster(`kind-${name}`).set(node(n.name, true));
    }, 30);
    return { stderr: `Creating cluster "${name}" ...` };
  });
  runner.when('kind delete cluster', (call) => {
    existing.delete(arg(call, '--name'));
    containers.delete(arg(call, '--name'));
    return {};
  });
  return { nodeIds: (kindName: string) => (containers.get(kindName) ?? []).map((n) => n.id) };
}

