import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ClusterContext } from '../../../src/platform/addons/context.js';
import { GATEWAY_API_CORE_CRDS, gatewayApiUrl, installGatewayApi } from '../../../src/platform/addons/gateway-api.js';
import { ingressNginxValues, installIngressNginx, mergeValues } from '../../../src/platform/addons/ingress-nginx.js';
import { FakeClock, FakeCluster, FakeRunner, daemonSet, settle, type Call } from '../kind/fakes.js';

function ctx(runner: FakeRunner, kube: FakeCluster, stateDir = '/s'): ClusterContext {
  return {
    runner,
    clock: new FakeClock(),
    tools: { kind: 'kind', kubectl: '/t/kubectl', docker: 'docker', helm: '/t/helm' },
    env: {},
    status: () => undefined,
    pins: { cloudProviderKindImage: 'cpk', ingressNginx: { chart: '4.15.1' }, metallb: 'v0.16.1', gatewayApi: 'v1.6.1' },
    stateDir,
    labDir: '/l',
    clusterName: '',
    kindName: 'kindlab-ing',
    access: { kubeconfig: '/s/kubeconfig', context: 'kind-kindlab-ing' },
    kube,
  };
}

describe('ingress-nginx values', () => {
  it('defaults: LoadBalancer Service, IngressClass nginx that is not the default', () => {
    expect(ingressNginxValues({})).toEqual({
      controller: {
        kind: 'Deployment',
        ingressClassResource: { name: 'nginx', enabled: true, default: false },
        ingressClass: 'nginx',
        service: { type: 'LoadBalancer' },
      },
    });
  });

  it('HA variant from front matter: DaemonSet on ingress nodes, tolerating their taint, ETP Local', () => {
    const v = ingressNginxValues({
      kind: 'DaemonSet',
      nodeSelector: { 'node-role.kubernetes.io/ingress': 'true' },
      tolerations: [{ key: 'node-role.kubernetes.io/ingress', operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
      externalTrafficPolicy: 'Local',
      values: { controller: { metrics: { enabled: true } } },
    });
    expect(v.controller).toMatchObject({
      kind: 'DaemonSet',
      nodeSelector: { 'kubernetes.io/os': 'linux', 'node-role.kubernetes.io/ingress': 'true' },
      tolerations: [{ key: 'node-role.kubernetes.io/ingress', effect: 'NoSchedule' }],
      service: { type: 'LoadBalancer', externalTrafficPolicy: 'Local' },
      metrics: { enabled: true },
    });
  });

  it('merges maps and replaces everything else', () => {
    expect(mergeValues({ a: { b: 1, c: [1] } }, { a: { c: [2], d: 3 } })).toEqual({ a: { b: 1, c: [2], d: 3 } });
  });
});

describe('installIngressNginx', () => {
  it('installs the pinned chart with Helm against the lab cluster and waits for the controller', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'kindlab-ing-'));
    try {
      const runner = new FakeRunner();
      const kube = new FakeCluster();
      let done = false;
      const p = installIngressNginx(ctx(runner, kube, stateDir), { kind: 'DaemonSet' }).then(() => (done = true));
      // The values file is written first (real file I/O), then Helm runs.
      while (runner.calls.length === 0) await settle();
      const helm = runner.calls[0] as Call;
      expect(helm.command).toBe('/t/helm');
      expect(helm.args).toEqual([
        'upgrade',
        '--install',
        'ingress-nginx',
        'ingress-nginx',
        '--repo',
        'https://kubernetes.github.io/ingress-nginx',
        '--version',
        '4.15.1',
        '--namespace',
        'ingress-nginx',
        '--create-namespace',
        '--values',
        join(stateDir, 'ingress-nginx-kindlab-ing.values.yaml'),
        '--kubeconfig',
        '/s/kubeconfig',
        '--kube-context',
        'kind-kindlab-ing',
      ]);
      expect(parse(readFileSync(join(stateDir, 'ingress-nginx-kindlab-ing.values.yaml'), 'utf8'))).toMatchObject({ controller: { kind: 'DaemonSet' } });
      expect(done).toBe(false);
      kube.set(daemonSet('ingress-nginx', 'ingress-nginx-controller', 2, 2));
      await p;
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

describe('installGatewayApi', () => {
  it('server-side applies the standard channel of the pinned release and waits for the CRDs', async () => {
    const runner = new FakeRunner();
    const kube = new FakeCluster();
    let done = false;
    const p = installGatewayApi(ctx(runner, kube)).then(() => (done = true));
    await settle();
    expect(runner.lines()).toEqual([
      '/t/kubectl --kubeconfig /s/kubeconfig --context kind-kindlab-ing apply --server-side --force-conflicts -f https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.1/standard-install.yaml',
    ]);
    expect(gatewayApiUrl('v1.6.1')).toContain('/v1.6.1/standard-install.yaml');
    for (const name of GATEWAY_API_CORE_CRDS) {
      expect(done).toBe(false);
      kube.set({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name },
        status: { conditions: [{ type: 'Established', status: 'True' }] },
      });
      await settle();
    }
    await p;
  });
});
