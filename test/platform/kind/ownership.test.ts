/**
 * Ownership rules of teardown with a scripted docker/kind (the real-Docker proof is in
 * test/platform/teardown.test.ts): only what a record or the node mark says is kindlab's goes.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dockerTime, matchesRecord, type NodeContainer } from '../../../src/platform/kind/ownership.js';
import { readRecord, updateCluster } from '../../../src/platform/kind/records.js';
import { teardown, type TeardownDeps } from '../../../src/platform/kind/teardown.js';
import { FakeRunner, type Call } from './fakes.js';

const node = (id: string, created = Date.parse('2026-12-03T10:00:00Z')): NodeContainer => ({ id, name: `n-${id}`, role: 'control-plane', created, running: true });

describe('matchesRecord', () => {
  it('a record with node IDs matches only those containers', () => {
    expect(matchesRecord({ name: '', kindName: 'k', context: 'c', nodeIds: ['abc123'] }, [node('abc123')])).toBe(true);
    expect(matchesRecord({ name: '', kindName: 'k', context: 'c', nodeIds: ['abc123'] }, [node('fff999')])).toBe(false);
    expect(matchesRecord({ name: '', kindName: 'k', context: 'c', nodeIds: ['abc123'] }, [])).toBe(false);
  });

  it('a creation interrupted before the IDs were written matches containers made after it started', () => {
    const entry = { name: '', kindName: 'k', context: 'c', createdAt: '2026-12-03T10:00:00Z', nodeIds: [] };
    expect(matchesRecord(entry, [node('a', Date.parse('2026-12-03T10:00:30Z'))])).toBe(true);
    expect(matchesRecord(entry, [node('a', Date.parse('2026-12-01T08:00:00Z'))])).toBe(false);
    expect(matchesRecord(entry, [{ ...node('a'), created: undefined }])).toBe(false);
  });

  it("reads Docker's ps time and ISO times", () => {
    expect(dockerTime('2026-12-03 10:00:30 +0100 CET')).toBe(Date.parse('2026-12-03T09:00:30Z'));
    expect(dockerTime('2026-12-03T10:00:30.123Z')).toBe(Date.parse('2026-12-03T10:00:30.123Z'));
    expect(dockerTime('yesterday')).toBeUndefined();
  });
});

describe('teardown (scripted)', () => {
  let labsDir: string;
  let runner: FakeRunner;
  let deps: TeardownDeps;
  /** kind cluster → its node container IDs, as Docker lists them. */
  let clusters: Map<string, string[]>;
  /** Clusters whose nodes carry the mark dev.kindlab/lab=<value>. */
  let marks: Map<string, string>;
  let statuses: string[];

  beforeEach(() => {
    labsDir = mkdtempSync(join(tmpdir(), 'kindlab-labs-'));
    runner = new FakeRunner();
    statuses = [];
    clusters = new Map([
      ['kindlab-alpha', ['a1a1']],
      ['kindlab-beta-c1', ['b1b1']],
      ['kind', ['k1k1']],
    ]);
    marks = new Map();
    runner.when(/^docker ps -a --no-trunc --filter label=io\.x-k8s\.kind\.cluster --format/, () => ({
      stdout: [...clusters].flatMap(([c, ids]) => ids.map((id) => [id, c, 'control-plane', `${c}-control-plane`, 'running', '2026-12-03 10:00:00 +0000 UTC'].join('\t'))).join('\n'),
    }));
    runner.when(/^docker exec \S+-control-plane kubectl/, (call) => {
      const cluster = (call.args[1] as string).replace(/-control-plane$/, '');
      const mark = marks.get(cluster);
      return { stdout: JSON.stringify({ items: [{ metadata: { labels: mark ? { 'dev.kindlab/lab': mark } : {} } }] }) };
    });
    runner.when(/docker ps -a --filter label=dev.kindlab.owned=true/, {
      stdout: 'id1\tkindlab-cloud-provider-kind\t\tshared\nid2\talpha-vm\talpha\t\n',
    });
    runner.when('kind delete cluster', (call) => {
      clusters.delete(call.args[call.args.indexOf('--name') + 1] as string);
      return {};
    });
    deps = { runner, tools: { docker: 'docker', kind: '/cache/kind' }, status: (m) => statuses.push(m), labsDir };
  });
  afterEach(() => rmSync(labsDir, { recursive: true, force: true }));

  const record = (lab: string, kindName: string, nodeIds = clusters.get(kindName) ?? []) => updateCluster(join(labsDir, lab), lab, kindName, { nodeIds });
  const deleted = () => runner.find('kind delete cluster').map((c) => c.args[c.args.indexOf('--name') + 1]);

  it("deletes a recorded cluster with kind, passing the lab's own kubeconfig, and forgets its files", async () => {
    await record('alpha', 'kindlab-alpha');
    for (const f of ['kubeconfig', 'kubeconfig-kindlab-alpha', 'kind-kindlab-alpha.yaml', 'progress.json']) writeFileSync(join(labsDir, 'alpha', f), 'x');

    const result = await teardown('alpha', deps);
    expect(result).toEqual({ removedClusters: ['kindlab-alpha'], removedContainers: ['alpha-vm'] });
    const del = runner.find('kind delete cluster')[0] as Call;
    expect(del.args).toEqual(['delete', 'cluster', '--name', 'kindlab-alpha', '--kubeconfig', join(labsDir, 'alpha', 'kubeconfig-kindlab-alpha')]);
    // The lab's record, kubeconfigs and configs go; other lab state (progress) stays.
    expect(readdirSync(join(labsDir, 'alpha'))).toEqual(['progress.json']);
    // kindlab-beta-c1 still exists, so the shared cloud-provider-kind stays.
    expect(runner.find('docker rm').flatMap((c) => c.args)).not.toContain('id1');
  });

  it('leaves a same-named cluster someone made by hand, and says how to delete it', async () => {
    // `kind create cluster --name kindlab-alpha`: no record, no mark.
    const result = await teardown('alpha', deps);
    expect(deleted()).toEqual([]);
    expect(result.removedClusters).toEqual([]);
    expect(result.notOurs).toEqual([
      { name: 'kindlab-alpha', why: 'kindlab has no record of creating it and it carries no kindlab mark', fix: 'if it is yours to delete: kind delete cluster --name kindlab-alpha' },
    ]);
    expect(statuses).toContain('Not deleting kindlab-alpha: kindlab has no record of creating it and it carries no kindlab mark; if it is yours to delete: kind delete cluster --name kindlab-alpha');
    expect(clusters.has('kindlab-alpha')).toBe(true);
  });

  it('a record of an earlier cluster of that name does not cover one made again by hand', async () => {
    await record('alpha', 'kindlab-alpha', ['0ld0ld']);
    const result = await teardown('alpha', deps);
    expect(deleted()).toEqual([]);
    expect(result.notOurs?.map((n) => n.name)).toEqual(['kindlab-alpha']);
  });

  it('down --all deletes recorded and marked clusters only; look-alikes and other kind clusters stay', async () => {
    await record('alpha', 'kindlab-alpha');
    clusters.set('kindlab-lost-state', ['c1c1']);
    marks.set('kindlab-lost-state', 'lost');
    clusters.set('kindlab-by-hand', ['d1d1']);
    const result = await teardown('all', deps);
    expect(deleted().sort()).toEqual(['kindlab-alpha', 'kindlab-lost-state']);
    expect(result.notOurs?.map((n) => n.name).sort()).toEqual(['kindlab-beta-c1', 'kindlab-by-hand']);
    expect([...clusters.keys()].sort()).toEqual(['kind', 'kindlab-beta-c1', 'kindlab-by-hand']);
    // kindlab-looking clusters remain, and may use it: the shared load balancer stays.
    expect(runner.find('docker rm').flatMap((c) => c.args)).not.toContain('id1');
    expect(runner.find('docker rm').flatMap((c) => c.args)).toContain('id2');
  });

  it('recovers a lost record from the mark: the cluster goes, with a scratch kubeconfig', async () => {
    marks.set('kindlab-alpha', 'alpha');
    const result = await teardown('alpha', deps);
    expect(result.removedClusters).toEqual(['kindlab-alpha']);
    const del = runner.find('kind delete cluster')[0] as Call;
    expect(del.args[5]).not.toContain(labsDir);
  });

  it('a mark naming another lab is not this lab\'s, whatever the name says', async () => {
    marks.set('kindlab-alpha', 'alpha-2');
    const result = await teardown('alpha', deps);
    expect(deleted()).toEqual([]);
    expect(result.notOurs).toBeUndefined();
  });

  it('a name two labs could claim goes with the lab whose record holds it', async () => {
    clusters = new Map([
      ['kindlab-web-c1', ['w1w1']],
      ['kindlab-web-c1-x', ['w2w2']],
    ]);
    await record('web', 'kindlab-web-c1');
    await record('web-c1', 'kindlab-web-c1-x');
    expect((await teardown('web', deps)).removedClusters).toEqual(['kindlab-web-c1']);
    expect(clusters.has('kindlab-web-c1-x')).toBe(true);
    expect((await teardown('web-c1', deps)).removedClusters).toEqual(['kindlab-web-c1-x']);
  });

  it('removes the shared container once no kindlab-looking cluster is left', async () => {
    clusters = new Map([
      ['kindlab-alpha', ['a1a1']],
      ['kind', ['k1k1']],
    ]);
    await record('alpha', 'kindlab-alpha');
    const result = await teardown('alpha', deps);
    expect(result.removedContainers).toEqual(['alpha-vm', 'kindlab-cloud-provider-kind']);
    expect(runner.find('kind delete cluster --name kind ')).toHaveLength(0);
  });

  it('keeps the record of a cluster that could not be deleted, so the next down still knows it', async () => {
    await record('alpha', 'kindlab-alpha');
    runner.when('kind delete cluster', { exitCode: 1, stderr: 'docker is busy' });
    await expect(teardown('alpha', deps)).rejects.toMatchObject({ message: 'could not delete 1 cluster' });
    expect((await readRecord(join(labsDir, 'alpha')))?.clusters.map((c) => c.kindName)).toEqual(['kindlab-alpha']);
  });

  it('forgets recorded clusters that no longer exist', async () => {
    mkdirSync(join(labsDir, 'gone'));
    await updateCluster(join(labsDir, 'gone'), 'gone', 'kindlab-gone', { nodeIds: ['e1e1'] });
    await teardown('gone', deps);
    expect(existsSync(join(labsDir, 'gone', 'platform.json'))).toBe(false);
  });

  it('explains that Docker is not running', async () => {
    const down = new FakeRunner().when('docker', { exitCode: 1, stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' });
    await expect(teardown('alpha', { ...deps, runner: down })).rejects.toMatchObject({
      kind: 'environment',
      message: 'Docker is not reachable, so nothing could be deleted',
    });
  });
});
