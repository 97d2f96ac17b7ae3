/**
 * Cluster lifecycle with a scripted `kind` and an in-memory API: parallel creation, reuse, waiting
 * for nodes through the watch, roles, mirrors, the merged kubeconfig, and cleanup on failure.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KindlabError } from '../../../src/core/errors.js';
import { clusterSchema } from '../../../src/model/frontmatter-schema.js';
import { createClusters, type ClusterDeps, type ClusterPlan } from '../../../src/platform/kind/cluster.js';
import { renderKindConfig } from '../../../src/platform/kind/config.js';
import { hostPortsOf } from '../../../src/platform/kind/host-ports.js';
import { readRecord, updateCluster } from '../../../src/platform/kind/records.js';
import { FakeClock, FakeKube, FakeRunner, arg, delayed, fakeKind, kindKubeconfig, node, settle, type Call } from './fakes.js';

const IMAGE = 'kindest/node:v1.35.8@sha256:07b2536e30b803ed61d1677a79df6115f798ce64c80f9e22f6ed45afd09323c0';

function plan(labId: string, raw: Record<string, unknown>): ClusterPlan {
  const spec = clusterSchema.parse(raw);
  const r = renderKindConfig({ labId, cluster: spec, nodeImage: IMAGE });
  return { ...r, name: spec.name ?? '', ...(spec.contextVar ? { contextVar: spec.contextVar } : {}), hostPorts: hostPortsOf(spec, spec.name ?? labId) };
}

describe('createClusters', () => {
  let stateDir: string;
  let runner: FakeRunner;
  let kube: FakeKube;
  let statuses: string[];
  let deps: ClusterDeps;

  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'kindlab-state-'));
    runner = new FakeRunner();
    kube = new FakeKube();
    statuses = [];
    deps = {
      runner,
      kube: kube.factory,
      clock: new FakeClock(),
      tools: { kind: '/cache/kind', kubectl: '/cache/kubectl', docker: 'docker' },
      env: { PATH: '/cache:/usr/bin' },
      status: (m) => statuses.push(m),
      checkPorts: async () => [],
    };
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  it('creates both clusters of a two-cluster lab at the same time', async () => {
    const plans = [plan('mesh', { name: 'c1', workers: 1 }), plan('mesh', { name: 'c2' })];
    fakeKind(runner, kube, new Set(), plans, 150);
    const result = await createClusters(deps, { labId: 'lab1', stateDir, plans, mirrors: {}, keepOnFailure: false });

    const [a, b] = runner.find('kind create cluster');
    expect(a && b).toBeTruthy();
    // Overlap in time, not merely both called: each started before the other finished.
    expect((a as Call).start).toBeLessThan((b as Call).end as number);
    expect((b as Call).start).toBeLessThan((a as Call).end as number);
    expect(result.created).toEqual(['kindlab-mesh-c1', 'kindlab-mesh-c2']);
  });

  it('passes --kubeconfig (never the user default), --config and --wait 0s, and waits for nodes through the watch', async () => {
    const plans = [plan('solo', { workers: 2 })];
    fakeKind(runner, kube, new Set(), plans);
    const result = await createClusters(deps, { labId: 'lab1', stateDir, plans, mirrors: {}, keepOnFailure: false });
    const create = runner.find('kind create cluster')[0] as Call;
    expect(create.command).toBe('/cache/kind');
    expect(create.args).toEqual([
      'create',
      'cluster',
      '--name',
      'kindlab-solo',
      '--config',
      join(stateDir, 'kind-kindlab-solo.yaml'),
      '--kubeconfig',
      join(stateDir, 'kubeconfig-kindlab-solo'),
      '--wait',
      '0s',
    ]);
    expect(create.opts.env?.KUBECONFIG).toBe(join(stateDir, 'kubeconfig-kindlab-solo'));
    expect(readFileSync(join(stateDir, 'kind-kindlab-solo.yaml'), 'utf8')).toBe(plans[0]?.yaml);
    // All three nodes were observed Ready before createClusters returned.
    const nodes = await kube.cluster('kind-kindlab-solo').list({ apiVersion: 'v1', kind: 'Node' });
    expect(nodes.map((n) => (n.status as { conditions: Array<{ status: string }> }).conditions[0]?.status)).toEqual(['True', 'True', 'True']);
    expect(kube.cluster('kind-kindlab-solo').watchers).toBe(0);
    expect(result.clusters[0]).toMatchObject({ kindName: 'kindlab-solo', context: 'kind-kindlab-solo', reused: false });
  });

  it('does not return before the nodes are Ready', async () => {
    const plans = [plan('slow', { workers: 1 })];
    fakeKind(runner, kube, new Set(), plans);
    // Replace the node behaviour: nodes stay NotReady until the test flips them.
    runner.when('kind create cluster', (call) => {
      writeFileSync(arg(call, '--kubeconfig'), kindKubeconfig('kindlab-slow'));
      for (const n of plans[0]?.nodes ?? []) kube.cluster('kind-kindlab-slow').set(node(n.name, false));
      return {};
    });
    let done = false;
    const p = createClusters(deps, { labId: 'lab1', stateDir, plans, mirrors: {}, keepOnFailure: false }).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(done).toBe(false);
    kube.cluster('kind-kindlab-slow').set(node('kindlab-slow-control-plane', true));
    await settle();
    expect(done).toBe(false);
    kube.cluster('kind-kindlab-slow').set(node('kindlab-slow-worker', true));
    await p;
    expect(done).toBe(true);
  });

  it('merges the per-cluster kubeconfigs into the lab kubeconfig, first cluster current, mode 0600', async () => {
    const plans = [plan('mesh', { name: 'c1' }), plan('mesh', { name: 'c2' })];
    fakeKind(runner, kube, new Set(), plans);
    const result = await createClusters(deps, { labId: 'lab1', stateDir, plans, mirrors: {}, keepOnFailure: false });
    expect(result.kubeconfig).toBe(join(stateDir, 'kubeconfig'));
    const doc = parse(readFileSync(result.kubeconfig, 'utf8')) as Record<string, Array<{ name: string }> | string>;
    expect((doc.contexts as Array<{ name: string }>).map((c) => c.name)).toEqual(['kind-kindlab-mesh-c1', 'kind-kindlab-mesh-c2']);
    expect((doc.users as Array<{ name: string }>).map((c) => c.name)).toEqual(['kind-kindlab-mesh-c1', 'kind-kindlab-mesh-c2']);
    expect(doc['current-context']).toBe('kind-kindlab-mesh-c1');
    expect(statSync(result.kubeconfig).mode & 0o777).toBe(0o600);
  });

  it('reuses a cluster that exists with the right nodes and a ready API server', async () => {
    const plans = [plan('again', { workers: 1 })];
    const existing = new Set(['kindlab-again', 'someone-elses']);
    const kindFake = fakeKind(runner, kube, existing, plans);
    // Made by kindlab for this lab earlier: recorded with its node containers.
    await updateCluster(stateDir, 'lab1', 'kindlab-again', { nodeIds: kindFake.nodeIds('kindlab-again') });
    runner.when('kind get nodes --name kindlab-again', { stdout: 'kindlab-again-worker\nkindlab-again-control-plane\n' });
    runner.when('kind get kubeconfig --name kindlab-again', { stdout: kindKubeconfig('kindlab-again') });
    runner.when('get --raw /readyz', { stdout: 'ok' });
    for (const n of plans[0]?.nodes ?? []) kube.cluster('kind-kindlab-again').set(node(n.name, true));

    const result = await createClusters(deps, { labId: 'lab1', stateDir, plans, mirrors: {}, keepOnFailure: false });
    expect(runner.find('kind create cluster')).toHaveLength(0);
    expect(runner.find('kind delete cluster')).toHaveLength(0);
    expect(result.created).toEqual([]);
    expect(result.clusters[0]?.reused).toBe(true);
    expect(statuses).toContain('Reusing cluster kindlab-again');
    const readyz = runner.find('/readyz')[0] as Call;
    expect(readyz.args.slice(0, 4)).toEqual(['--kubeconfig', join(stateDir, 'kubeconfig-kindlab-again'), '--context', 'kind-kindlab-again']);
  });

  it('recreates an existing cluster whose API server is not ready', async () => {
    const plans = [plan('stale', {})];
    const existing = new Set(['kindlab-stale']);
    const kindFake = fakeKind(runner, kube, existing, plans);
    // Made by kindlab for this lab earlier: recorded with its node containers.
    await updateCluster(stateDir, 'lab1', 'kindlab-stale', { nodeIds: kindFake.nodeIds('kindlab-stale') });
    runner.when('kind get nodes --name kindlab-stale', { stdout: 'kindlab-stale-control-plane\n' });
    runner.when('kind get kubeconfig', { stdout: kindKubeconfig('kindlab-stale') });
    runner.when('get --raw /readyz', { exitCode: 1, stderr: 'connection refused' });
    const result = await createClusters(deps, { labId: 'lab1', stateDir, plans, mirrors: {}, keepOnFailure: false });
    expect(runner.lines().filter((l) => l.includes('kind delete') || l.includes('kind create')).map((l) => l.split(' ').slice(1, 3).join(' '))).toEqual([
      'delete cluster',
      'create cluster',
    ]);
    expect(result.created).toEqual(['kindlab-stale']);
    expect(statuses.some((s) => s.startsWith('Recreating cluster kindlab-stale: its API server is not ready'))).toBe(true);
  });

  it('when cluster 2 fails, stops and deletes cluster 1, and the error names the phase, command and output', async () => {
    const plans = [plan('pair', { name: 'c1' }), plan('pair', { name: 'c2' })];
    fakeKind(runner, kube, new Set(), plans, 300);
    runner.when('create cluster --name kindlab-pair-c2', () =>
      delayed(20, { exitCode: 1, stderr: 'ERROR: failed to create cluster: Docker: Ports are not available: exposing port TCP 127.0.0.1:8080' }),
    );
    const err = (await createClusters(deps, { labId: 'lab1', stateDir, plans, mirrors: {}, keepOnFailure: false }).catch((e: unknown) => e)) as KindlabError;
    expect(err).toBeInstanceOf(KindlabError);
    expect(err.message).toBe('Creating clusters: could not create cluster kindlab-pair-c2');
    expect(err.details[0]).toMatch(/^\$ \/cache\/kind create cluster --name kindlab-pair-c2 .* \(exit 1\)$/);
    expect(err.details).toContain('  ERROR: failed to create cluster: Docker: Ports are not available: exposing port TCP 127.0.0.1:8080');
    expect(err.details).toEqual(expect.arrayContaining(['deleted kindlab-pair-c1, created by this run', 'deleted kindlab-pair-c2, created by this run']));
    // c1's create was cut short instead of running to completion.
    const c1 = runner.find('create cluster --name kindlab-pair-c1')[0] as Call;
    expect(c1.result?.exitCode).toBe(130);
    const deletes = runner.find('kind delete cluster');
    expect(deletes.map((c) => arg(c, '--name')).sort()).toEqual(['kindlab-pair-c1', 'kindlab-pair-c2']);
    expect(deletes.every((c) => arg(c, '--kubeconfig').startsWith(stateDir))).toBe(true);
  });

  it('keeps what it created when keepOnFailure is set', async () => {
    const plans = [plan('pair', { name: 'c1' }), plan('pair', { name: 'c2' })];
    fakeKind(runner, kube, new Set(), plans, 20);
    runner.when('create cluster --name kindlab-pair-c2', () => delayed(100, { exitCode: 1, stderr: 'boom' }));
    const err = (await createClusters(deps, { labId: 'lab1', stateDir, plans, mirrors: {}, keepOnFailure: true }).catch((e: unknown) => e)) as KindlabError;
    expect(err.details).toContain('kept kindlab-pair-c1 for inspection (delete it with: kindlab down)');
    expect(runner.find('kind delete cluster')).toHaveLength(0);
  });

  it('never deletes a reused cluster when another one fails', async () => {
    const plans = [plan('mix', { name: 'c1' }), plan('mix', { name: 'c2' })];
    const existing = new Set(['kindlab-mix-c1']);
    const kindFake = fakeKind(runner, kube, existing, plans);
    // Made by kindlab for this lab earlier: recorded with its node containers.
    await updateCluster(stateDir, 'lab1', 'kindlab-mix-c1', { nodeIds: kindFake.nodeIds('kindlab-mix-c1') });
    runner.when('kind get nodes --name kindlab-mix-c1', { stdout: 'kindlab-mix-c1-control-plane\n' });
    runner.when('kind get kubeconfig --name kindlab-mix-c1', { stdout: kindKubeconfig('kindlab-mix-c1') });
    runner.when('get --raw /readyz', { stdout: 'ok' });
    kube.cluster('kind-kindlab-mix-c1').set(node('kindlab-mix-c1-control-plane'));
    runner.when('create cluster --name kindlab-mix-c2', { exitCode: 1, stderr: 'boom' });
    await expect(createClusters(deps, { labId: 'lab1', stateDir, plans, mirrors: {}, keepOnFailure: false })).rejects.toThrow(/kindlab-mix-c2/);
    expect(runner.find('kind delete cluster').map((c) => arg(c, '--name'))).toEqual(['kindlab-mix-c2']);
  });

  it('never reuses or deletes a same-named cluster kindlab did not create, and says how to delete it by hand', async () => {
    const plans = [plan('canary', {})];
    // `kind create cluster --name kindlab-canary` by hand: no record, and no mark on its nodes.
    fakeKind(runner, kube, new Set(['kindlab-canary']), plans);
    runner.when('docker exec kindlab-canary-control-plane kubectl', { stdout: JSON.stringify({ items: [{ metadata: { labels: {} } }] }) });
    const err = await createClusters(deps, { labId: 'canary', stateDir, plans, mirrors: {}, keepOnFailure: false }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      kind: 'environment',
      message: 'Creating clusters: a cluster with the name this lab needs is in the way: kindlab-canary exists, and kindlab did not create it (no record, no kindlab mark on its nodes)',
      fix: 'If it is yours to delete: kind delete cluster --name kindlab-canary; then start again.',
    });
    expect(runner.find('kind delete')).toHaveLength(0);
    expect(runner.find('kind create')).toHaveLength(0);
    expect(runner.find('kind get nodes')).toHaveLength(0);
  });

  it('a record whose node containers are not the ones there now (the cluster was made again by hand) does not count', async () => {
    const plans = [plan('canary', {})];
    fakeKind(runner, kube, new Set(['kindlab-canary']), plans);
    await updateCluster(stateDir, 'canary', 'kindlab-canary', { nodeIds: ['0'.repeat(64)] });
    await expect(createClusters(deps, { labId: 'canary', stateDir, plans, mirrors: {}, keepOnFailure: false })).rejects.toThrow(/kindlab did not create it/);
    expect(runner.find('kind delete')).toHaveLength(0);
  });

  it('a cluster carrying the lab mark is the lab\'s even without a record (state directory lost)', async () => {
    const plans = [plan('canary', {})];
    fakeKind(runner, kube, new Set(['kindlab-canary']), plans);
    runner.when('docker exec kindlab-canary-control-plane kubectl', { stdout: JSON.stringify({ items: [{ metadata: { labels: { 'dev.kindlab/lab': 'canary' } } }] }) });
    runner.when('kind get nodes --name kindlab-canary', { stdout: 'kindlab-canary-control-plane\n' });
    runner.when('kind get kubeconfig --name kindlab-canary', { stdout: kindKubeconfig('kindlab-canary') });
    runner.when('get --raw /readyz', { stdout: 'ok' });
    kube.cluster('kind-kindlab-canary').set(node('kindlab-canary-control-plane'));
    const result = await createClusters(deps, { labId: 'canary', stateDir, plans, mirrors: {}, keepOnFailure: false });
    expect(result.clusters[0]?.reused).toBe(true);
  });

  it('records a cluster before kind creates it, then with the node containers kind made', async () => {
    const plans = [plan('rec', { workers: 1 })];
    const kindFake = fakeKind(runner, kube, new Set(), plans);
    let atCreate: unknown;
    runner.when('kind create cluster', async () => {
      atCreate = await readRecord(stateDir);
      return { exitCode: 1, stderr: 'stop here' };
    });
    await expect(createClusters(deps, { labId: 'rec', stateDir, plans, mirrors: {}, keepOnFailure: true })).rejects.toThrow();
    expect(atCreate).toMatchObject({ labId: 'rec', clusters: [{ kindName: 'kindlab-rec', createdAt: expect.any(String), nodeIds: [] }] });

    const again = new FakeRunner();
    const fake2 = fakeKind(again, kube, new Set(), plans);
    await createClusters({ ...deps, runner: again }, { labId: 'rec', stateDir, plans, mirrors: {}, keepOnFailure: false });
    const rec = await readRecord(stateDir);
    expect(rec?.clusters).toEqual([expect.objectContaining({ kindName: 'kindlab-rec', nodeIds: fake2.nodeIds('kindlab-rec') })]);
    expect(fake2.nodeIds('kindlab-rec')).toHaveLength(2);
    void kindFake;
  });

  it('applies node roles through the API and writes registry mirrors into each node', async () => {
    const plans = [plan('ha', { nodes: [{ role: 'control-plane' }, { role: 'worker', roles: ['ingress', 'edge'] }, { role: 'worker' }] })];
    fakeKind(runner, kube, new Set(), plans);
    await createClusters(deps, { labId: 'lab1', stateDir, plans, mirrors: { 'docker.io': 'https://m.example' }, keepOnFailure: false });
    const patches = kube.cluster('kind-kindlab-ha').patches;
    // Every node gets the owner mark; the roles go where the lab put them.
    const mark = { 'dev.kindlab/lab': 'lab1' };
    expect(patches).toEqual([
      { ref: { apiVersion: 'v1', kind: 'Node', name: 'kindlab-ha-control-plane' }, patch: { metadata: { labels: mark } } },
      {
        ref: { apiVersion: 'v1', kind: 'Node', name: 'kindlab-ha-worker' },
        patch: { metadata: { labels: { 'node-role.kubernetes.io/ingress': 'true', 'node-role.kubernetes.io/edge': 'true', ...mark } } },
      },
      { ref: { apiVersion: 'v1', kind: 'Node', name: 'kindlab-ha-worker2' }, patch: { metadata: { labels: mark } } },
    ]);
    expect(runner.find('docker exec').map((c) => c.args[2])).toEqual(['kindlab-ha-control-plane', 'kindlab-ha-worker', 'kindlab-ha-worker2']);
    // Mirrors go in after `kind create` and before the nodes are awaited.
    const order = runner.lines().map((l) => (l.includes('kind create') ? 'create' : l.startsWith('docker exec') ? 'mirror' : 'other'));
    expect(order.indexOf('create')).toBeLessThan(order.indexOf('mirror'));
  });

  it('refuses to start when a host port a new cluster maps is taken', async () => {
    const plans = [plan('ports', { nodes: [{ role: 'control-plane', portMappings: [{ containerPort: 30080, hostPort: 8080 }] }] })];
    fakeKind(runner, kube, new Set(), plans);
    deps.checkPorts = async (ports) => ports.map((p) => `${p.address}:${p.port} (${p.owner}) is already in use`);
    await expect(createClusters(deps, { labId: 'lab1', stateDir, plans, mirrors: {}, keepOnFailure: false })).rejects.toMatchObject({
      message: 'Creating clusters: host ports needed by the lab are taken',
      details: ['127.0.0.1:8080 (ports node 1) is already in use'],
    });
    expect(runner.find('kind create')).toHaveLength(0);
  });

  it('times out waiting for nodes with the last state seen', async () => {
    const plans = [plan('stuck', {})];
    fakeKind(runner, kube, new Set(), plans);
    runner.when('kind create cluster', (call) => {
      writeFileSync(arg(call, '--kubeconfig'), kindKubeconfig('kindlab-stuck'));
      kube.cluster('kind-kindlab-stuck').set(node('kindlab-stuck-control-plane', false));
      return {};
    });
    const clock = deps.clock as FakeClock;
    const p = createClusters(deps, { labId: 'lab1', stateDir, plans, mirrors: {}, keepOnFailure: false }).catch((e: unknown) => e);
    while (clock.pending === 0) await settle();
    clock.advance(5 * 60_000);
    const err = (await p) as KindlabError;
    expect(err.message).toBe('Creating clusters: timed out after 5m waiting for nodes of kindlab-stuck to be Ready');
    expect(err.details[0]).toBe('last seen: kindlab-stuck-control-plane NotReady (KubeletNotReady)');
    expect(existsSync(join(stateDir, 'kubeconfig'))).toBe(false);
  });
});
