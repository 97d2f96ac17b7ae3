/**
 * Cluster lifecycle: create every cluster of a lab at once, reuse the ones that already exist and
 * are healthy, wait for their nodes to be Ready (watch, not sleep), write registry mirrors and node
 * roles, and merge the per-cluster kubeconfigs into the lab's own. If any cluster fails, the others
 * are stopped and whatever this run created is deleted again, unless asked to keep it.
 *
 * Every kind call passes --kubeconfig: without it kind edits $KUBECONFIG or ~/.kube/config
 * (kind pkg/cluster/internal/kubeconfig paths.go), and kindlab never touches the user's file.
 *
 * Each cluster is recorded before `kind create cluster` runs and again with its node containers
 * after (records.ts), and its nodes are marked with the lab's id once Ready (ownership.ts). An
 * existing cluster of the same name is reused or recreated only when it is this lab's by that
 * record or mark; a look-alike someone else made stops the run instead.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { KindlabError, toMessage } from '../../core/errors.js';
import type { Clock, KubeClientFactory, ProcessRunner } from '../../core/seams.js';
import { applyMirrors } from '../addons/mirrors.js';
import type { RenderedKindConfig } from './config.js';
import { takenPorts, type HostPort } from './host-ports.js';
import { writeMergedKubeconfig } from './kubeconfig.js';
import { OWNER_NODE_LABEL } from './names.js';
import { kindNodeContainers, ownershipOf, type DockerRun } from './ownership.js';
import { clusterRecords, readRecord, updateCluster, type ClusterRecord } from './records.js';
import { phaseError } from './run.js';
import type { ToolPaths } from './tools.js';
import { allNamedReady, nodeReadiness, waitFor } from './wait.js';

export const PHASE_CREATE = 'Creating clusters';

export interface ClusterPlan extends RenderedKindConfig {
  /** Name in the lab's front matter ("" for the single unnamed cluster). */
  name: string;
  contextVar?: string;
  hostPorts: HostPort[];
}

export interface ClusterHandle {
  name: string;
  kindName: string;
  context: string;
  /** The per-cluster kubeconfig kind wrote (the lab's merged file is separate). */
  kubeconfig: string;
  contextVar?: string;
  nodes: RenderedKindConfig['nodes'];
  reused: boolean;
}

export interface ClusterDeps {
  runner: ProcessRunner;
  kube: KubeClientFactory;
  clock: Clock;
  tools: Pick<ToolPaths, 'kind' | 'kubectl' | 'docker'>;
  /** Environment for child processes (already holds PATH with the pinned tools first). */
  env: Record<string, string | undefined>;
  status: (message: string) => void;
  signal?: AbortSignal;
  nodesReadyTimeoutMs?: number;
  createTimeoutMs?: number;
  /** Test-binds host ports; replaced in tests. */
  checkPorts?: (ports: readonly HostPort[]) => Promise<string[]>;
}

export interface CreateInput {
  /** The lab the clusters are for: recorded, and written on their nodes as the owner mark. */
  labId: string;
  stateDir: string;
  plans: readonly ClusterPlan[];
  mirrors: Record<string, string>;
  keepOnFailure: boolean;
}

export interface CreatedClusters {
  clusters: ClusterHandle[];
  /** The lab's merged kubeconfig. */
  kubeconfig: string;
  /** kind names this run created (the rest were reused). */
  created: string[];
}

export const clusterKubeconfigPath = (stateDir: string, kindName: string) => join(stateDir, `kubeconfig-${kindName}`);
export const labKubeconfigPath = (stateDir: string) => join(stateDir, 'kubeconfig');
const configPath = (stateDir: string, kindName: string) => join(stateDir, `kind-${kindName}.yaml`);

/** Names of existing kind clusters (`kind get clusters`; kind prints "No kind clusters found." on stderr). */
export async function listKindClusters(deps: Pick<ClusterDeps, 'runner' | 'tools' | 'env' | 'signal'>, phase: string): Promise<string[]> {
  const r = await deps.runner.run(deps.tools.kind, ['get', 'clusters'], { env: deps.env, signal: deps.signal });
  if (r.exitCode !== 0) throw phaseError(phase, 'could not list kind clusters', { result: r, fix: 'Check that Docker is running (kindlab doctor).' });
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

async function kindDelete(deps: ClusterDeps, kindName: string, kubeconfig: string): Promise<string | undefined> {
  const r = await deps.runner.run(deps.tools.kind, ['delete', 'cluster', '--name', kindName, '--kubeconfig', kubeconfig], { env: deps.env });
  return r.exitCode === 0 ? undefined : `could not delete ${kindName}: ${(r.stderr || r.stdout).trim().split('\n').pop() ?? ''}`;
}

/**
 * An existing cluster is reused when its node set is the one the lab asks for and its API server
 * answers /readyz. Anything else is deleted and created again: repairing a kind cluster (e.g.
 * after a Docker restart) is not reliable (kind#148), recreating is.
 */
async function reusable(deps: ClusterDeps, plan: ClusterPlan, kubeconfig: string): Promise<string | undefined> {
  const env = deps.env;
  const nodes = await deps.runner.run(deps.tools.kind, ['get', 'nodes', '--name', plan.kindName], { env, signal: deps.signal });
  const have = nodes.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.endsWith('-external-load-balancer'))
    .sort();
  const want = plan.nodes.map((n) => n.name).sort();
  if (nodes.exitCode !== 0 || have.join(',') !== want.join(',')) {
    return `its nodes (${have.join(', ') || 'none'}) differ from the lab's (${want.join(', ')})`;
  }
  const kc = await deps.runner.run(deps.tools.kind, ['get', 'kubeconfig', '--name', plan.kindName], { env, signal: deps.signal });
  if (kc.exitCode !== 0) return 'kind could not read its kubeconfig';
  await writeFile(kubeconfig, kc.stdout, { mode: 0o600 });
  const readyz = await deps.runner.run(
    deps.tools.kubectl,
    ['--kubeconfig', kubeconfig, '--context', plan.context, 'get', '--raw', '/readyz', '--request-timeout', '10s'],
    { env, signal: deps.signal, timeoutMs: 20_000 },
  );
  if (readyz.exitCode !== 0 || readyz.stdout.trim() !== 'ok') return 'its API server is not ready';
  return undefined;
}

async function provisionOne(
  deps: ClusterDeps,
  input: CreateInput,
  plan: ClusterPlan,
  exists: boolean,
  signal: AbortSignal,
  attempted: Set<string>,
): Promise<ClusterHandle> {
  const kubeconfig = clusterKubeconfigPath(input.stateDir, plan.kindName);
  const env = { ...deps.env, KUBECONFIG: kubeconfig };
  const d = { ...deps, env, signal };
  let reused = false;
  if (exists) {
    const problem = await reusable(d, plan, kubeconfig);
    if (problem === undefined) {
      deps.status(`Reusing cluster ${plan.kindName}`);
      reused = true;
    } else {
      deps.status(`Recreating cluster ${plan.kindName}: ${problem}`);
      attempted.add(plan.kindName);
      const err = await kindDelete(d, plan.kindName, kubeconfig);
      if (err) throw phaseError(PHASE_CREATE, err);
    }
  }
  if (!reused) {
    const file = configPath(input.stateDir, plan.kindName);
    await writeFile(file, plan.yaml);
    // Recorded before kind starts: a run interrupted while kind creates the nodes still knows they are ours.
    // Wall-clock time, not deps.clock: it is compared with Docker's container creation times.
    await updateCluster(input.stateDir, input.labId, plan.kindName, { name: plan.name, context: plan.context, createdAt: new Date().toISOString(), nodeIds: [] });
    attempted.add(plan.kindName);
    const args = ['create', 'cluster', '--name', plan.kindName, '--config', file, '--kubeconfig', kubeconfig, '--wait', '0s'];
    const r = await deps.runner.run(deps.tools.kind, args, { env, signal, timeoutMs: deps.createTimeoutMs ?? 15 * 60_000 });
    if (r.exitCode !== 0) {
      throw phaseError(PHASE_CREATE, `could not create cluster ${plan.kindName}`, {
        result: r,
        fix: r.timedOut ? undefined : 'kindlab doctor checks the usual causes (Docker memory, inotify limits, ports).',
      });
    }
    const made = (await kindNodeContainers(dockerRun(deps, signal))).get(plan.kindName) ?? [];
    await updateCluster(input.stateDir, input.labId, plan.kindName, { nodeIds: made.map((n) => n.id) });
  }
  // Right after creation, before anything pulls an image; rewritten on reuse in case mirrors changed.
  await applyMirrors(
    plan.nodes.map((n) => n.name),
    input.mirrors,
    { docker: deps.tools.docker, runner: deps.runner, env, signal },
  );

  const kube = deps.kube(kubeconfig, plan.context);
  const names = plan.nodes.map((n) => n.name);
  await waitFor(kube, { apiVersion: 'v1', kind: 'Node' }, `nodes of ${plan.kindName} to be Ready`, allNamedReady(names, nodeReadiness), {
    clock: deps.clock,
    timeoutMs: deps.nodesReadyTimeoutMs ?? 5 * 60_000,
    phase: PHASE_CREATE,
    status: deps.status,
    signal,
  });
  // kind cannot set node-role.kubernetes.io labels (the kubelet refuses them), so roles go on now,
  // with the mark that tells a later `kindlab down` the cluster is this lab's.
  for (const node of plan.nodes) {
    const labels = { ...Object.fromEntries(node.roles.map((r) => [`node-role.kubernetes.io/${r}`, 'true'])), [OWNER_NODE_LABEL]: input.labId };
    try {
      await kube.patch({ apiVersion: 'v1', kind: 'Node', name: node.name }, { metadata: { labels } });
    } catch (err) {
      throw phaseError(PHASE_CREATE, `could not label node ${node.name}: ${toMessage(err)}`, { cause: err });
    }
  }
  return {
    name: plan.name,
    kindName: plan.kindName,
    context: plan.context,
    kubeconfig,
    ...(plan.contextVar ? { contextVar: plan.contextVar } : {}),
    nodes: plan.nodes,
    reused,
  };
}

const dockerRun =
  (deps: Pick<ClusterDeps, 'runner' | 'tools' | 'env'>, signal?: AbortSignal): DockerRun =>
  (args, opts) =>
    deps.runner.run(deps.tools.docker, args, { env: deps.env, ...(signal ? { signal } : {}), ...(opts?.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) });

/** Refuses to touch an existing cluster of the lab's name that is not this lab's by record or mark. */
async function refuseLookalikes(deps: ClusterDeps, input: CreateInput, existing: ReadonlySet<string>): Promise<void> {
  const names = input.plans.map((p) => p.kindName).filter((n) => existing.has(n));
  if (names.length === 0) return;
  const own = await readRecord(input.stateDir);
  const records = new Map<string, ClusterRecord>((own?.clusters ?? []).map((c) => [c.kindName, { ...c, labId: own?.labId ?? input.labId, stateDir: input.stateDir }]));
  // Another lab's record may hold the name too (kindlab-web-c1: lab web's c1 or lab web-c1).
  for (const [k, r] of await clusterRecords(dirname(input.stateDir))) if (!records.has(k)) records.set(k, r);
  const nodes = await kindNodeContainers(dockerRun(deps, deps.signal));
  const problems: string[] = [];
  const fixes: string[] = [];
  for (const name of names) {
    const o = await ownershipOf(name, nodes.get(name) ?? [], records, dockerRun(deps, deps.signal));
    if (o.owner === input.labId) continue;
    if (o.owner === undefined) {
      problems.push(`${name} exists, and kindlab did not create it (no record, no kindlab mark on its nodes)`);
      fixes.push(`kind delete cluster --name ${name}`);
    } else {
      problems.push(`${name} exists and belongs to lab ${o.owner}`);
      fixes.push(`kindlab down ${o.owner}`);
    }
  }
  if (problems.length === 0) return;
  throw phaseError(PHASE_CREATE, `a cluster with the name this lab needs is in the way: ${problems.join('; ')}`, {
    details: ['kindlab never reuses or deletes a cluster it did not create for the lab.'],
    fix: `If it is yours to delete: ${fixes.join(', then ')}; then start again.`,
  });
}

export async function createClusters(deps: ClusterDeps, input: CreateInput): Promise<CreatedClusters> {
  await mkdir(input.stateDir, { recursive: true });
  const existing = new Set(await listKindClusters(deps, PHASE_CREATE));
  await refuseLookalikes(deps, input, existing);

  const fresh = input.plans.filter((p) => !existing.has(p.kindName));
  const taken = await (deps.checkPorts ?? takenPorts)(fresh.flatMap((p) => p.hostPorts));
  if (taken.length > 0) {
    throw phaseError(PHASE_CREATE, 'host ports needed by the lab are taken', {
      details: taken,
      fix: 'Stop whatever listens there (another lab: kindlab down <lab>), then start again.',
    });
  }

  // One failure stops the siblings: no point finishing a cluster that is about to be deleted.
  const abort = new AbortController();
  const signal = deps.signal ? AbortSignal.any([deps.signal, abort.signal]) : abort.signal;
  const attempted = new Set<string>();
  let firstError: unknown;
  const results = await Promise.allSettled(
    input.plans.map((plan) =>
      provisionOne(deps, input, plan, existing.has(plan.kindName), signal, attempted).catch((err: unknown) => {
        firstError ??= err;
        abort.abort();
        throw err;
      }),
    ),
  );

  if (firstError !== undefined) {
    const notes: string[] = [];
    for (const kindName of attempted) {
      if (input.keepOnFailure) {
        notes.push(`kept ${kindName} for inspection (delete it with: kindlab down)`);
        continue;
      }
      const err = await kindDelete(deps, kindName, clusterKubeconfigPath(input.stateDir, kindName));
      notes.push(err ?? `deleted ${kindName}, created by this run`);
    }
    if (firstError instanceof KindlabError) firstError.details.push(...notes);
    throw firstError;
  }

  const clusters = results.map((r) => (r as PromiseFulfilledResult<ClusterHandle>).value);
  const kubeconfig = labKubeconfigPath(input.stateDir);
  await writeMergedKubeconfig(
    kubeconfig,
    clusters.map((c) => c.kubeconfig),
  );
  return { clusters, kubeconfig, created: clusters.filter((c) => !c.reused).map((c) => c.kindName) };
}
