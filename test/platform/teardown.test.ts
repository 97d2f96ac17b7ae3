/**
 * Teardown against a real Docker engine: kindlab removes what it owns and nothing else.
 *
 * Kind node containers are stood in for by tiny local containers carrying kind's labels (what
 * `kind get clusters` and kindlab's teardown look at), so no image is pulled and no real cluster is
 * needed. What a cluster is kindlab's by is real: the lab's record holds the IDs Docker gave the
 * containers, and a cluster without record is asked for its node mark with `docker exec ...
 * kubectl`, which the stand-in answers from its environment the way a kind node's kubectl would.
 * The image is imported from a busybox rootfs when busybox is installed (containers then really
 * run), otherwise from a one-file rootfs (containers are only created, and marks cannot be read).
 *
 * Skipped, with a warning saying why, when Docker is not reachable, or when this engine already
 * holds kindlab-owned clusters or containers that `down all` would delete.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProcessRunner } from '../../src/platform/exec.js';
import { ownedContainerLabelArgs } from '../../src/platform/kind/names.js';
import { teardown, type TeardownDeps } from '../../src/platform/kind/teardown.js';

const IMAGE = 'kindlab-test/busybox:2';

function docker(args: string[], input?: string): string {
  return execFileSync('docker', args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] }).trim();
}

function dockerState(): { ok: true } | { ok: false; reason: string } {
  try {
    docker(['info', '--format', '{{.ServerVersion}}']);
  } catch (err) {
    return { ok: false, reason: `Docker is not reachable (${(err as Error).message.split('\n')[0]})` };
  }
  const foreign = docker(['ps', '-a', '--filter', 'label=dev.kindlab.owned=true', '-q']);
  const clusters = docker(['ps', '-a', '--filter', 'label=io.x-k8s.kind.cluster', '--format', '{{.Label "io.x-k8s.kind.cluster"}}'])
    .split('\n')
    .filter((c) => c.startsWith('kindlab-'));
  if (foreign || clusters.length > 0) {
    return { ok: false, reason: 'this Docker engine already runs kindlab labs, which `down all` would delete' };
  }
  return { ok: true };
}

const state = dockerState();
if (!state.ok) console.warn(`[skipped] real-Docker teardown test: ${state.reason}. CI installs Docker so it runs there.`);

const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));

function ensureImage(): void {
  try {
    docker(['image', 'inspect', IMAGE]);
    return;
  } catch {
    // not there yet: build it below
  }
  const root = mkdtempSync(join(tmpdir(), 'kindlab-rootfs-'));
  try {
    mkdirSync(join(root, 'bin'));
    if (busybox) {
      copyFileSync(busybox, join(root, 'bin', 'busybox'));
      for (const applet of ['sh', 'sleep', 'echo']) symlinkSync('busybox', join(root, 'bin', applet));
      // Stands in for the kubectl of a kind node: prints the Node list the container was given.
      writeFileSync(join(root, 'bin', 'kubectl'), '#!/bin/sh\necho "$NODES_JSON"\n', { mode: 0o755 });
    } else {
      writeFileSync(join(root, 'bin', 'placeholder'), 'no busybox on this host\n');
    }
    execFileSync('sh', ['-c', `tar -C '${root}' -c . | docker import - ${IMAGE}`], { stdio: 'pipe' });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const run = Date.now().toString(36);
const labA = `ta${run}`;
const labB = `tb${run}`;
const made: string[] = [];

function container(name: string, labels: Record<string, string> | string[], env: string[] = []): void {
  const labelArgs = [...(Array.isArray(labels) ? labels : Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`])), ...env.flatMap((e) => ['-e', e])];
  // Running busybox containers prove `rm -f` stops them; without busybox they are only created.
  const args = busybox
    ? ['run', '-d', '--name', name, ...labelArgs, IMAGE, 'sleep', '3600']
    : ['create', '--name', name, ...labelArgs, IMAGE, '/bin/placeholder'];
  docker(args);
  made.push(name);
}

const exists = (name: string) => docker(['ps', '-a', '--filter', `name=^${name}$`, '-q']) !== '';
const fullId = (name: string) => docker(['inspect', '--format', '{{.Id}}', name]);
/** A kind control-plane stand-in; `mark` is the dev.kindlab/lab label on its Node, if any. */
const kindNode = (cluster: string, mark?: string) =>
  container(`${cluster}-control-plane`, { 'io.x-k8s.kind.cluster': cluster, 'io.x-k8s.kind.role': 'control-plane' }, [
    `NODES_JSON=${JSON.stringify({ items: [{ metadata: { labels: mark ? { 'dev.kindlab/lab': mark } : {} } }] })}`,
  ]);

describe.skipIf(!state.ok)('teardown with a real Docker engine', () => {
  const labsDir = mkdtempSync(join(tmpdir(), 'kindlab-labs-'));
  const statusLines: string[] = [];
  const deps: TeardownDeps = {
    runner: createProcessRunner(),
    tools: { docker: 'docker' },
    status: (m) => statusLines.push(m),
    labsDir,
  };

  const names = {
    aContainer: `kindlab-test-${labA}-vm`,
    bContainer: `kindlab-test-${labB}-vm`,
    shared: `kindlab-test-${run}-shared`,
    user: `user-${run}-app`,
    aNode: `kindlab-${labA}-control-plane`,
    aEnvoy: `kindccm-${run}a`,
    bNode: `kindlab-${labB}-control-plane`,
    userNode: `mycluster${run}-control-plane`,
    // `kind create cluster --name kindlab-<labA>-extra` by hand: lab A's shape, not lab A's.
    aLookalike: `kindlab-${labA}-extra-control-plane`,
    // Lab M's state directory was lost; its cluster still carries the mark.
    mNode: `kindlab-tm${run}-control-plane`,
  };

  beforeAll(() => {
    ensureImage();
    // Labelled the way kindlab labels a lab's own containers (a VM stand-in, a registry).
    container(names.aContainer, ownedContainerLabelArgs(labA));
    container(names.bContainer, ownedContainerLabelArgs(labB));
    container(names.shared, { 'dev.kindlab.owned': 'true', 'dev.kindlab.scope': 'shared' });
    container(names.user, {});
    kindNode(`kindlab-${labA}`);
    container(names.aEnvoy, { 'io.x-k8s.cloud-provider-kind.cluster': `kindlab-${labA}` });
    kindNode(`kindlab-${labB}`);
    kindNode(`mycluster${run}`);
    kindNode(`kindlab-${labA}-extra`);
    if (busybox) kindNode(`kindlab-tm${run}`, `tm${run}`);
    // What `up` records: the IDs of the node containers kind made.
    for (const lab of [labA, labB]) {
      mkdirSync(join(labsDir, lab), { recursive: true });
      const kindName = `kindlab-${lab}`;
      const rec = { version: 1, labId: lab, clusters: [{ name: '', kindName, context: `kind-${kindName}`, nodeIds: [fullId(`${kindName}-control-plane`)] }], updatedAt: 'now' };
      writeFileSync(join(labsDir, lab, 'platform.json'), JSON.stringify(rec));
    }
  }, 120_000);

  afterAll(() => {
    if (made.length > 0) {
      try {
        docker(['rm', '-f', ...made]);
      } catch {
        // already gone
      }
    }
    rmSync(labsDir, { recursive: true, force: true });
  });

  const lookalike = { name: `kindlab-${labA}-extra`, why: 'kindlab has no record of creating it and it carries no kindlab mark', fix: `if it is yours to delete: kind delete cluster --name kindlab-${labA}-extra` };

  it('down(A) removes only lab A: its recorded cluster, its container, its load-balancer containers', async () => {
    const result = await teardown(labA, deps);
    expect(result.removedClusters).toEqual([`kindlab-${labA}`]);
    expect(result.removedContainers.sort()).toEqual([names.aContainer, names.aEnvoy].sort());
    // Named like one of lab A's clusters, but nothing says kindlab made it.
    expect(result.notOurs).toEqual([lookalike]);
    for (const gone of [names.aContainer, names.aNode, names.aEnvoy]) expect(exists(gone), gone).toBe(false);
    // B still has a cluster, so the shared container stays.
    for (const kept of [names.bContainer, names.bNode, names.shared, names.user, names.userNode, names.aLookalike]) expect(exists(kept), kept).toBe(true);
  }, 60_000);

  it('down(A) again removes nothing and succeeds', async () => {
    expect(await teardown(labA, deps)).toEqual({ removedClusters: [], removedContainers: [], notOurs: [lookalike] });
  }, 60_000);

  it("down('all') removes every recorded or marked kindlab object and leaves look-alikes and the user's containers and kind cluster", async () => {
    const result = await teardown('all', deps);
    expect(result.removedClusters).toEqual([`kindlab-${labB}`, ...(busybox ? [`kindlab-tm${run}`] : [])]);
    // A kindlab-looking cluster is left, which may use the shared load balancer: it stays too.
    expect(result.removedContainers.sort()).toEqual([names.bContainer]);
    expect(result.notOurs).toEqual([lookalike]);
    for (const gone of [names.bContainer, names.bNode, names.mNode]) expect(exists(gone), gone).toBe(false);
    for (const kept of [names.user, names.userNode, names.aLookalike, names.shared]) expect(exists(kept), kept).toBe(true);
    expect(await teardown('all', deps)).toEqual({ removedClusters: [], removedContainers: [], notOurs: [lookalike] });
  }, 60_000);
});
