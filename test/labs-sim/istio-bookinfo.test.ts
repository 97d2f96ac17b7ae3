/**
 * istio-bookinfo on the simulated cluster: Istio (demo profile) through the fake istioctl, Bookinfo
 * from the fake release's samples, sidecars injected, requests answered by the Bookinfo models
 * behind the ingress gateway and VirtualServices (test/sim/behaviour/istio).
 */
import { describe, expect, it } from 'vitest';
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
      expect(run.step('gateway').commands[0]?.stdout).toMatch(/^200$/m);
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
});
