/**
 * Waiting on cluster state through a KubeClient watch rather than sleeping and polling: the wait
 * ends on the event that makes the condition true. A dropped watch is re-established; the timeout
 * runs on the injected clock so tests control time. On timeout the error says what was last seen.
 */
import { formatDuration } from '../../core/duration.js';
import { toMessage } from '../../core/errors.js';
import type { Clock, KubeClient, KubeObject, ListQuery } from '../../core/seams.js';
import { phaseError } from './run.js';

export interface WaitOptions {
  clock: Clock;
  timeoutMs: number;
  /** Provisioning phase for the error message ("Installing Istio"). */
  phase: string;
  signal?: AbortSignal;
  /** Extra lines for the timeout error (pod states, events), gathered only when the wait fails. */
  diagnose?: () => Promise<string[]>;
  /** Told what is being waited for as the wait begins, so the learner sees it (the CLI's live status). */
  status?: (message: string) => void;
}

export interface Progress {
  done: boolean;
  /** The current state in words ("istiod 0/1 ready"), reported if the wait times out. */
  found: string;
}

const RETRY_WATCH_MS = 1000;

/** Resolves with the matching objects once `check` says done. */
export function waitFor(
  kube: KubeClient,
  query: ListQuery,
  what: string,
  check: (objects: KubeObject[]) => Progress,
  opts: WaitOptions,
): Promise<KubeObject[]> {
  return new Promise<KubeObject[]>((resolve, reject) => {
    const objects = new Map<string, KubeObject>();
    const timers = new AbortController();
    let stopWatch: (() => void) | undefined;
    let settled = false;
    let found = 'nothing observed yet';
    let lastWatchError: unknown;

    const cleanup = () => {
      timers.abort();
      stopWatch?.();
      stopWatch = undefined;
      opts.signal?.removeEventListener('abort', onAbort);
    };
    const succeed = () => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve([...objects.values()]);
    };
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      cleanup();
      reject(err);
    };
    const evaluate = () => {
      if (settled) return;
      const p = check([...objects.values()]);
      found = p.found;
      if (p.done) succeed();
    };
    const key = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

    const start = async () => {
      if (settled) return;
      objects.clear();
      try {
        const stop = await kube.watch(
          query,
          (type, obj) => {
            if (type === 'DELETED') objects.delete(key(obj));
            else objects.set(key(obj), obj);
            evaluate();
          },
          onWatchError,
        );
        if (settled) stop();
        else stopWatch = stop;
        evaluate();
      } catch (err) {
        onWatchError(err);
      }
    };
    function onWatchError(err: unknown) {
      if (settled) return;
      lastWatchError = err;
      stopWatch?.();
      stopWatch = undefined;
      opts.clock.sleep(RETRY_WATCH_MS, timers.signal).then(start, () => undefined);
    }
    function onAbort() {
      fail(phaseError(opts.phase, `stopped while waiting for ${what}`, { details: [`last seen: ${found}`] }));
    }

    if (opts.signal?.aborted) return onAbort();
    opts.status?.(`Waiting for ${what}`);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    opts.clock.sleep(opts.timeoutMs, timers.signal).then(async () => {
      if (settled) return;
      const extra = opts.diagnose ? await opts.diagnose().catch((e: unknown) => [`(could not gather diagnostics: ${toMessage(e)})`]) : [];
      fail(
        phaseError(opts.phase, `timed out after ${formatDuration(opts.timeoutMs)} waiting for ${what}`, {
          details: [
            `last seen: ${found}`,
            ...(lastWatchError !== undefined ? [`last watch error: ${toMessage(lastWatchError)}`] : []),
            ...extra,
          ],
        }),
      );
    }, () => undefined);
    void start();
  });
}

// ---------------------------------------------------------------- conditions

type Condition = { type?: string; status?: string; reason?: string; message?: string };

export function conditionOf(obj: KubeObject, type: string): Condition | undefined {
  const status = obj.status as { conditions?: Condition[] } | undefined;
  return status?.conditions?.find((c) => c.type === type);
}

const num = (v: unknown, fallback = 0) => (typeof v === 'number' ? v : fallback);

interface Readiness {
  ready: boolean;
  summary: string;
}

export function deploymentReadiness(d: KubeObject): Readiness {
  const spec = (d.spec ?? {}) as { replicas?: number };
  const st = (d.status ?? {}) as Record<string, unknown>;
  const want = num(spec.replicas, 1);
  const ready = num(st.readyReplicas);
  const updated = num(st.updatedReplicas);
  const available = conditionOf(d, 'Available');
  const current = d.metadata.generation === undefined || num(st.observedGeneration) >= num(d.metadata.generation);
  const ok = current && available?.status === 'True' && ready >= want && updated >= want;
  const why = available && available.status !== 'True' ? ` (Available=${available.status}: ${available.reason ?? ''})` : '';
  return { ready: ok, summary: `${d.metadata.name} ${ready}/${want} ready${why}` };
}

export function daemonSetReadiness(ds: KubeObject): Readiness {
  const st = (ds.status ?? {}) as Record<string, unknown>;
  const desired = num(st.desiredNumberScheduled);
  const ready = num(st.numberReady);
  const updated = num(st.updatedNumberScheduled, desired);
  const current = ds.metadata.generation === undefined || num(st.observedGeneration) >= num(ds.metadata.generation);
  return { ready: current && desired > 0 && ready >= desired && updated >= desired, summary: `${ds.metadata.name} ${ready}/${desired} ready` };
}

export function statefulSetReadiness(s: KubeObject): Readiness {
  const spec = (s.spec ?? {}) as { replicas?: number };
  const st = (s.status ?? {}) as Record<string, unknown>;
  const want = num(spec.replicas, 1);
  const ready = num(st.readyReplicas);
  return { ready: ready >= want, summary: `${s.metadata.name} ${ready}/${want} ready` };
}

export function nodeReadiness(n: KubeObject): Readiness {
  const c = conditionOf(n, 'Ready');
  return { ready: c?.status === 'True', summary: `${n.metadata.name} ${c?.status === 'True' ? 'Ready' : `NotReady${c?.reason ? ` (${c.reason})` : ''}`}` };
}

export function crdEstablished(crd: KubeObject): Readiness {
  const c = conditionOf(crd, 'Established');
  return { ready: c?.status === 'True', summary: `${crd.metadata.name} ${c?.status === 'True' ? 'established' : 'not established'}` };
}

export const readinessByKind: Record<string, (o: KubeObject) => Readiness> = {
  Deployment: deploymentReadiness,
  DaemonSet: daemonSetReadiness,
  StatefulSet: statefulSetReadiness,
  Node: nodeReadiness,
  CustomResourceDefinition: crdEstablished,
};

/** Every named object exists and is ready. */
export function allNamedReady(names: readonly string[], readiness: (o: KubeObject) => Readiness) {
  return (objects: KubeObject[]): Progress => {
    const byName = new Map(objects.map((o) => [o.metadata.name, o]));
    const parts = names.map((n) => {
      const o = byName.get(n);
      return o ? readiness(o) : { ready: false, summary: `${n} not found` };
    });
    return { done: parts.every((p) => p.ready), found: parts.map((p) => p.summary).join(', ') };
  };
}

export interface Workload {
  kind: 'Deployment' | 'DaemonSet' | 'StatefulSet';
  namespace: string;
  name: string;
}

const apiVersionOf: Record<Workload['kind'], string> = { Deployment: 'apps/v1', DaemonSet: 'apps/v1', StatefulSet: 'apps/v1' };

/** Waits until each workload is ready; workloads of one kind and namespace share one watch. */
export async function waitForWorkloads(kube: KubeClient, workloads: readonly Workload[], opts: WaitOptions): Promise<void> {
  const groups = new Map<string, Workload[]>();
  for (const w of workloads) {
    const k = `${w.kind}/${w.namespace}`;
    groups.set(k, [...(groups.get(k) ?? []), w]);
  }
  await Promise.all(
    [...groups.values()].map((group) => {
      const first = group[0] as Workload;
      const names = group.map((w) => w.name);
      return waitFor(
        kube,
        { apiVersion: apiVersionOf[first.kind], kind: first.kind, namespace: first.namespace },
        `${first.kind.toLowerCase()}${names.length > 1 ? 's' : ''} ${names.join(', ')} in ${first.namespace} to be ready`,
        allNamedReady(names, readinessByKind[first.kind] as (o: KubeObject) => Readiness),
        opts,
      );
    }),
  );
}

/** Lines describing why pods in a namespace are not running (waiting reasons), for timeout errors. */
export async function podProblems(kube: KubeClient, namespace: string): Promise<string[]> {
  const pods = await kube.list({ apiVersion: 'v1', kind: 'Pod', namespace });
  const lines: string[] = [];
  for (const pod of pods) {
    const st = (pod.status ?? {}) as {
      phase?: string;
      conditions?: Condition[];
      containerStatuses?: Array<{ name: string; ready?: boolean; state?: { waiting?: { reason?: string; message?: string } } }>;
    };
    const waiting = (st.containerStatuses ?? [])
      .filter((c) => c.state?.waiting)
      .map((c) => `${c.name}: ${c.state?.waiting?.reason ?? 'waiting'}${c.state?.waiting?.message ? ` (${c.state.waiting.message})` : ''}`);
    const unschedulable = st.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
    if (unschedulable) lines.push(`pod ${namespace}/${pod.metadata.name}: not scheduled: ${unschedulable.message ?? unschedulable.reason ?? ''}`);
    else if (waiting.length > 0) lines.push(`pod ${namespace}/${pod.metadata.name}: ${waiting.join('; ')}`);
    else if (st.phase && st.phase !== 'Running' && st.phase !== 'Succeeded') lines.push(`pod ${namespace}/${pod.metadata.name}: ${st.phase}`);
  }
  return lines;
}
