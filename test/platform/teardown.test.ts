/**
 * Teardown against a real Docker engine: kindlab removes what it owns and nothing else.
 *
 * Kind node containers are stood in for by tiny local containers carrying kind's cluster label
 * (that label is all `kind get clusters` and kindlab's teardown look at), so no image is pulled and
 * no real cluster is needed. The image is imported from a busybox rootfs when busybox is installed
 * (containers then really run), otherwise from a one-file rootfs (containers are only created).
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

const IMAGE = 'kindlab-test/busybox:1';

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
      for (const applet of ['sh', 'sleep']) symlinkSync('busybox', join(root, 'bin', applet));
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

function container(name: string, labels: Record<string, string> | string[]): void {
  const labelArgs = Array.isArray(labels) ? labels : Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  // Running busybox containers prove `rm -f` stops them; without busybox they are only created.
  const args = busybox
    ? ['run', '-d', '--name', name, ...labelArgs, IMAGE, 'sleep', '3600']
    : ['create', '--name', name, ...labelArgs, IMAGE, '/bin/placeholder'];
  docker(args);
  made.push(name);
}

const exists = (name: string) => docker(['ps', '-a', '--filter', `name=^${name}$`, '-q']) !== '';

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
  };

  beforeAll(() => {
    ensureImage();
    // Labelled the way kindlab labels a lab's own containers (a VM stand-in, a registry).
    container(names.aContainer, ownedContainerLabelArgs(labA));
    container(names.bContainer, ownedContainerLabelArgs(labB));
    container(names.shared, { 'dev.kindlab.owned': 'true', 'dev.kindlab.scope': 'shared' });
    container(names.user, {});
    container(names.aNode, { 'io.x-k8s.kind.cluster': `kindlab-${labA}` });
    container(names.aEnvoy, { 'io.x-k8s.cloud-provider-kind.cluster': `kindlab-${labA}` });
    container(names.bNode, { 'io.x-k8s.kind.cluster': `kindlab-${labB}` });
    container(names.userNode, { 'io.x-k8s.kind.cluster': `mycluster${run}` });
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

  it('down(A) removes only lab A: its cluster, its container, its load-balancer containers', async () => {
    const result = await teardown(labA, deps);
    expect(result.removedClusters).toEqual([`kindlab-${labA}`]);
    expect(result.removedContainers.sort()).toEqual([names.aContainer, names.aEnvoy].sort());
    for (const gone of [names.aContainer, names.aNode, names.aEnvoy]) expect(exists(gone), gone).toBe(false);
    // B still has a cluster, so the shared container stays.
    for (const kept of [names.bContainer, names.bNode, names.shared, names.user, names.userNode]) expect(exists(kept), kept).toBe(true);
  }, 60_000);

  it('down(A) again removes nothing and succeeds', async () => {
    expect(await teardown(labA, deps)).toEqual({ removedClusters: [], removedContainers: [] });
  }, 60_000);

  it("down('all') removes every kindlab object and leaves the user's containers and kind cluster", async () => {
    const result = await teardown('all', deps);
    expect(result.removedClusters).toEqual([`kindlab-${labB}`]);
    expect(result.removedContainers.sort()).toEqual([names.bContainer, names.shared].sort());
    for (const gone of [names.bContainer, names.bNode, names.shared]) expect(exists(gone), gone).toBe(false);
    expect(exists(names.user)).toBe(true);
    expect(exists(names.userNode)).toBe(true);
    expect(await teardown('all', deps)).toEqual({ removedClusters: [], removedContainers: [] });
  }, 60_000);
});
