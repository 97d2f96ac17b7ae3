/**
 * `kindlab down`: delete what kindlab created, and only that.
 *
 * A kind cluster is deleted when it is kindlab's by its lab's record or by the mark on its nodes
 * (ownership.ts), never by its name: a cluster named kindlab-<lab> that kindlab did not make is
 * left alone and reported with the command to delete it by hand. Docker containers are kindlab's
 * when they carry dev.kindlab.owned=true, and cloud-provider-kind's Envoy containers go with the
 * cluster they serve. Running down twice is fine: the second run finds nothing and succeeds.
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
import { CPK_CLUSTER_LABEL, KIND_CLUSTER_LABEL, LAB_LABEL, OWNED_LABEL, SCOPE_LABEL, nameMatchesLab } from './names.js';
import { kindNodeContainers, notOursNotice, ownershipOf, type DockerRun } from './ownership.js';
import { RECORD_FILE, clusterRecords, forgetClusters, readRecord } from './records.js';
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

export async function listOwnedContainers(deps: TeardownDeps): Promise<OwnedContainer[]> {
  const format = `{{.ID}}\t{{.Names}}\t{{.Label "${LAB_LABEL}"}}\t{{.Label "${SCOPE_LABEL}"}}`;
  const out = await docker(deps, ['ps', '-a', '--filter', `label=${OWNED_LABEL}=true`, '--format', format]);
  return lines(out).map((l) => {
    const [id = '', name = '', lab = '', scope = ''] = l.split('\t');
    return { id, name, lab, scope };
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

/**
 * Forgets the deleted clusters in a lab's record; once none is left, also the kubeconfigs and kind
 * configs kindlab wrote there. A cluster that could not be deleted stays recorded, so the next
 * `down` still knows it is kindlab's.
 */
async function forgetLabFiles(stateDir: string, deleted: readonly string[]): Promise<void> {
  await forgetClusters(stateDir, deleted);
  if ((await readRecord(stateDir))?.clusters.length) {
    await Promise.all(deleted.flatMap((k) => [`kubeconfig-${k}`, `kind-${k}.yaml`]).map((f) => rm(join(stateDir, f), { force: true })));
    return;
  }
  let files: string[];
  try {
    files = await readdir(stateDir);
  } catch {
    return;
  }
  const ours = files.filter((f) => f === 'kubeconfig' || f === RECORD_FILE || f.startsWith('kubeconfig-') || /^kind-.*\.yaml$/.test(f));
  await Promise.all(ours.map((f) => rm(join(stateDir, f), { force: true })));
}

/** Which clusters to delete for `target`, and which look like kindlab's but are not. */
async function plan(target: string | 'all', deps: TeardownDeps) {
  // Reading a mark may fail (a stopped cluster): that only means "not known to be kindlab's".
  const run: DockerRun = (args, opts) => deps.runner.run(deps.tools.docker, args, { env: deps.env, ...(opts?.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) });
  const records = await clusterRecords(deps.labsDir);
  // Listing must work, with the same diagnosis as any other docker call (not reachable...).
  const nodes = await kindNodeContainers(async (args) => ({ exitCode: 0, stdout: await docker(deps, args), stderr: '' }));
  const doomed: Array<{ name: string; owner: string; stateDir: string; by: 'record' | 'mark' }> = [];
  const notOurs: NonNullable<TeardownResult['notOurs']> = [];
  for (const [name, containers] of [...nodes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const recorded = records.get(name);
    const concerns = target === 'all' ? hasKindlabShape(name) || recorded !== undefined : recorded?.labId === target || nameMatchesLab(name, target);
    if (!concerns) continue;
    const o = await ownershipOf(name, containers, records, run);
    if (o.owner === undefined) {
      if (target === 'all' || nameMatchesLab(name, target) || recorded?.labId === target) notOurs.push(notOursNotice(name));
    } else if (target === 'all' || o.owner === target) {
      doomed.push({ name, owner: o.owner, stateDir: o.record?.stateDir ?? join(deps.labsDir, o.owner), by: o.by });
    }
  }
  return { doomed, notOurs, all: [...nodes.keys()], records };
}

const hasKindlabShape = (name: string) => name.startsWith('kindlab-');

export async function teardown(target: string | 'all', deps: TeardownDeps): Promise<TeardownResult> {
  const { doomed, notOurs, all, records } = await plan(target, deps);

  const removedClusters: string[] = [];
  const removedContainers: string[] = [];
  const failures: string[] = [];
  const scratch = await mkdtemp(join(tmpdir(), 'kindlab-down-'));
  try {
    for (const { name, stateDir, by } of doomed) {
      deps.status(`Deleting cluster ${name}`);
      // A cluster known only by its mark may have lost its state directory: kind gets a scratch kubeconfig.
      const kubeconfig = by === 'record' ? join(stateDir, `kubeconfig-${name}`) : join(scratch, 'kubeconfig');
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
    for (const n of notOurs) deps.status(`Not deleting ${n.name}: ${n.why}; ${n.fix}`);

    const owned = await listOwnedContainers(deps);
    const shared = (c: OwnedContainer) => c.scope === 'shared' && !c.lab;
    const doomedContainers = target === 'all' ? owned.filter((c) => !shared(c)) : owned.filter((c) => c.lab === target);
    // The shared cloud-provider-kind goes once no cluster named like kindlab's is left: even one
    // that is not kindlab's may be using it.
    const users = all.filter((c) => hasKindlabShape(c) && !removedClusters.includes(c));
    if (users.length === 0) doomedContainers.push(...owned.filter(shared));
    else if (target === 'all') for (const c of owned.filter(shared)) deps.status(`Keeping ${c.name}: ${users.join(', ')} may still use it`);
    for (const c of doomedContainers) deps.status(`Removing container ${c.name}`);
    await removeContainers(
      deps,
      doomedContainers.map((c) => c.id),
    );
    removedContainers.push(...doomedContainers.map((c) => c.name));

    // Records forget what was deleted and what no longer exists at all.
    const dirs = new Set([...records.values()].filter((r) => target === 'all' || r.labId === target).map((r) => r.stateDir));
    if (target !== 'all') dirs.add(join(deps.labsDir, target));
    await Promise.all(
      [...dirs].map((dir) => {
        const gone = [...records.values()].filter((r) => r.stateDir === dir && !all.includes(r.kindName)).map((r) => r.kindName);
        return forgetLabFiles(dir, [...gone, ...removedClusters]);
      }),
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  if (failures.length > 0) {
    throw new KindlabError('environment', `could not delete ${failures.length} cluster${failures.length > 1 ? 's' : ''}`, {
      details: failures,
      fix: 'Run kindlab down again; if it keeps failing, restart Docker.',
    });
  }
  return { removedClusters, removedContainers, ...(notOurs.length ? { notOurs } : {}) };
}
