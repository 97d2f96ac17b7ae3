/**
 * istio-bookinfo on the simulated cluster: Istio (demo profile) through the fake istioctl, Bookinfo
 * from the fake release's samples, sidecars injected, requests answered by the Bookinfo models
 * behind the ingress gateway and VirtualServices (test/sim/behaviour/istio). A new Gateway's
 * listener reaches the gateway pods only after istiod's push (xds-push.ts), and the fake istioctl's
 * precheck fails on warnings as the real one does.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { repo } from './kubernetes-lab-run.js';
import { data, expectPassed, MISBEHAVIOUR_CHECK_TIMEOUT, TIMEOUT, withIstioLab } from './istio-lab-run.js';

type Shares = { n: number; counts: Record<string, number> };

describe('istio-bookinfo (simulated cluster)', () => {
  it.concurrent('passes unattended: demo profile, sidecars with NET_ADMIN/NET_RAW, gateway, clean analyze, Kiali, v1 for all, jason on v2', () =>
    withIstioLab('istio-bookinfo', async (run) => {
      expectPassed(run);
      expect(run.report.steps.map((s) => s.id)).toEqual(['install-istio', 'deploy-bookinfo', 'gateway', 'addons', 'route-all-v1', 'route-jason']);

      // What the checkpoints observed.
      expect(run.check('install-istio', 'istioctl and istiod are both 1.31.1').found).toMatch(/control plane version: 1\.31\.1/);
      expect(data<{ withProxy: number; total: number }>(run.check('deploy-bookinfo', /every Bookinfo pod has istio-proxy/))).toMatchObject({ withProxy: 6, total: 6 });
      expect(run.check('gateway', 'istioctl analyze reports no issues in default').found).toContain('No validation issues found when analyzing namespace: default');
      expect(data<Shares>(run.check('route-all-v1', 'no stars in 40 requests (reviews v1 only)')).counts).toEqual({ v1: 40 });
      expect(data<Shares>(run.check('route-jason', 'jason always gets reviews v2 (black stars)')).counts).toEqual({ v2: 30 });
      expect(data<Shares>(run.check('route-jason', 'anonymous users never get reviews v2')).counts).toEqual({ v1: 30 });

      // The learner's own commands saw the same: the in-mesh page title, jason's black stars.
      const deploy = run.step('deploy-bookinfo').commands;
      expect(deploy.find((c) => c.script.includes('grep -o "<title>'))?.stdout).toContain('<title>Simple Bookstore App</title>');
      expect(deploy.find((c) => c.script.includes('initContainers'))?.stdout).toMatch(/istio-init \["NET_ADMIN","NET_RAW"\]/);
      expect(run.step('route-jason').commands.at(-1)?.stdout).toMatch(/"podname": "reviews-v2-[^"]+"[\s\S]*"color": "black"/);
      expect(run.step('gateway').commands[0]?.stdout).toMatch(/^GET \/productpage: 200$/m);
      // A clean precheck says so on stderr, which the step shows.
      expect(run.step('install-istio').commands[0]?.stdout).toContain('✔ No issues found when checking the cluster.');
      expect(run.h.calls('istioctl').map((c) => c.argv.slice(0, 3).join(' '))).toContain('install --set profile=demo');
    }),
    TIMEOUT,
  );

  it.concurrent('fails "jason always gets reviews v2" when the proxies ignore header matches', () =>
    withIstioLab('istio-bookinfo', { misbehave: { ignoreHeaderMatches: true }, until: 'route-jason', checkTimeout: MISBEHAVIOUR_CHECK_TIMEOUT }, async (run) => {
      expect(run.exitCode).toBe(1);
      expect(run.report.steps.map((s) => [s.id, s.status])).toEqual([
        ['install-istio', 'passed'],
        ['deploy-bookinfo', 'passed'],
        ['gateway', 'passed'],
        ['addons', 'passed'],
        ['route-all-v1', 'passed'],
        ['route-jason', 'failed'],
      ]);
      const failed = run.step('route-jason').checks.filter((c) => c.status !== 'pass');
      expect(failed.map((c) => c.title)).toEqual(['jason always gets reviews v2 (black stars)']);
      const jason = failed[0]!;
      expect(jason.kind).toBe('traffic');
      expect(jason.expected).toBe('shares v2 100% (exact, n=30)');
      expect(jason.found).toBe('v2 0% (0)');
      // The details say where jason's requests went instead: all to v1.
      expect(jason.details).toContain('v1: expected no responses, got 30');
      expect(data<Shares>(jason).counts).toEqual({ v1: 30 });
      expect(run.step('route-jason').reason).toContain('jason always gets reviews v2');
    }),
    TIMEOUT,
  );

  it.concurrent('the first request through a new Gateway is reset until istiod pushed its listener: a single curl fails the step', () => {
    // The lab as it was: one curl right after the apply, under set -e.
    const lab = readFileSync(`${repo}/labs/istio-bookinfo/lab.md`, 'utf8');
    const from = lab.indexOf('for _ in $(seq 1 30); do\n  code=$(docker exec');
    const to = lab.indexOf('\n', lab.indexOf('echo "GET /productpage: ', from));
    expect(from).toBeGreaterThan(0);
    const retries = lab.slice(from, to);
    const once = 'docker exec "${KINDLAB_CLUSTER}-control-plane" \\\n  curl -s -o /dev/null -w "%{http_code}\\n" "http://${GATEWAY_IP}/productpage"';
    return withIstioLab('istio-bookinfo', { until: 'gateway', checkTimeout: MISBEHAVIOUR_CHECK_TIMEOUT, variant: { 'labs/istio-bookinfo/lab.md': [[retries, once]] } }, async (run) => {
      expect(run.exitCode).toBe(1);
      expect(run.report.steps.map((s) => [s.id, s.status])).toEqual([
        ['install-istio', 'passed'],
        ['deploy-bookinfo', 'passed'],
        ['gateway', 'failed'],
      ]);
      const curl = run.step('gateway').commands[0]!;
      // curl: (52) Empty reply or (56) Connection reset, depending on where the reset is seen.
      expect([52, 56]).toContain(curl.exitCode);
      expect(curl.stdout).toMatch(/^000$/m);
    });
  }, TIMEOUT);

  it.concurrent('shows a precheck warning and installs anyway (precheck exits 1 on warnings too)', () => {
    // The cluster still has a Gateway API CRD from before v1: GRPCRoute served as v1alpha2 only.
    const oldCrd = [
      'kubectl apply -f - <<\'YAML\'',
      'apiVersion: apiextensions.k8s.io/v1',
      'kind: CustomResourceDefinition',
      'metadata:',
      '  name: grpcroutes.gateway.networking.k8s.io',
      'spec:',
      '  group: gateway.networking.k8s.io',
      '  scope: Namespaced',
      '  names: {kind: GRPCRoute, plural: grpcroutes, singular: grpcroute, listKind: GRPCRouteList}',
      '  versions:',
      '    - {name: v1alpha2, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}',
      'YAML',
      '',
    ].join('\n');
    const edits = { 'labs/istio-bookinfo/lab.md': [['istioctl version --remote=false\n', `istioctl version --remote=false\n${oldCrd}`] as [string, string]] };
    return withIstioLab('istio-bookinfo', { until: 'install-istio', variant: edits }, async (run) => {
      expectPassed(run);
      const install = run.step('install-istio').commands[0]!;
      expect(install.exitCode).toBe(0);
      expect(install.stdout).toMatch(/Warning\S* \[IST0172\] \(CustomResourceDefinition grpcroutes\.gateway\.networking\.k8s\.io\) The Gateway API CRD version v1alpha2 is lower than the minimum version: v1/);
      expect(install.stdout).toContain('Error: Issues found when checking the cluster.');
      expect(run.h.calls('istioctl').map((c) => c.argv.slice(0, 3).join(' '))).toContain('install --set profile=demo');
    });
  }, TIMEOUT);
});
