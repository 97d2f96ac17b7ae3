import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KindlabError } from '../../../src/core/errors.js';
import type { KubeObject } from '../../../src/core/seams.js';
import type { ClusterContext } from '../../../src/platform/addons/context.js';
import { enableInjection, installIstio, istioInstallArgs, profileWorkloads } from '../../../src/platform/addons/istio.js';
import { FakeClock, FakeCluster, FakeRunner, daemonSet, deployment, settle, type Call } from '../kind/fakes.js';

const access = { kubeconfig: '/state/kubeconfig', context: 'kind-kindlab-mesh' };

function injector(caBundle: string | undefined): KubeObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'istio-sidecar-injector', labels: { app: 'sidecar-injector' } },
    webhooks: ['rev.namespace', 'rev.object', 'namespace', 'object'].map((n) => ({
      name: `${n}.sidecar-injector.istio.io`,
      clientConfig: { service: { name: 'istiod', namespace: 'istio-system' }, ...(caBundle ? { caBundle } : {}) },
    })),
  };
}

describe('installIstio', () => {
  let stateDir: string;
  let runner: FakeRunner;
  let kube: FakeCluster;
  let clock: FakeClock;
  let ctx: ClusterContext;
  let statuses: string[];

  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'kindlab-istio-'));
    runner = new FakeRunner();
    kube = new FakeCluster();
    clock = new FakeClock();
    statuses = [];
    ctx = {
      runner,
      clock,
      tools: { kind: 'kind', kubectl: '/t/kubectl', docker: 'docker', istioctl: '/t/istioctl' },
      env: {},
      status: (m) => statuses.push(m),
      pins: { cloudProviderKindImage: 'cpk', ingressNginx: { chart: '4.15.1' }, metallb: 'v0.16.1', gatewayApi: 'v1.6.1' },
      stateDir,
      labDir: '/labs/mesh',
      clusterName: '',
      kindName: 'kindlab-mesh',
      access,
      kube,
    };
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  it('waits until the Deployments are Available and the injector has its CA bundle', async () => {
    // istioctl "succeeds" at once, leaving objects that are not ready yet, as on a slow laptop.
    runner.when('istioctl install', () => {
      kube.set(deployment('istio-system', 'istiod', false));
      kube.set(deployment('istio-system', 'istio-ingressgateway', false));
      kube.set(deployment('istio-system', 'istio-egressgateway', false));
      kube.set(injector(undefined));
      return { stdout: '✔ Installation complete' };
    });
    let done = false;
    const p = installIstio(ctx, { profile: 'demo', injection: ['default'] }).then(() => (done = true));
    await settle();
    expect(runner.find('istioctl install')).toHaveLength(1);

    kube.set(deployment('istio-system', 'istiod', true));
    kube.set(deployment('istio-system', 'istio-ingressgateway', true));
    await settle();
    expect(done).toBe(false); // egress gateway still unavailable

    kube.set(deployment('istio-system', 'istio-egressgateway', true));
    await settle();
    expect(done).toBe(false); // webhook has no caBundle yet: pods in injected namespaces would fail

    kube.set(injector('LS0tLS1CRUdJTi'));
    await p;
    expect(done).toBe(true);
    // Injection is labelled only after istiod is ready.
    expect(await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: 'default' })).toMatchObject({
      metadata: { labels: { 'istio-injection': 'enabled' } },
    });
    expect(kube.watchers).toBe(0);
  });

  it('runs istioctl with the lab kubeconfig and context, the profile, -y and --set values', async () => {
    kube.set(deployment('istio-system', 'istiod', true));
    kube.set(deployment('istio-system', 'istio-ingressgateway', true));
    kube.set(injector('Q0E='));
    await installIstio(ctx, { set: { 'meshConfig.accessLogFile': '/dev/stdout', 'values.pilot.traceSampling': 100 } });
    const call = runner.find('istioctl install')[0] as Call;
    expect(call.command).toBe('/t/istioctl');
    expect(call.args).toEqual([
      'install',
      '--kubeconfig',
      '/state/kubeconfig',
      '--context',
      'kind-kindlab-mesh',
      '--skip-confirmation',
      '--set',
      'profile=default',
      '--set',
      'meshConfig.accessLogFile=/dev/stdout',
      '--set',
      'values.pilot.traceSampling=100',
    ]);
  });

  it('passes an IstioOperator from the lab dir and an inline one, without overriding their profile', async () => {
    kube.set(deployment('istio-system', 'istiod', true));
    kube.set(injector('Q0E='));
    await installIstio(ctx, { file: 'iop.yaml', operator: { meshConfig: { accessLogFile: '/dev/stdout' } } });
    const args = (runner.find('istioctl install')[0] as Call).args;
    const inline = join(stateDir, 'istio-operator-kindlab-mesh.yaml');
    expect(args).toEqual(expect.arrayContaining(['--filename', '/labs/mesh/iop.yaml', '--filename', inline]));
    expect(args.join(' ')).not.toContain('profile=');
    expect(parse(readFileSync(inline, 'utf8'))).toEqual({
      apiVersion: 'install.istio.io/v1alpha1',
      kind: 'IstioOperator',
      spec: { meshConfig: { accessLogFile: '/dev/stdout' } },
    });
  });

  it('on timeout reports which workloads were not ready and why their pods are stuck', async () => {
    kube.set(deployment('istio-system', 'istiod', false));
    kube.set(deployment('istio-system', 'istio-ingressgateway', true));
    kube.set(injector('Q0E='));
    kube.set({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'istiod-5d9c', namespace: 'istio-system' },
      status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', message: '0/3 nodes are available: 3 Insufficient memory.' }] },
    });
    const p = installIstio(ctx, {}).catch((e: unknown) => e);
    while (clock.pending < 1) await settle();
    clock.advance(10 * 60_000);
    const err = (await p) as KindlabError;
    expect(err).toBeInstanceOf(KindlabError);
    expect(err.message).toMatch(/^Installing Istio: timed out after 10m waiting for deployments istiod, istio-ingressgateway in istio-system/);
    expect(err.details).toContain('last seen: istiod 0/1 ready (Available=False: MinimumReplicasUnavailable), istio-ingressgateway 1/1 ready');
    expect(err.details).toContain('pod istio-system/istiod-5d9c: not scheduled: 0/3 nodes are available: 3 Insufficient memory.');
  });

  it('ambient waits for the CNI and ztunnel DaemonSets', async () => {
    expect(profileWorkloads('ambient').map((w) => `${w.kind}/${w.name}`)).toEqual(['Deployment/istiod', 'DaemonSet/istio-cni-node', 'DaemonSet/ztunnel']);
    kube.set(deployment('istio-system', 'istiod', true));
    kube.set(injector('Q0E='));
    kube.set(daemonSet('istio-system', 'istio-cni-node', 1, 3));
    kube.set(daemonSet('istio-system', 'ztunnel', 3, 3));
    let done = false;
    const p = installIstio(ctx, { profile: 'ambient' }).then(() => (done = true));
    await settle();
    expect(done).toBe(false);
    kube.set(daemonSet('istio-system', 'istio-cni-node', 3, 3));
    await p;
  });

  it('shows precheck findings without failing on them', async () => {
    runner.when('x precheck', { exitCode: 1, stdout: 'Warning [IST0142] Kubernetes version 1.37 is not supported' });
    kube.set(deployment('istio-system', 'istiod', true));
    kube.set(injector('Q0E='));
    await installIstio(ctx, { profile: 'minimal', precheck: true });
    expect(statuses).toContain('istioctl x precheck: Warning [IST0142] Kubernetes version 1.37 is not supported');
  });
});

describe('helpers', () => {
  it('istioInstallArgs keeps the profile from the lab when a file is given too', () => {
    expect(istioInstallArgs(access, { profile: 'demo' }, ['/x.yaml'])).toContain('profile=demo');
  });

  it('enableInjection creates or labels the namespace', async () => {
    const kube = new FakeCluster();
    kube.set({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { team: 'a' } } });
    await enableInjection(kube, 'shop');
    expect((await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: 'shop' }))?.metadata.labels).toEqual({ team: 'a', 'istio-injection': 'enabled' });
  });
});
