/**
 * Vantage points: where a check sends a request or runs a command from.
 * - default / {node: 'control-plane'}: the kind node container <kindName>-control-plane (docker exec);
 *   node containers sit on the kind Docker network, so Service cluster IPs and LoadBalancer IPs are
 *   reachable from there even on Docker Desktop, where the host cannot reach container IPs;
 * - {container: 'vm1'}: a Docker container the lab created (docker exec);
 * - {pod: {...}}: the first Running and Ready pod (by name) of a selector or workload (API exec);
 * - 'host': kindlab's own machine.
 */
import type { ExecResult, KubeObject } from '../core/seams.js';
import type { CheckContext, LabCluster } from './types.js';
import { selectorToString } from './label-selector.js';
import { CheckConfigError } from './errors.js';

export type VantageSpec =
  | 'host'
  | { node: string }
  | { container: string }
  | { pod: PodRefSpec };

export interface PodRefSpec {
  namespace: string;
  selector?: string | undefined;
  workload?: string | undefined;
  container?: string | undefined;
}

export type ResolvedVantage =
  | { type: 'host'; label: string }
  | { type: 'docker'; container: string; label: string }
  | { type: 'pod'; namespace: string; name: string; container?: string; label: string };

/** The lab cluster a check targets (ctx.cluster, else the first). */
export function targetCluster(ctx: CheckContext): LabCluster {
  const cluster = ctx.cluster === undefined ? ctx.clusters[0] : ctx.clusters.find((c) => c.name === ctx.cluster);
  if (!cluster) {
    const known = ctx.clusters.map((c) => c.name || '(unnamed)').join(', ') || 'none';
    throw new Error(ctx.cluster === undefined ? 'the lab has no cluster' : `no cluster named "${ctx.cluster}" (clusters: ${known})`);
  }
  return cluster;
}

/** The Docker container of a kind node: "control-plane" → kindlab-lab1-control-plane. */
export function nodeContainer(ctx: CheckContext, node: string): string {
  const { kindName } = targetCluster(ctx);
  return node.startsWith(`${kindName}-`) ? node : `${kindName}-${node}`;
}

export async function resolveVantage(from: VantageSpec | undefined, ctx: CheckContext): Promise<ResolvedVantage> {
  if (from === undefined) {
    const container = nodeContainer(ctx, 'control-plane');
    return { type: 'docker', container, label: `node ${container}` };
  }
  if (from === 'host') return { type: 'host', label: 'this machine' };
  if ('node' in from) {
    const container = nodeContainer(ctx, from.node);
    return { type: 'docker', container, label: `node ${container}` };
  }
  if ('container' in from) return { type: 'docker', container: from.container, label: `container ${from.container}` };
  const { pod, container } = await findPod(ctx, from.pod);
  const name = pod.metadata.name;
  return {
    type: 'pod',
    namespace: from.pod.namespace,
    name,
    ...(container ? { container } : {}),
    label: `pod ${from.pod.namespace}/${name}${container ? ` (${container})` : ''}`,
  };
}

export function isPodReady(pod: KubeObject): boolean {
  const status = pod.status as { phase?: string; conditions?: Array<{ type: string; status: string }> } | undefined;
  return status?.phase === 'Running' && (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

interface ContainerStatus {
  name: string;
  image?: string;
  state?: { waiting?: { reason?: string }; terminated?: { reason?: string } };
}

/** Why a container is not running, as the STATUS column of `kubectl get pods` shows it; for pull failures, with the image. */
function waitingReason(pod: KubeObject): string | undefined {
  const status = pod.status as { initContainerStatuses?: ContainerStatus[]; containerStatuses?: ContainerStatus[] } | undefined;
  const described = (c: ContainerStatus, prefix: string) => {
    const reason = c.state?.waiting?.reason;
    if (!reason || reason === 'ContainerCreating' || reason === 'PodInitializing') return undefined;
    return `${prefix}${reason}${/ImagePull|InvalidImageName/.test(reason) && c.image ? ` (${c.image})` : ''}`;
  };
  for (const c of status?.initContainerStatuses ?? []) {
    const d = described(c, 'Init:');
    if (d) return d;
  }
  for (const c of status?.containerStatuses ?? []) {
    const d = described(c, '');
    if (d) return d;
  }
  return undefined;
}

/** A short state for messages: Running, Pending, ImagePullBackOff (image), CrashLoopBackOff, Running (not ready), Terminating, ... */
export function podState(pod: KubeObject): string {
  if (pod.metadata.deletionTimestamp) return 'Terminating';
  const waiting = waitingReason(pod);
  if (waiting) return waiting;
  const phase = (pod.status as { phase?: string } | undefined)?.phase ?? 'Unknown';
  return phase === 'Running' && !isPodReady(pod) ? 'Running (not ready)' : phase;
}

/** The label selector of a workload reference such as deployment/reviews-v1. */
export async function workloadSelector(ctx: CheckContext, namespace: string, workload: string): Promise<string> {
  const [kindText, name] = workload.split('/') as [string, string];
  const kind = ({ deployment: 'Deployment', daemonset: 'DaemonSet', statefulset: 'StatefulSet' } as Record<string, string>)[kindText.toLowerCase()];
  if (!kind) throw new CheckConfigError(`"${workload}" is not deployment/, daemonset/ or statefulset/<name>`);
  const obj = await ctx.kube().get({ apiVersion: 'apps/v1', kind, name, namespace });
  if (!obj) throw new Error(`${kind} ${namespace}/${name} does not exist`);
  const selector = selectorToString((obj.spec as { selector?: Parameters<typeof selectorToString>[0] } | undefined)?.selector);
  if (!selector) throw new Error(`${kind} ${namespace}/${name} has no selector`);
  return selector;
}

export async function findPod(ctx: CheckContext, ref: PodRefSpec): Promise<{ pod: KubeObject; container?: string }> {
  const kube = ctx.kube();
  let candidates: KubeObject[];
  let what: string;
  if (ref.workload?.toLowerCase().startsWith('pod/')) {
    const name = ref.workload.slice(4);
    const pod = await kube.get({ apiVersion: 'v1', kind: 'Pod', name, namespace: ref.namespace });
    candidates = pod ? [pod] : [];
    what = `pod ${ref.namespace}/${name}`;
  } else {
    const selector = ref.workload ? await workloadSelector(ctx, ref.namespace, ref.workload) : ref.selector;
    if (!selector) throw new CheckConfigError('a pod vantage needs a selector or a workload');
    candidates = await kube.list({ apiVersion: 'v1', kind: 'Pod', namespace: ref.namespace, labelSelector: selector });
    what = `pods matching ${selector} in ${ref.namespace}`;
  }
  const ready = candidates
    .filter((p) => !p.metadata.deletionTimestamp && isPodReady(p))
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const pod = ready[0];
  if (!pod) {
    const seen = candidates.map((p) => `${p.metadata.name} ${podState(p)}`).join(', ');
    throw new Error(`no Running and Ready pod among ${what}${seen ? ` (found ${seen})` : ' (none found)'}`);
  }
  return { pod, ...pickContainer(pod, ref.container) };
}

function pickContainer(pod: KubeObject, wanted: string | undefined): { container?: string } {
  if (wanted) return { container: wanted };
  const annotated = pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
  if (annotated) return { container: annotated };
  const first = (pod.spec as { containers?: Array<{ name: string }> } | undefined)?.containers?.[0]?.name;
  return first ? { container: first } : {};
}

export interface ExecOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Environment variables for the command in a container (`docker exec -e`): values as data, never as shell text. */
  env?: Record<string, string>;
}

export interface VantageExecResult extends ExecResult {
  timedOut?: boolean;
}

/** Runs argv at the vantage point: docker exec, API exec into a pod, or locally. */
export async function execAt(v: ResolvedVantage, argv: string[], ctx: CheckContext, opts: ExecOptions = {}): Promise<VantageExecResult> {
  const runOpts = { env: ctx.env, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) };
  if (v.type === 'docker') {
    const envArgs = Object.entries(opts.env ?? {}).flatMap(([k, value]) => ['-e', `${k}=${value}`]);
    const r = await ctx.runner.run('docker', ['exec', ...envArgs, v.container, ...argv], runOpts);
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode, ...(r.timedOut ? { timedOut: true } : {}) };
  }
  if (v.type === 'host') {
    const [command, ...args] = argv as [string, ...string[]];
    const r = await ctx.runner.run(command, args, runOpts);
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode, ...(r.timedOut ? { timedOut: true } : {}) };
  }
  // KubeClient.exec takes no signal: race it against the signal so a deadline is never missed.
  const exec = ctx.kube().exec({ namespace: v.namespace, name: v.name, ...(v.container ? { container: v.container } : {}) }, argv);
  if (!opts.signal) return exec;
  const signal = opts.signal;
  if (signal.aborted) throw new Error('interrupted');
  return await new Promise<VantageExecResult>((resolve, reject) => {
    const onAbort = () => reject(new Error('interrupted before the command in the pod finished'));
    signal.addEventListener('abort', onAbort, { once: true });
    exec.then(
      (r) => {
        signal.removeEventListener('abort', onAbort);
        resolve(r);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
