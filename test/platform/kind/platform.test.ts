/**
 * createPlatform end to end with fakes: tools, two clusters, addons in order, the environment a
 * lab gets, attach, and cleanup when an addon fails.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KindlabError } from '../../../src/core/errors.js';
import { kindlabPaths, labStateDir, type KindlabPaths } from '../../../src/core/paths.js';
import { updateCluster } from '../../../src/platform/kind/records.js';
import type { KubeObject } from '../../../src/core/seams.js';
import { frontMatterSchema } from '../../../src/model/frontmatter-schema.js';
import type { Lab } from '../../../src/model/lab.js';
import type { PlatformTools } from '../../../src/platform/kind/tools.js';
import { createPlatform, planLab, type PlatformDeps, type ToolRequest } from '../../../src/platform/platform.js';
import { resolvePins } from '../../../src/platform/tools/versions.js';
import type { ProvisionOptions } from '../../../src/platform/types.js';
import { FakeClock, FakeKube, FakeRunner, deployment, fakeKind, type Call } from './fakes.js';

const tools: PlatformTools = {
  binDir: '/cache/bin',
  paths: { kind: '/cache/bin/kind', kubectl: '/cache/bin/kubectl', docker: 'docker', helm: '/cache/bin/helm', istioctl: '/cache/istio/bin/istioctl' },
  istioHome: '/cache/istio',
  versions: { kind: 'v0.33.0', kubectl: 'v1.35.8', istioctl: '1.31.1' },
};

function lab(meta: Record<string, unknown>): Lab {
  const parsed = frontMatterSchema.parse({
    title: 'A lab',
    summary: 'A lab used by the platform tests.',
    source: { title: 'tests' },
    duration: '30m',
    requires: { memoryGiB: 8, cpus: 4 },
    ...meta,
  });
  return { meta: parsed, dir: `/labs/${parsed.id}`, file: `/labs/${parsed.id}/lab.md`, intro: '', steps: [] };
}

const meshLab = () =>
  lab({
    id: 'mesh',
    clusters: [
      { name: 'c1', podSubnet: '10.10.0.0/16', serviceSubnet: '10.255.10.0/24', contextVar: 'CTX_CLUSTER1' },
      { name: 'c2', podSubnet: '10.20.0.0/16', serviceSubnet: '10.255.20.0/24', contextVar: 'CTX_CLUSTER2' },
    ],
    addons: [{ istio: { profile: 'minimal' } }, 'gateway-api', 'cloud-provider-kind'],
  });

const crd = (name: string): KubeObject => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name },
  status: { conditions: [{ type: 'Established', status: 'True' }] },
});

/** What a healthy cluster looks like after gateway-api + Istio minimal were applied. */
function readyControlPlane(kube: FakeKube, context: string) {
  const c = kube.cluster(context);
  for (const n of ['gatewayclasses', 'gateways', 'httproutes', 'referencegrants']) c.set(crd(`${n}.gateway.networking.k8s.io`));
  c.set(deployment('istio-system', 'istiod', true));
  c.set({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'istio-sidecar-injector', labels: { app: 'sidecar-injector' } },
    webhooks: [{ name: 'namespace.sidecar-injector.istio.io', clientConfig: { caBundle: 'Q0E=' } }],
  });
}

describe('createPlatform', () => {
  let root: string;
  let paths: KindlabPaths;
  let runner: FakeRunner;
  let kube: FakeKube;
  let existing: Set<string>;
  let statuses: string[];
  let toolRequests: ToolRequest[];
  let deps: PlatformDeps;
  let cpkRunning: boolean;

  const options = (labId: string, extra: Partial<ProvisionOptions> = {}): ProvisionOptions => ({
    stateDir: labStateDir(paths, labId),
    overrides: {},
    registryMirrors: {},
    keepOnFailure: false,
    status: (m) => statuses.push(m),
    ...extra,
  });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'kindlab-platform-'));
    paths = kindlabPaths({ HOME: root, XDG_STATE_HOME: join(root, 'state') });
    runner = new FakeRunner();
    kube = new FakeKube();
    existing = new Set();
    statuses = [];
    toolRequests = [];
    cpkRunning = false;
    runner.when('inspect --format {{.State.Running}} kindlab-cloud-provider-kind', () => (cpkRunning ? { stdout: 'true' } : { exitCode: 1 }));
    runner.when('docker run -d --name kindlab-cloud-provider-kind', () => {
      cpkRunning = true;
      return { stdout: 'id\n' };
    });
    runner.when('docker info --format {{.OperatingSystem}}', { stdout: 'Debian GNU/Linux 12 (bookworm)\n' });
    deps = {
      runner,
      kube: kube.factory,
      clock: new FakeClock(),
      paths,
      ensureTools: async (req) => {
        toolRequests.push(req);
        return tools;
      },
      env: { PATH: '/usr/bin:/bin', HOME: root },
      repoDir: '/src/kindlab',
      hostPlatform: 'linux',
      checkPorts: async () => [],
    };
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('up: tools, both clusters at once, load balancer before the cluster addons, then the lab environment', async () => {
    const l = meshLab();
    // Simulated controllers: everything becomes ready as soon as kind has created the cluster.
    fakeKind(runner, kube, existing, [
      { kindName: 'kindlab-mesh-c1', nodes: [{ name: 'kindlab-mesh-c1-control-plane' }] },
      { kindName: 'kindlab-mesh-c2', nodes: [{ name: 'kindlab-mesh-c2-control-plane' }] },
    ]);
    readyControlPlane(kube, 'kind-kindlab-mesh-c1');
    readyControlPlane(kube, 'kind-kindlab-mesh-c2');

    const platform = createPlatform(deps);
    const up = await platform.up(l, options('mesh'));

    expect(toolRequests[0]?.tools).toEqual(['kind', 'kubectl', 'istioctl']);
    expect(statuses).toContain('Creating clusters (2 in parallel)');
    expect(statuses).toContain('Installing addons: gateway-api, istio (2 clusters in parallel)');
    const lines = runner.lines();
    const firstIndex = (s: string) => lines.findIndex((l) => l.includes(s));
    expect(firstIndex('kind create cluster')).toBeLessThan(firstIndex('docker run -d --name kindlab-cloud-provider-kind'));
    expect(firstIndex('docker run -d --name kindlab-cloud-provider-kind')).toBeLessThan(firstIndex('apply --server-side'));
    expect(firstIndex('apply --server-side')).toBeLessThan(firstIndex('istioctl install'));
    // Addons go to both clusters, through the lab kubeconfig and each cluster's context.
    const stateDir = labStateDir(paths, 'mesh');
    expect(runner.find('istioctl install').map((c: Call) => c.args.slice(1, 5))).toEqual(
      expect.arrayContaining([
        ['--kubeconfig', join(stateDir, 'kubeconfig'), '--context', 'kind-kindlab-mesh-c1'],
        ['--kubeconfig', join(stateDir, 'kubeconfig'), '--context', 'kind-kindlab-mesh-c2'],
      ]),
    );

    expect(up.clusters).toEqual([
      { name: 'c1', kindName: 'kindlab-mesh-c1', context: 'kind-kindlab-mesh-c1' },
      { name: 'c2', kindName: 'kindlab-mesh-c2', context: 'kind-kindlab-mesh-c2' },
    ]);
    expect(up.kubeconfig).toBe(join(stateDir, 'kubeconfig'));
    expect(up.env).toEqual({
      KUBECONFIG: join(stateDir, 'kubeconfig'),
      PATH: '/cache/bin:/usr/bin:/bin',
      ISTIO_HOME: '/cache/istio',
      CTX_CLUSTER1: 'kind-kindlab-mesh-c1',
      CTX_CLUSTER2: 'kind-kindlab-mesh-c2',
      LAB_DIR: '/labs/mesh',
      REPO_DIR: '/src/kindlab',
      KINDLAB_OWNER_LABELS: '--label dev.kindlab.owned=true --label dev.kindlab.lab=mesh',
    });
    expect(up.versions).toMatchObject({ kind: 'v0.33.0', 'gateway-api': 'v1.6.1', 'cloud-provider-kind': expect.stringContaining('v0.11.1') });
    expect(up.versions.nodeImage).toMatch(/^kindest\/node:v1\.35\.8@sha256:/);
    // Every tool call ran with the lab's KUBECONFIG and the pinned tools first on PATH.
    for (const c of runner.calls.filter((c) => c.command !== 'docker')) {
      expect(c.opts.env?.PATH?.startsWith('/cache/bin:')).toBe(true);
    }
    expect(JSON.parse(readFileSync(join(stateDir, 'platform.json'), 'utf8'))).toMatchObject({
      labId: 'mesh',
      clusters: [{ kindName: 'kindlab-mesh-c1' }, { kindName: 'kindlab-mesh-c2' }],
    });
  });

  it('asks for istioctl and the Istio release when a step installs Istio itself, without the addon', async () => {
    fakeKind(runner, kube, existing, [{ kindName: 'kindlab-steps', nodes: [{ name: 'kindlab-steps-control-plane' }] }]);
    const l = lab({ id: 'steps', clusters: [{}] });
    l.steps = [
      {
        id: 'install',
        title: 'Install Istio',
        index: 1,
        line: 10,
        markdown: '',
        commands: [{ code: 'istioctl install -y -f "$ISTIO_HOME/manifests/profiles/demo.yaml"', line: 12 }],
        cleanup: [],
        before: [],
        checks: [],
        hints: [],
      },
    ];
    const up = await createPlatform(deps).up(l, options('steps'));
    expect(toolRequests[0]?.tools).toEqual(['kind', 'kubectl', 'istioctl']);
    expect(up.env.ISTIO_HOME).toBe('/cache/istio');
    // Without Istio anywhere in the lab, nothing Istio is fetched.
    await createPlatform(deps).up(lab({ id: 'steps', clusters: [{}] }), options('steps'));
    expect(toolRequests[1]?.tools).toEqual(['kind', 'kubectl']);
  });

  it('asks for helm when a step runs it, and not for istioctl the lab never runs', async () => {
    fakeKind(runner, kube, existing, [{ kindName: 'kindlab-helm', nodes: [{ name: 'kindlab-helm-control-plane' }] }]);
    const l = lab({ id: 'helm', clusters: [{}] });
    const step = { id: 'install', title: 'Install', index: 1, line: 10, markdown: '', cleanup: [], before: [], checks: [], hints: [] };
    l.steps = [{ ...step, commands: [{ code: 'helm upgrade --install web web --repo https://charts.example', line: 12 }] }];
    await createPlatform(deps).up(l, options('helm'));
    expect(toolRequests[0]?.tools).toEqual(['kind', 'kubectl', 'helm']);
  });

  it('attach gives the same environment without creating anything', async () => {
    const l = meshLab();
    fakeKind(runner, kube, existing, [
      { kindName: 'kindlab-mesh-c1', nodes: [{ name: 'kindlab-mesh-c1-control-plane' }] },
      { kindName: 'kindlab-mesh-c2', nodes: [{ name: 'kindlab-mesh-c2-control-plane' }] },
    ]);
    readyControlPlane(kube, 'kind-kindlab-mesh-c1');
    readyControlPlane(kube, 'kind-kindlab-mesh-c2');
    const platform = createPlatform(deps);
    const up = await platform.up(l, options('mesh'));
    const before = runner.calls.length;

    const attached = await platform.attach(l, { stateDir: labStateDir(paths, 'mesh'), overrides: {} });
    expect(attached.env).toEqual(up.env);
    expect(attached.clusters).toEqual(up.clusters);
    expect(runner.lines().slice(before)).toEqual(['/cache/bin/kind get clusters']);
  });

  it('attach to a lab that is not running says how to start it', async () => {
    runner.when('kind get clusters', { stdout: 'kind\n' });
    const err = (await createPlatform(deps)
      .attach(meshLab(), { stateDir: labStateDir(paths, 'mesh'), overrides: {} })
      .catch((e: unknown) => e)) as KindlabError;
    expect(err).toBeInstanceOf(KindlabError);
    expect(err.message).toBe('lab mesh is not running; start it with kindlab start mesh');
    expect(err.kind).toBe('state');
  });

  it('when an addon fails, deletes the clusters this run created and the load balancer it started', async () => {
    const l = meshLab();
    fakeKind(runner, kube, existing, [
      { kindName: 'kindlab-mesh-c1', nodes: [{ name: 'kindlab-mesh-c1-control-plane' }] },
      { kindName: 'kindlab-mesh-c2', nodes: [{ name: 'kindlab-mesh-c2-control-plane' }] },
    ]);
    runner.when('--context kind-kindlab-mesh-c2 apply --server-side', { exitCode: 1, stderr: 'error: unable to recognize "https://github.com/...": connection reset by peer' });
    readyControlPlane(kube, 'kind-kindlab-mesh-c1');
    const err = (await createPlatform(deps).up(l, options('mesh')).catch((e: unknown) => e)) as KindlabError;
    expect(err.message).toMatch(/^Installing Gateway API CRDs: /);
    expect(err.details).toEqual(expect.arrayContaining(['  error: unable to recognize "https://github.com/...": connection reset by peer']));
    expect(err.details).toEqual(
      expect.arrayContaining([
        'deleted kindlab-mesh-c1, created by this run',
        'deleted kindlab-mesh-c2, created by this run',
        'stopped cloud-provider-kind (no kindlab cluster left)',
      ]),
    );
    expect(existing.size).toBe(0);
    expect(runner.find('docker rm -f kindlab-cloud-provider-kind')).toHaveLength(1);
  });

  it('keepOnFailure leaves everything in place', async () => {
    fakeKind(runner, kube, existing, [{ kindName: 'kindlab-solo', nodes: [{ name: 'kindlab-solo-control-plane' }] }]);
    runner.when('istioctl install', { exitCode: 1, stderr: 'Error: failed to install manifests' });
    const l = lab({ id: 'solo', clusters: [{}], addons: [{ istio: { profile: 'minimal' } }] });
    const err = (await createPlatform(deps)
      .up(l, options('solo', { keepOnFailure: true }))
      .catch((e: unknown) => e)) as KindlabError;
    expect(err.message).toMatch(/^Installing Istio: /);
    expect(err.details).toContain('kept kindlab-solo for inspection (delete with: kindlab down)');
    expect(existing.has('kindlab-solo')).toBe(true);
  });

  it('refuses a bad lab before asking for tools or creating anything', async () => {
    const l = lab({
      id: 'bad',
      clusters: [{ nodes: [{ role: 'control-plane' }, { role: 'worker', labels: { 'node-role.kubernetes.io/ingress': 'true' } }] }],
    });
    await expect(createPlatform(deps).up(l, options('bad'))).rejects.toThrow(/node-role.kubernetes.io\/ingress/);
    expect(toolRequests).toHaveLength(0);
    expect(runner.calls).toHaveLength(0);
    expect(() => planLab(l.meta, resolvePins({}).nodeImage, false)).toThrow(/use the node's `roles:`|list the role under the node's `roles:`/);
    expect(existsSync(labStateDir(paths, 'bad'))).toBe(false);
  });

  it("down never downloads a tool: it works from Docker's labels", async () => {
    const row = (id: string, cluster: string) => [id, cluster, 'control-plane', `${cluster}-control-plane`, 'running', '2026-12-03 10:00:00 +0000 UTC'].join('\t');
    runner.when(/docker ps -a --no-trunc --filter label=io.x-k8s.kind.cluster --format/, { stdout: [row('a1', 'kindlab-mesh-c1'), row('a2', 'kindlab-mesh-c2'), row('b1', 'kind')].join('\n') });
    // What `up` recorded for the lab.
    const stateDir = labStateDir(paths, 'mesh');
    await updateCluster(stateDir, 'mesh', 'kindlab-mesh-c1', { nodeIds: ['a1'] });
    await updateCluster(stateDir, 'mesh', 'kindlab-mesh-c2', { nodeIds: ['a2'] });
    const result = await createPlatform(deps).down('mesh', { status: () => undefined });
    expect(result.removedClusters).toEqual(['kindlab-mesh-c1', 'kindlab-mesh-c2']);
    expect(toolRequests).toHaveLength(0);
    expect(runner.find('docker ps -a -q --filter label=io.x-k8s.kind.cluster=kindlab-mesh-c1')).toHaveLength(1);
  });
});
