import { describe, expect, it } from 'vitest';
import type { ClusterContext } from '../../../src/platform/addons/context.js';
import { resolveAddons } from '../../../src/platform/addons/settings.js';
import { addonFiles, installIstioAddons } from '../../../src/platform/addons/istio-addons.js';
import { FakeClock, FakeCluster, FakeRunner, deployment, settle, type Call } from '../kind/fakes.js';

function context(runner: FakeRunner, kube: FakeCluster): ClusterContext {
  return {
    runner,
    clock: new FakeClock(),
    tools: { kind: 'kind', kubectl: '/t/kubectl', docker: 'docker' },
    env: {},
    status: () => undefined,
    pins: { cloudProviderKindImage: 'cpk', ingressNginx: { chart: '4.15.1' }, metallb: 'v0.16.1', gatewayApi: 'v1.6.1' },
    stateDir: '/state',
    labDir: '/lab',
    istioHome: '/cache/istio-1.31.1',
    clusterName: '',
    kindName: 'kindlab-obs',
    access: { kubeconfig: '/state/kubeconfig', context: 'kind-kindlab-obs' },
    kube,
  };
}

describe('jaeger and zipkin together', () => {
  it('are refused when the lab is read, before anything is created', () => {
    expect(() => resolveAddons(['istio', { 'istio-addons': { addons: ['prometheus', 'jaeger', 'zipkin'] } }], [''])).toThrow(
      /jaeger and zipkin cannot be installed together \(both define the Services "tracing" and "zipkin" in istio-system\)/,
    );
  });

  it('are refused by the installer too', () => {
    expect(() => addonFiles('/istio', ['zipkin', 'jaeger'])).toThrow(/jaeger and zipkin cannot be installed together/);
  });

  it('either one alone is fine', () => {
    expect(addonFiles('/istio', ['zipkin'])).toEqual(['/istio/samples/addons/extras/zipkin.yaml']);
    expect(() => resolveAddons(['istio', { 'istio-addons': { addons: ['jaeger'] } }], [''])).not.toThrow();
  });
});

describe('installIstioAddons', () => {
  it('applies only the listed files from ISTIO_HOME and waits for their Deployments', async () => {
    const runner = new FakeRunner();
    const kube = new FakeCluster();
    kube.set(deployment('istio-system', 'prometheus', false));
    kube.set(deployment('istio-system', 'kiali', true));
    let done = false;
    const p = installIstioAddons(context(runner, kube), { addons: ['prometheus', 'kiali'] }).then(() => (done = true));
    await settle();
    expect((runner.calls[0] as Call).args).toEqual([
      '--kubeconfig',
      '/state/kubeconfig',
      '--context',
      'kind-kindlab-obs',
      'apply',
      '-f',
      '/cache/istio-1.31.1/samples/addons/prometheus.yaml',
      '-f',
      '/cache/istio-1.31.1/samples/addons/kiali.yaml',
    ]);
    expect(done).toBe(false);
    kube.set(deployment('istio-system', 'prometheus', true));
    await p;
  });

  it('re-applies once when the first apply races a CRD', async () => {
    let attempts = 0;
    const runner = new FakeRunner().when('apply', () =>
      ++attempts === 1
        ? { exitCode: 1, stderr: 'error: resource mapping not found for name: "kiali" ... no matches for kind "MonitoringDashboard" in version "monitoring.kiali.io/v1alpha1"\nensure CRDs are installed first' }
        : { stdout: 'configured' },
    );
    const kube = new FakeCluster();
    kube.set(deployment('istio-system', 'kiali', true));
    await installIstioAddons(context(runner, kube), { addons: ['kiali'] });
    expect(attempts).toBe(2);
  });

  it('does not retry other failures, and says which command failed', async () => {
    const runner = new FakeRunner().when('apply', { exitCode: 1, stderr: 'error: the path "/cache/istio-1.31.1/samples/addons/kiali.yaml" does not exist' });
    await expect(installIstioAddons(context(runner, new FakeCluster()), { addons: ['kiali'] })).rejects.toMatchObject({
      message: 'Installing Istio addons: could not apply kiali',
    });
    expect(runner.calls).toHaveLength(1);
  });
});
