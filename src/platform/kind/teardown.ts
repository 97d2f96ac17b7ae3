/**
 * `kindlab down`: delete what kindlab created, and only that.
 *
 * Owned means: a kind cluster whose name starts with `kindlab-`, a Docker container labelled
 * dev.kindlab.owned=true, and the Envoy containers cloud-provider-kind ran for an owned cluster.
 * Nothing else is ever removed, whatever its name. Running down twice is fine: the second run finds
 * nothing and succeeds.
 *
 * Clusters are found through Docker's labels, the way `kind get clusters` finds them, so teardown
 * works even when the kind binary is not (or no longer) in the cache.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KindlabError, envError } from '../../core/errors.js';
import type { ProcessRunner } from '../../core/seams.js';
import type { TeardownResult } from '../types.js';
import { CPK_CLUSTER_LABEL, KIND_CLUSTER_LABEL, LAB_LABEL, OWNED_LABEL, SCOPE_LABEL, isOwnedClusterName, nameMatchesLab } from './names.js';
import { RECORD_FILE, clusterOwners } from './records.js';
import { outputTail } from './run.js';

export interface TeardownDeps {
  runner: ProcessRunner;
  /** kind is optional: without it clusters are removed as kind does, by removing their node containers. */
  tools: { docker: string; kind?: string };
  env?: Record<string, string | undefined>;
  status: (message: string) => void;
  /** <state>/labs, where each lab's state directory lives. */
  labsDir: string;
}

export interface OwnedContainer {
  id: string;
  name: string;
  lab: string;
  scope: string;
}

async function docker(deps: TeardownDeps, args: string[]): Promise<string> {
  const r = await deps.runner.run(deps.tools.docker, args, { env: deps.env });
  if (r.exitCode !== 0) {
    const out = outputTail(r, 5).join(' ');
    if (/Cannot connect to the Docker daemon|permission denied|error during connect/i.test(out) || r.exitCode === 127) {
      throw envError('Docker is not reachable, so nothing could be deleted', 'Start Docker, then run kindlab down again.', outputTail(r, 5));
    }
    throw new KindlabError('environment', `docker ${args.slice(0, 2).join(' ')} failed (exit ${r.exitCode})`, { details: outputTail(r) });
  }
  return r.stdout;
}

const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/** Every kind cluster on this Docker engine (kindlab's or not). */
export async function listClusters(deps: TeardownDeps): Promise<string[]> {
  const out = await docker(deps, ['ps', '-a', '--filter', `label=${KIND_CLUSTER_LABEL}`, '--format', `{{.Label "${KIND_CLUSTER_LABEL}"}}`]);
  return [...new Set(lines(out))].sort();
}

export async function listOwnedContainers(deps: TeardownDeps): Promise<OwnedContainer[]> {
  const format = `{{.ID}}\t{{.Names}}\t{{.Label "${LAB_LABEL}"}}\t{{.Label "${SCOPE_LABEL}"}}`;
  const out = await docker(deps, ['ps', '-a', '--filter', `label=${OWNED_LABEL}=true`, '--format', format]);
  return lines(out).map((l) => {
    const [id = '', name = '', lab = '', scope = ''] = l.split('\t');
    return { id, name, lab, scope };
  });
}

/**
 * Which owned clusters belong to `labId`: those its record names, plus unrecorded ones whose name
 * has the lab's shape. A cluster another lab's record claims is never taken.
 */
export function clustersOfLab(clusters: readonly string[], labId: string, owners: ReadonlyMap<string, string>): string[] {
  return clusters.filter((c) => {
    if (!isOwnedClusterName(c)) return false;
    const owner = owners.get(c);
    return owner !== undefined ? owner === labId : nameMatchesLab(c, labId);
  });
}

async function removeContainers(deps: TeardownDeps, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  // -v: kind node containers keep /var in anonymous volumes; leave nothing behind.
  const r = await deps.runner.run(deps.tools.docker, ['rm', '-f', '-v', ...ids], { env: deps.env });
  // Something else (cloud-provider-kind, a parallel down) may have removed one first: that is fine.
  const otherErrors = r.stderr.split('\n').filter((l) => l.trim() !== '' && !/no such container/i.test(l));
  if (r.exitCode !== 0 && otherErrors.length > 0) {
    throw new KindlabError('environment', `could not remove containers ${ids.join(' ')}`, { details: outputTail(r) });
  }
}

async function deleteCluster(deps: TeardownDeps, name: string, kubeconfig: string): Promise<void> {
  if (deps.tools.kind) {
    // --kubeconfig so kind edits the lab's file (or a scratch one), never the user's.
    const r = await deps.runner.run(deps.tools.kind, ['delete', 'cluster', '--name', name, '--kubeconfig', kubeconfig], { env: deps.env });
    if (r.exitCode !== 0) throw new KindlabError('environment', `kind delete cluster --name ${name} failed (exit ${r.exitCode})`, { details: outputTail(r) });
    return;
  }
  const ids = lines(await docker(deps, ['ps', '-a', '-q', '--filter', `label=${KIND_CLUSTER_LABEL}=${name}`]));
  await removeContainers(deps, ids);
}

/** Removes the kubeconfigs and kind configs kindlab wrote into a lab's state directory. */
async function forgetLabFiles(stateDir: string): Promise<void> {
  let files: string[];
  try {
    files = await readdir(stateDir);
  } catch {
    return;
  }
  const ours = files.filter((f) => f === 'kubeconfig' || f === RECORD_FILE || f.startsWith('kubeconfig-') || /^kind-.*\.yaml$/.test(f));
  await Promise.all(ours.map((f) => rm(join(stateDir, f), { force: true })));
}

export async function teardown(target: string | 'all', deps: TeardownDeps): Promise<TeardownResult> {
  const owners = await clusterOwners(deps.labsDir);
  const all = await listClusters(deps);
  const doomed = target === 'all' ? all.filter(isOwnedClusterName) : clustersOfLab(all, target, owners);

  const removedClusters: string[] = [];
  const removedContainers: string[] = [];
  const failures: string[] = [];
  const scratch = await mkdtemp(join(tmpdir(), 'kindlab-down-'));
  try {
    for (const name of doomed) {
      deps.status(`Deleting cluster ${name}`);
      const owner = owners.get(name) ?? (target === 'all' ? undefined : target);
      const kubeconfig = owner ? join(deps.labsDir, owner, `kubeconfig-${name}`) : join(scratch, 'kubeconfig');
      try {
        await deleteCluster(deps, name, kubeconfig);
        removedClusters.push(name);
      } catch (err) {
        failures.push(err instanceof KindlabError ? [err.message, ...err.details].join('\n  ') : String(err));
      }
      // cloud-provider-kind removes its Envoy containers when it notices the cluster is gone, but
      // only if it is still running; clear any it left behind.
      const envoys = lines(await docker(deps, ['ps', '-a', '--filter', `label=${CPK_CLUSTER_LABEL}=${name}`, '--format', '{{.Names}}']));
      await removeContainers(deps, envoys);
      removedContainers.push(...envoys);
    }

    const owned = await listOwnedContainers(deps);
    let doomedContainers = target === 'all' ? owned : owned.filter((c) => c.lab === target);
    if (target !== 'all') {
      // Shared containers (cloud-provider-kind) go when the last kindlab cluster has gone.
      const left = (await listClusters(deps)).filter(isOwnedClusterName);
      if (left.length === 0) doomedContainers = [...doomedContainers, ...owned.filter((c) => c.scope === 'shared' && !c.lab)];
    }
    for (const c of doomedContainers) deps.status(`Removing container ${c.name}`);
    await removeContainers(
      deps,
      doomedContainers.map((c) => c.id),
    );
    removedContainers.push(...doomedContainers.map((c) => c.name));

    const labs = target === 'all' ? [...new Set(owners.values())] : [target];
    await Promise.all(labs.map((lab) => forgetLabFiles(join(deps.labsDir, lab))));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  if (failures.length > 0) {
    throw new KindlabError('environment', `could not delete ${failures.length} cluster${failures.length > 1 ? 's' : ''}`, {
      details: failures,
      fix: 'Run kindlab down again; if it keeps failing, restart Docker.',
    });
  }
  return { removedClusters, removedContainers };
}
