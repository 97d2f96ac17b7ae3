/**
 * Ownership rules of teardown with a scripted docker/kind (the real-Docker proof is in
 * test/platform/teardown.test.ts).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeRecord } from '../../../src/platform/kind/records.js';
import { clustersOfLab, teardown, type TeardownDeps } from '../../../src/platform/kind/teardown.js';
import { FakeRunner, type Call } from './fakes.js';

describe('clustersOfLab', () => {
  const all = ['kind', 'kindlab-web', 'kindlab-web-c1', 'kindlab-web-c1-x', 'kindlab-webapp', 'mine-kindlab-web'];

  it('without records, matches kindlab-<lab> and kindlab-<lab>-*, nothing else', () => {
    expect(clustersOfLab(all, 'web', new Map())).toEqual(['kindlab-web', 'kindlab-web-c1', 'kindlab-web-c1-x']);
  });

  it('a record settles names that two labs could claim', () => {
    // Lab "web-c1" recorded its cluster kindlab-web-c1-x; lab "web" must not take it.
    const owners = new Map([
      ['kindlab-web-c1-x', 'web-c1'],
      ['kindlab-web-c1', 'web'],
    ]);
    expect(clustersOfLab(all, 'web', owners)).toEqual(['kindlab-web', 'kindlab-web-c1']);
    expect(clustersOfLab(all, 'web-c1', owners)).toEqual(['kindlab-web-c1-x']);
  });
});

describe('teardown (scripted)', () => {
  let labsDir: string;
  let runner: FakeRunner;
  let deps: TeardownDeps;
  let clusters: string[];

  beforeEach(() => {
    labsDir = mkdtempSync(join(tmpdir(), 'kindlab-labs-'));
    runner = new FakeRunner();
    clusters = ['kindlab-alpha', 'kindlab-beta-c1', 'kind'];
    runner.when(/docker ps -a --filter label=io.x-k8s.kind.cluster --format/, () => ({ stdout: clusters.join('\n') }));
    runner.when(/docker ps -a --filter label=dev.kindlab.owned=true/, {
      stdout: 'id1\tkindlab-cloud-provider-kind\t\tshared\nid2\talpha-vm\talpha\t\n',
    });
    runner.when('kind delete cluster', (call) => {
      const name = call.args[call.args.indexOf('--name') + 1];
      clusters = clusters.filter((c) => c !== name);
      return {};
    });
    deps = { runner, tools: { docker: 'docker', kind: '/cache/kind' }, status: () => undefined, labsDir };
  });
  afterEach(() => rmSync(labsDir, { recursive: true, force: true }));

  it("deletes with kind, always passing the lab's own kubeconfig file", async () => {
    mkdirSync(join(labsDir, 'alpha'));
    await writeRecord(join(labsDir, 'alpha'), {
      version: 1,
      labId: 'alpha',
      clusters: [{ name: '', kindName: 'kindlab-alpha', context: 'kind-kindlab-alpha' }],
      updatedAt: 'now',
    });
    writeFileSync(join(labsDir, 'alpha', 'kubeconfig'), 'x');
    writeFileSync(join(labsDir, 'alpha', 'kubeconfig-kindlab-alpha'), 'x');
    writeFileSync(join(labsDir, 'alpha', 'kind-kindlab-alpha.yaml'), 'x');
    writeFileSync(join(labsDir, 'alpha', 'progress.json'), '{}');

    const result = await teardown('alpha', deps);
    expect(result).toEqual({ removedClusters: ['kindlab-alpha'], removedContainers: ['alpha-vm'] });
    const del = runner.find('kind delete cluster')[0] as Call;
    expect(del.args).toEqual(['delete', 'cluster', '--name', 'kindlab-alpha', '--kubeconfig', join(labsDir, 'alpha', 'kubeconfig-kindlab-alpha')]);
    // The lab's kubeconfigs and configs go; other lab state (progress) stays.
    expect(readdirSync(join(labsDir, 'alpha'))).toEqual(['progress.json']);
    // kindlab-beta-c1 still exists, so the shared cloud-provider-kind stays.
    expect(runner.find('docker rm').flatMap((c) => c.args)).not.toContain('id1');
  });

  it('removes the shared container once the last kindlab cluster is gone', async () => {
    clusters = ['kindlab-alpha', 'kind'];
    const result = await teardown('alpha', deps);
    expect(result.removedContainers).toEqual(['alpha-vm', 'kindlab-cloud-provider-kind']);
    expect(runner.find('kind delete cluster --name kind ')).toHaveLength(0);
  });

  it('never runs kind delete for a cluster whose name lacks the kindlab- prefix, even with all', async () => {
    const result = await teardown('all', deps);
    expect(result.removedClusters).toEqual(['kindlab-alpha', 'kindlab-beta-c1']);
    expect(runner.find('kind delete cluster').map((c) => c.args[3])).toEqual(['kindlab-alpha', 'kindlab-beta-c1']);
    expect(clusters).toEqual(['kind']);
  });

  it('explains that Docker is not running', async () => {
    const down = new FakeRunner().when('docker', { exitCode: 1, stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' });
    await expect(teardown('alpha', { ...deps, runner: down })).rejects.toMatchObject({
      kind: 'environment',
      message: 'Docker is not reachable, so nothing could be deleted',
    });
  });
});
