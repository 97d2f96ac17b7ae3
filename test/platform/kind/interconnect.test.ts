/**
 * Pod routes between a lab's clusters: the plan (who routes what where), the docker exec calls
 * against scripted nodes, waiting for the node controller's pod CIDRs, the front-matter rules, and
 * `up` wiring them in before the addons (on reuse too).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KindlabError } from '../../../src/core/errors.js';
import { kindlabPaths, labStateDir } from '../../../src/core/paths.js';
import type { KubeObject } from '../../../src/core/seams.js';
import { frontMatterSchema } from '../../../src/model/frontmatter-schema.js';
import type { Lab } from '../../../src/model/lab.js';
import { connectPodNetworks, nodeNetworkOf, planPodRoutes, type InterconnectDeps } from '../../../src/platform/kind/interconnect.js';
import type { PlatformTools } from '../../../src/platform/kind/tools.js';
import { createPlatform, type PlatformDeps } from '../../../src/platform/platform.js';
import { FakeClock, FakeCluster, FakeKube, FakeRunner, arg, kindKubeconfig, settle } from './fakes.js';

/** A Ready node as the API server shows it once the node controller has given it a pod CIDR. */
function routedNode(name: string, podCIDR: string | undefined, ip: string | undefined): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: {} },
    spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {},
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: [...(ip ? [{ type: 'InternalIP', address: ip }] : []), { type: 'Hostname', address: name }],
    },
  };
}

const ipRoutes = (runner: FakeRunner) =>
  runner
    .find('ip route replace')
    .map((c) => `${c.args[1]}: ${c.args.slice(5).join(' ')}`)
    .sort();

describe('nodeNetworkOf', () => {
  it('reads the IPv4 pod CIDR and InternalIP, and nothing until both are there', () => {
    expect(nodeNetworkOf(routedNode('n1', '10.10.0.0/24', '172.18.0.3'))).toEqual({ name: 'n1', podCIDRs: ['10.10.0.0/24'], address: '172.18.0.3' });
    expect(nodeNetworkOf(routedNode('n1', undefined, '172.18.0.3'))).toBeUndefined();
    expect(nodeNetworkOf(routedNode('n1', '10.10.0.0/24', undefined))).toBeUndefined();
    // Dual-stack nodes: only the IPv4 parts are routed.
    const dual = routedNode('n1', '10.10.0.0/24', '172.18.0.3');
    (dual.spec as Record<string, unknown>).podCIDRs = ['10.10.0.0/24', 'fd00:10:10::/64'];
    (dual.status as { addresses: unknown[] }).addresses.unshift({ type: 'InternalIP', address: 'fc00:f853:ccd:e793::3' });
    expect(nodeNetworkOf(dual)).toEqual({ name: 'n1', podCIDRs: ['10.10.0.0/24'], address: '172.18.0.3' });
  });
});

describe('planPodRoutes', () => {
  it("routes every node to each node of the other clusters, never to its own cluster's nodes", () => {
    const routes = planPodRoutes([
      {
        kindName: 'a',
        nodes: [
          { name: 'a-control-plane', podCIDRs: ['10.10.0.0/24'], address: '172.18.0.2' },
          { name: 'a-worker', podCIDRs: ['10.10.1.0/24'], address: '172.18.0.3' },
        ],
      },
      { kindName: 'b', nodes: [{ name: 'b-control-plane', podCIDRs: ['10.20.0.0/24'], address: '172.18.0.4' }] },
    ]);
    expect(routes).toEqual([
      { node: 'a-control-plane', cidr: '10.20.0.0/24', via: '172.18.0.4' },
      { node: 'a-worker', cidr: '10.20.0.0/24', via: '172.18.0.4' },
      { node: 'b-control-plane', cidr: '10.10.0.0/24', via: '172.18.0.2' },
      { node: 'b-control-plane', cidr: '10.10.1.0/24', via: '172.18.0.3' },
    ]);
  });

  it('has nothing to do for a single cluster', () => {
    expect(planPodRoutes([{ kindName: 'a', nodes: [{ name: 'a-control-plane', podCIDRs: ['10.10.0.0/24'], address: '172.18.0.2' }] }])).toEqual([]);
  });
});

describe('connectPodNetworks', () => {
  let runner: FakeRunner;
  let clock: FakeClock;
  let a: FakeCluster;
  let b: FakeCluster;
  let statuses: string[];
  const deps = (): InterconnectDeps => ({ runner, docker: 'docker', env: {}, clock, status: (m) => statuses.push(m), timeoutMs: 60_000 });
  const clusters = () => [
    { kindName: 'kindlab-mc-c1', kube: a, nodeNames: ['kindlab-mc-c1-control-plane', 'kindlab-mc-c1-worker'] },
    { kindName: 'kindlab-mc-c2', kube: b, nodeNames: ['kindlab-mc-c2-control-plane'] },
  ];

  beforeEach(() => {
    runner = new FakeRunner();
    clock = new FakeClock();
    a = new FakeCluster();
    b = new FakeCluster();
    statuses = [];
  });

  it('adds each route with docker exec ... ip route replace in the node container', async () => {
    a.set(routedNode('kindlab-mc-c1-control-plane', '10.10.0.0/24', '172.18.0.2'));
    a.set(routedNode('kindlab-mc-c1-worker', '10.10.1.0/24', '172.18.0.3'));
    b.set(routedNode('kindlab-mc-c2-control-plane', '10.20.0.0/24', '172.18.0.4'));

    const routes = await connectPodNetworks(deps(), clusters());
    expect(routes).toHaveLength(4);
    expect(ipRoutes(runner)).toEqual([
      'kindlab-mc-c1-control-plane: 10.20.0.0/24 via 172.18.0.4',
      'kindlab-mc-c1-worker: 10.20.0.0/24 via 172.18.0.4',
      'kindlab-mc-c2-control-plane: 10.10.0.0/24 via 172.18.0.2',
      'kindlab-mc-c2-control-plane: 10.10.1.0/24 via 172.18.0.3',
    ]);
    // The exact command line, as a learner would type it.
    expect(runner.lines()).toContain('docker exec kindlab-mc-c1-worker ip route replace 10.20.0.0/24 via 172.18.0.4');
    // The waits report themselves (the live progress line), then one line says what was routed.
    expect(statuses.filter((s) => !s.startsWith('Waiting for'))).toEqual(['Routing pod traffic between clusters: 4 routes on 3 nodes']);
  });

  it('waits for the node controller to hand out pod CIDRs', async () => {
    a.set(routedNode('kindlab-mc-c1-control-plane', '10.10.0.0/24', '172.18.0.2'));
    a.set(routedNode('kindlab-mc-c1-worker', undefined, '172.18.0.3'));
    b.set(routedNode('kindlab-mc-c2-control-plane', '10.20.0.0/24', '172.18.0.4'));

    const done = connectPodNetworks(deps(), clusters());
    await settle();
    expect(runner.find('ip route')).toHaveLength(0);
    a.set(routedNode('kindlab-mc-c1-worker', '10.10.1.0/24', '172.18.0.3'));
    await done;
    expect(ipRoutes(runner)).toContain('kindlab-mc-c2-control-plane: 10.10.1.0/24 via 172.18.0.3');
  });

  it('names the node still without a pod CIDR when it gives up', async () => {
    a.set(routedNode('kindlab-mc-c1-control-plane', '10.10.0.0/24', '172.18.0.2'));
    a.set(routedNode('kindlab-mc-c1-worker', undefined, '172.18.0.3'));
    b.set(routedNode('kindlab-mc-c2-control-plane', '10.20.0.0/24', '172.18.0.4'));

    const failed = connectPodNetworks(deps(), clusters()).catch((e: unknown) => e);
    await settle();
    clock.advance(60_000);
    const err = (await failed) as KindlabError;
    expect(err).toBeInstanceOf(KindlabError);
    expect(err.message).toMatch(/^Routing pod traffic between clusters: timed out .* kindlab-mc-c1/);
    expect(err.details.join('\n')).toContain('no pod CIDR or InternalIP yet: kindlab-mc-c1-worker');
  });

  it('fails with the command and its output when a route cannot be added', async () => {
    a.set(routedNode('kindlab-mc-c1-control-plane', '10.10.0.0/24', '172.18.0.2'));
    a.set(routedNode('kindlab-mc-c1-worker', '10.10.1.0/24', '172.18.0.3'));
    b.set(routedNode('kindlab-mc-c2-control-plane', '10.20.0.0/24', '172.18.0.4'));
    runner.when('docker exec kindlab-mc-c2-control-plane', { exitCode: 1, stderr: 'Error response from daemon: container is not running' });

    const err = (await connectPodNetworks(deps(), clusters()).catch((e: unknown) => e)) as KindlabError;
    expect(err.message).toMatch(/^Routing pod traffic between clusters: could not add the route to 10\.10\.\d\.0\/24 via .* on node kindlab-mc-c2-control-plane$/);
    expect(err.details.join('\n')).toContain('container is not running');
  });

  it('does nothing for a single cluster', async () => {
    expect(await connectPodNetworks(deps(), clusters().slice(0, 1))).toEqual([]);
    expect(runner.calls).toHaveLength(0);
  });
});

describe('front matter network.podRoutes', () => {
  const base = {
    id: 'mc',
    title: 'Two clusters',
    summary: 'Two routed clusters for the tests.',
    source: { title: 'tests' },
    duration: '30m',
    requires: { memoryGiB: 12, cpus: 4 },
  };
  const c1 = { name: 'c1', podSubnet: '10.10.0.0/16', serviceSubnet: '10.255.10.0/24' };
  const c2 = { name: 'c2', podSubnet: '10.20.0.0/16', serviceSubnet: '10.255.20.0/24' };
  const issues = (meta: Record<string, unknown>) => {
    const r = frontMatterSchema.safeParse({ ...base, ...meta });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('accepts disjoint subnets, and is off unless asked for', () => {
    expect(issues({ clusters: [c1, c2], network: { podRoutes: true } })).toEqual([]);
    expect(frontMatterSchema.parse({ ...base, clusters: [c1, c2] }).network).toBeUndefined();
    expect(frontMatterSchema.parse({ ...base, clusters: [c1, c2], network: {} }).network).toEqual({ podRoutes: false });
  });

  it('needs several clusters', () => {
    expect(issues({ clusters: [c1], network: { podRoutes: true } })).toEqual(['network.podRoutes: podRoutes connects several clusters; this lab has one']);
  });

  it('needs explicit subnets, because kind gives every cluster the same defaults', () => {
    expect(issues({ clusters: [c1, { name: 'c2', podSubnet: '10.20.0.0/16' }], network: { podRoutes: true } })).toEqual([
      "clusters.1: with network.podRoutes every cluster sets serviceSubnet, so the clusters' ranges cannot overlap",
    ]);
  });

  it('refuses overlapping ranges, naming both', () => {
    expect(issues({ clusters: [c1, { ...c2, podSubnet: '10.10.128.0/17' }], network: { podRoutes: true } })).toEqual([
      'clusters.1.podSubnet: 10.10.128.0/17 overlaps 10.10.0.0/16 (clusters.0.podSubnet); routed clusters need disjoint ranges',
    ]);
    expect(issues({ clusters: [c1, { ...c2, serviceSubnet: '10.20.5.0/24' }], network: { podRoutes: true } })).toEqual([
      'clusters.1.serviceSubnet: 10.20.5.0/24 overlaps 10.20.0.0/16 (clusters.1.podSubnet); routed clusters need disjoint ranges',
    ]);
  });

  it('rejects unknown keys', () => {
    expect(issues({ clusters: [c1, c2], network: { podRoute: true } }).join('\n')).toMatch(/podRoute/);
  });
});

describe('up with network.podRoutes', () => {
  let root: string;
  let runner: FakeRunner;
  let kube: FakeKube;
  let existing: Set<string>;
  let deps: PlatformDeps;
  const tools: PlatformTools = {
    binDir: '/cache/bin',
    paths: { kind: '/cache/bin/kind', kubectl: '/cache/bin/kubectl', docker: 'docker' },
    versions: { kind: 'v0.33.0', kubectl: 'v1.35.8' },
  };
  /** Node IPs and pod CIDRs as kind and the node controller would hand them out. */
  const nodesOf: Record<string, Array<[string, string, string]>> = {
    'kindlab-mc-c1': [
      ['kindlab-mc-c1-control-plane', '10.10.0.0/24', '172.18.0.2'],
      ['kindlab-mc-c1-worker', '10.10.1.0/24', '172.18.0.3'],
    ],
    'kindlab-mc-c2': [['kindlab-mc-c2-control-plane', '10.20.0.0/24', '172.18.0.4']],
  };

  function lab(network?: Record<string, unknown>): Lab {
    const meta = frontMatterSchema.parse({
      id: 'mc',
      title: 'Two clusters',
      summary: 'Two routed clusters for the tests.',
      source: { title: 'tests' },
      duration: '30m',
      requires: { memoryGiB: 12, cpus: 4 },
      clusters: [
        { name: 'c1', workers: 1, podSubnet: '10.10.0.0/16', serviceSubnet: '10.255.10.0/24' },
        { name: 'c2', podSubnet: '10.20.0.0/16', serviceSubnet: '10.255.20.0/24' },
      ],
      ...(network ? { network } : {}),
    });
    return { meta, dir: '/labs/mc', file: '/labs/mc/lab.md', intro: '', steps: [] };
  }

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'kindlab-interconnect-'));
    runner = new FakeRunner();
    kube = new FakeKube();
    existing = new Set();
    runner.when('kind get clusters', () => ({ stdout: [...existing].map((c) => `${c}\n`).join('') }));
    runner.when('kind create cluster', (call) => {
      const name = arg(call, '--name');
      writeFileSync(arg(call, '--kubeconfig'), kindKubeconfig(name));
      existing.add(name);
      for (const [node, cidr, ip] of nodesOf[name] ?? []) kube.cluster(`kind-${name}`).set(routedNode(node, cidr, ip));
      return {};
    });
    // kind's node containers, as Docker lists them: what the lab's record is checked against.
    runner.when(/^docker ps -a --no-trunc --filter label=io\.x-k8s\.kind\.cluster/, () => ({
      stdout: [...existing].flatMap((c) => (nodesOf[c] ?? []).map(([n]) => [`id-${n}`, c, n.includes('control-plane') ? 'control-plane' : 'worker', n, 'running', '2026-12-03 10:00:00 +0000 UTC'].join('\t'))).join('\n'),
    }));
    // A reused cluster: same nodes, API server ready.
    runner.when('kind get nodes', (call) => ({ stdout: (nodesOf[arg(call, '--name')] ?? []).map(([n]) => `${n}\n`).join('') }));
    runner.when('kind get kubeconfig', (call) => ({ stdout: kindKubeconfig(arg(call, '--name')) }));
    runner.when('get --raw /readyz', { stdout: 'ok' });
    deps = {
      runner,
      kube: kube.factory,
      clock: new FakeClock(),
      paths: kindlabPaths({ HOME: root, XDG_STATE_HOME: join(root, 'state') }),
      ensureTools: async () => tools,
      env: { PATH: '/usr/bin' },
      repoDir: '/src/kindlab',
      hostPlatform: 'linux',
      checkPorts: async () => [],
    };
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const options = () => ({
    stateDir: labStateDir(deps.paths, 'mc'),
    overrides: {},
    registryMirrors: {},
    keepOnFailure: false,
    status: () => undefined,
  });

  it('routes pod CIDRs across the clusters right after creating them', async () => {
    const up = await createPlatform(deps).up(lab({ podRoutes: true }), options());
    const lines = runner.lines();
    const lastCreate = lines.map((l, i) => (l.includes('kind create cluster') ? i : -1)).reduce((a, b) => Math.max(a, b));
    const firstRoute = lines.findIndex((l) => l.includes('ip route replace'));
    expect(firstRoute).toBeGreaterThan(lastCreate);
    expect(ipRoutes(runner)).toEqual([
      'kindlab-mc-c1-control-plane: 10.20.0.0/24 via 172.18.0.4',
      'kindlab-mc-c1-worker: 10.20.0.0/24 via 172.18.0.4',
      'kindlab-mc-c2-control-plane: 10.10.0.0/24 via 172.18.0.2',
      'kindlab-mc-c2-control-plane: 10.10.1.0/24 via 172.18.0.3',
    ]);
    // The lab environment carries the labels for its own containers.
    expect(up.env.KINDLAB_OWNER_LABELS).toBe('--label dev.kindlab.owned=true --label dev.kindlab.lab=mc');
  });

  it('routes again when the clusters are reused (a restarted node container has lost them)', async () => {
    const platform = createPlatform(deps);
    await platform.up(lab({ podRoutes: true }), options());
    const before = runner.find('ip route replace').length;
    await platform.up(lab({ podRoutes: true }), options());
    expect(runner.find('kind create cluster')).toHaveLength(2);
    expect(runner.find('ip route replace').length).toBe(before * 2);
  });

  it('adds no routes unless the lab asks for them', async () => {
    await createPlatform(deps).up(lab(), options());
    expect(runner.find('ip route')).toHaveLength(0);
  });

  it('deletes the clusters it created when routing fails', async () => {
    runner.when('ip route replace', { exitCode: 1, stderr: 'RTNETLINK answers: Network is unreachable' });
    const err = (await createPlatform(deps)
      .up(lab({ podRoutes: true }), options())
      .catch((e: unknown) => e)) as KindlabError;
    expect(err.message).toMatch(/^Routing pod traffic between clusters: /);
    expect(err.details).toEqual(expect.arrayContaining(['deleted kindlab-mc-c1, created by this run', 'deleted kindlab-mc-c2, created by this run']));
  });
});
