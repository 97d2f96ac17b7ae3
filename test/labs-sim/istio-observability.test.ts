/**
 * istio-observability on the simulated cluster: the proxies count istio_requests_total as traffic
 * flows, Prometheus answers PromQL over those counters, Grafana lists the Istio dashboards, Kiali
 * draws its graph from the same metrics; the lab's port-forwards on 127.0.0.1 reach the pods.
 */
import { describe, expect, it } from 'vitest';
import { data, expectPassed, MISBEHAVIOUR_CHECK_TIMEOUT, TIMEOUT, withIstioLab } from './istio-lab-run.js';

type Metrics = { series: number; values: number[]; result: Array<{ metric: Record<string, string>; value: number }> };

describe('istio-observability (simulated cluster)', () => {
  it.concurrent('passes unattended: metrics for the traffic sent, dashboards on 127.0.0.1, Kiali edges', () =>
    withIstioLab('istio-observability', async (run) => {
      expectPassed(run);

      const productpage = data<Metrics>(run.check('metrics', 'Prometheus has istio_requests_total series for productpage'));
      expect(productpage.series).toBeGreaterThan(0);
      // 100 requests from the lab's loop (and the setup checkpoint's), all answered 200 through the gateway.
      expect(productpage.result.every((s) => s.metric.destination_app === 'productpage' && s.metric.reporter === 'destination')).toBe(true);
      expect(productpage.result.find((s) => s.metric.source_app === 'istio-ingressgateway')?.value).toBeGreaterThanOrEqual(100);
      // Only reviews v2 and v3 call ratings: about two thirds of the requests.
      const ratings = data<Metrics>(run.check('metrics', 'calls from reviews to ratings are counted too')).values[0]!;
      expect(ratings).toBeGreaterThan(45);
      expect(ratings).toBeLessThan(90);
      // promtool in the Prometheus pod printed the same counter by response code.
      expect(run.step('metrics').commands.at(-1)?.stdout).toMatch(/^\{response_code="200"\} => \d+ @\[/m);

      expect(run.check('dashboards', /^Grafana on 127\.0\.0\.1/).status).toBe('pass');
      expect(run.check('dashboards', "Kiali's graph has the edges productpage -> reviews -> ratings").found).toMatch(/istio-ingressgateway -> productpage.*productpage -> details.*productpage -> reviews.*reviews -> ratings/);
      const forwards = run.h.calls('kubectl').filter((c) => c.argv.includes('port-forward'));
      expect(forwards.map((c) => c.argv.at(-1)).sort()).toEqual(['13000:3000', '19090:9090', '20001:20001']);
      for (const c of forwards) expect(c.argv).toEqual(expect.arrayContaining(['--address', '127.0.0.1']));
    }),
    TIMEOUT,
  );

  it.concurrent('fails the Prometheus checkpoints when no traffic is recorded', () =>
    withIstioLab('istio-observability', { misbehave: { noMetrics: true }, until: 'metrics', checkTimeout: MISBEHAVIOUR_CHECK_TIMEOUT }, async (run) => {
      expect(run.exitCode).toBe(1);
      expect(run.report.steps.map((s) => [s.id, s.status])).toEqual([
        ['setup', 'passed'],
        ['addons', 'passed'],
        ['metrics', 'failed'],
      ]);
      // The lab's traffic itself went through: 100 requests answered.
      expect(run.step('metrics').commands.every((c) => c.exitCode === 0)).toBe(true);
      const series = run.check('metrics', 'Prometheus has istio_requests_total series for productpage');
      expect(series).toMatchObject({ kind: 'metrics', status: 'fail', expected: 'series count > 0, every value > 0', found: 'no series' });
      expect(series.details).toEqual(expect.arrayContaining(['0 series, expected > 0', 'no series to compare']));
      expect(run.step('metrics').reason).toContain('Prometheus has istio_requests_total series for productpage');
    }),
    TIMEOUT,
  );

  it.concurrent('a learner who takes a break before the dashboards step still gets the Kiali edges (the step sends fresh traffic)', () =>
    // Eleven minutes between the metrics step and the dashboards step: the traffic of the metrics step
    // is older than Kiali's default 10-minute window (the pause passes on the lab clock).
    withIstioLab(
      'istio-observability',
      { until: 'dashboards', variant: { 'labs/istio-observability/lab.md': [['```sh\nPF_DIR="${TMPDIR:-/tmp}/kindlab-${KINDLAB_CLUSTER}-port-forwards"\nmkdir -p', '```sh\nsleep 660 # a break\nPF_DIR="${TMPDIR:-/tmp}/kindlab-${KINDLAB_CLUSTER}-port-forwards"\nmkdir -p']] } },
      async (run) => {
        expectPassed(run);
        const edges = run.step('dashboards').commands.at(-1)?.stdout ?? '';
        expect(edges).toMatch(/productpage -> reviews[\s\S]*reviews -> ratings/);
        expect(run.check('dashboards', "Kiali's graph has the edges productpage -> reviews -> ratings").status).toBe('pass');
        // The pause did pass on the mesh's clock, which Kiali's window follows.
        expect(run.behaviour.mesh.clock() - Date.now()).toBeGreaterThan(650_000);
      },
    ),
    // The break itself still takes real time (the crediting sleep shortens it, not to zero), on top of
    // a full run up to the dashboards: on a loaded 2-core machine that outlasts TIMEOUT.
    TIMEOUT + 90_000,
  );
});
