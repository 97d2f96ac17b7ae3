/**
 * The Istio behaviour models through the fakes, without kindlab: what a learner's commands see in
 * a mesh built from the fake release's samples, and the fake additions the Istio labs rely on
 * (kubectl set env, logs --tail, port-forward into a pod, istioctl analyze from the cluster).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimHarness, type SimHarness } from '../../harness.js';
import { installIstioBehaviour, type IstioBehaviour } from './index.js';
import type { Series } from './metrics.js';
import { evaluate, PromQLError } from './promql.js';

describe('PromQL subset', () => {
  const series: Series[] = [
    { name: 'istio_requests_total', labels: { reporter: 'destination', destination_app: 'productpage', response_code: '200' }, value: 7, updatedAt: 0 },
    { name: 'istio_requests_total', labels: { reporter: 'destination', destination_app: 'productpage', response_code: '503' }, value: 2, updatedAt: 0 },
    { name: 'istio_requests_total', labels: { reporter: 'source', destination_app: 'productpage', response_code: '200' }, value: 7, updatedAt: 0 },
    { name: 'istio_requests_total', labels: { reporter: 'destination', destination_app: 'ratings', response_code: '200' }, value: 4, updatedAt: 0 },
  ];

  it('selects, sums and groups', () => {
    expect(evaluate('istio_requests_total{destination_app="productpage",reporter="destination"}', series).map((s) => s.value)).toEqual([7, 2]);
    expect(evaluate('sum(istio_requests_total{reporter="destination"})', series)).toEqual([{ metric: {}, value: 13 }]);
    expect(evaluate('sum by (response_code) (istio_requests_total{destination_app=~"prod.*",reporter!="source"})', series)).toEqual([
      { metric: { response_code: '200' }, value: 7 },
      { metric: { response_code: '503' }, value: 2 },
    ]);
    expect(evaluate('count(istio_requests_total) by (reporter)', series)).toEqual([
      { metric: { reporter: 'destination' }, value: 3 },
      { metric: { reporter: 'source' }, value: 1 },
    ]);
  });

  it('rejects what it cannot evaluate instead of answering nothing', () => {
    expect(() => evaluate('istio_requests_total{reporter=destination}', series)).toThrow(PromQLError);
    expect(() => evaluate('rate(istio_requests_total[5m])', series)).toThrow(/not simulated/);
  });
});

describe('a mesh from the fake release, through the fakes', () => {
  let h: SimHarness;
  let mesh: IstioBehaviour;
  const sh = (script: string) => h.sh(`export KUBECONFIG=${join(h.dir, 'kc')}\n${script}`);

  beforeAll(async () => {
    h = await createSimHarness();
    mesh = await installIstioBehaviour(h);
    const setup = await sh(
      [
        'set -e',
        `kind create cluster --name mesh --kubeconfig ${join(h.dir, 'kc')} >/dev/null 2>&1`,
        'istioctl install --set profile=demo -y >/dev/null',
        'kubectl label namespace default istio-injection=enabled',
        'kubectl apply -f "$ISTIO_HOME/samples/httpbin/httpbin.yaml" -f "$ISTIO_HOME/samples/curl/curl.yaml" >/dev/null',
        'kubectl rollout status deployment/httpbin --timeout=60s >/dev/null && kubectl rollout status deployment/curl --timeout=60s >/dev/null',
      ].join('\n'),
    );
    expect(setup, setup.stderr).toMatchObject({ code: 0 });
  }, 60_000);
  afterAll(async () => {
    await mesh.stop();
    await h.cleanup();
  });

  it('set env rolls the pods out again; httpbin then names its pod, and logs the request', async () => {
    expect((await sh('kubectl exec deploy/curl -c curl -- curl -s http://httpbin:8000/hostname')).stdout).toContain('"hostname": "go-httpbin"');
    const set = await sh('kubectl set env deployment/httpbin USE_REAL_HOSTNAME=true && kubectl rollout status deployment/httpbin --timeout=60s >/dev/null');
    expect(set.stdout).toBe('deployment.apps/httpbin env updated\n');
    const host = await sh('kubectl exec deploy/curl -c curl -- curl -s "http://httpbin:8000/hostname?probe=x"');
    const pod = h.sim.cluster('mesh').list('v1', 'Pod', 'default', { labelSelector: 'app=httpbin' }).find((p) => JSON.stringify(p.spec).includes('USE_REAL_HOSTNAME'));
    expect(JSON.parse(host.stdout)).toEqual({ hostname: pod?.metadata.name });
    const logs = await sh('kubectl logs deploy/httpbin -c httpbin --tail=1');
    expect(logs.stdout).toMatch(/^time="[^"]+" status=200 method="GET" uri="\/hostname\?probe=x" .*\n$/);
    // The sidecars' access logs (demo profile: accessLogFile /dev/stdout).
    expect((await sh('kubectl logs deploy/curl -c istio-proxy')).stdout).toMatch(/"GET \/hostname\?probe=x HTTP\/1\.1" 200 - via_upstream .* outbound\|8000\|\|httpbin\.default\.svc\.cluster\.local/);
  });

  it('port-forward carries requests into the pod behind a Service', async () => {
    const r = await sh(
      [
        'KINDLAB_FAKE_PORT_FORWARD_MS=20000 kubectl port-forward --address 127.0.0.1 service/httpbin 0:8000 >pf.log 2>&1 &',
        'for _ in $(seq 1 100); do grep -q Forwarding pf.log 2>/dev/null && break; sleep 0.05; done',
        'port=$(sed -n "s/.*127.0.0.1:\\([0-9]*\\) -> .*/\\1/p" pf.log)',
        'curl -s -o /dev/null -w "%{http_code} " "http://127.0.0.1:$port/status/418"; curl -s "http://127.0.0.1:$port/get?a=1"',
        'kill %1',
      ].join('\n'),
    );
    expect(r.stdout).toMatch(/^418 \{/);
    expect(JSON.parse(r.stdout.slice(4))).toMatchObject({ args: { a: ['1'] }, method: 'GET' });
  });

  it('istioctl analyze reads the cluster: clean, then IST0101 for a subset no DestinationRule defines', async () => {
    expect(await sh('istioctl analyze -n default')).toMatchObject({ code: 0, stdout: '', stderr: '✔ No validation issues found when analyzing namespace: default.\n' });
    const vs = 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: httpbin}\nspec:\n  hosts: [httpbin]\n  http: [{route: [{destination: {host: httpbin, subset: v2}}]}]\n';
    const bad = await sh(`printf '%s' '${vs}' | kubectl apply -f - >/dev/null && istioctl analyze -n default`);
    expect(bad.code).toBe(79);
    expect(bad.stdout).toBe('Error [IST0101] (VirtualService default/httpbin) Referenced host+subset in destinationrule not found: "httpbin+v2"\n');
    // The mesh agrees: the sidecar has no cluster for that subset.
    const call = await sh('kubectl exec deploy/curl -c curl -- curl -s -o /dev/null -w "%{http_code}" http://httpbin:8000/get');
    expect(call.stdout).toBe('503');
    await sh('kubectl delete virtualservice httpbin');
  });
});
