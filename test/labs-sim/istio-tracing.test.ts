/**
 * istio-tracing on the simulated cluster: the proxies trace only once the lab's Telemetry selects
 * the demo profile's "jaeger" provider; spans reach the Jaeger model through its collector
 * Service, and Bookinfo forwards the trace headers so one trace spans all four services.
 */
import { describe, expect, it } from 'vitest';
import { data, expectPassed, MISBEHAVIOUR_CHECK_TIMEOUT, TIMEOUT, withIstioLab } from './istio-lab-run.js';

const TRACES = 'a productpage trace spans productpage, details, reviews and ratings';
type Traces = { traces: number; best: { traceId: string; spans: number; services: string[] } };

describe('istio-tracing (simulated cluster)', () => {
  it.concurrent('passes unattended: 9-span traces (the gateway spawns an upstream span) through gateway, productpage, details, reviews, ratings; our trace id and request id propagate', () =>
    withIstioLab('istio-tracing', async (run) => {
      expectPassed(run);

      const traces = data<Traces>(run.check('traces', TRACES));
      // One trace per request sent after the Telemetry (50 from the loop), none from before it.
      expect(traces.traces).toBe(50);
      expect(traces.best.spans).toBe(9);
      // The gateway's two spans: the one for the request it got, and the upstream one it spawned,
      // which productpage's server span hangs off.
      const spans = run.behaviour.mesh.spans.trace(traces.best.traceId) ?? [];
      const gateway = spans.filter((x) => x.service === 'istio-ingressgateway.istio-system');
      const server = gateway.find((x) => x.kind === 'server');
      const upstream = gateway.find((x) => x.kind === 'client');
      expect(gateway).toHaveLength(2);
      expect(upstream?.parentSpanId).toBe(server?.spanId);
      expect(upstream?.operation).toBe('router outbound|9080||productpage.default.svc.cluster.local egress');
      expect(spans.find((x) => x.service === 'productpage.default' && x.kind === 'server')?.parentSpanId).toBe(upstream?.spanId);
      expect(traces.best.services).toEqual(['details.default', 'istio-ingressgateway.istio-system', 'productpage.default', 'ratings.default', 'reviews.default']);
      // The lab's own look at the API: the services (Jaeger's processes) of the newest trace.
      expect(run.step('traces').commands.at(-1)?.stdout.trim().split('\n').map((l) => l.trim())).toEqual([
        '1 "serviceName":"details.default"',
        '1 "serviceName":"istio-ingressgateway.istio-system"',
        '1 "serviceName":"productpage.default"',
        '1 "serviceName":"ratings.default"',
        '1 "serviceName":"reviews.default"',
      ]);

      expect(run.check('propagation', 'the trace with the id we chose reaches all four services').status).toBe('pass');
      // ratings' sidecar logged the x-request-id sent three hops earlier (sampling nibble set to b).
      const log = run.step('propagation').commands[0]?.stdout ?? '';
      expect(log).toContain('"5e0a4a1c-3b8f-bc6e-9d2a-7a1f0c9b8e42"');
      expect(log).toMatch(/"serviceName":"ratings\.default"/);
      expect(run.check('propagation', "ratings' access log shows the x-request-id sent three hops earlier").found).toMatch(/stdout: [1-9]/);
    }),
    TIMEOUT,
  );

  it.concurrent('fails the traces checkpoint, naming the services, when the Telemetry has no effect', () =>
    withIstioLab('istio-tracing', { misbehave: { ignoreTelemetry: true }, until: 'traces', checkTimeout: MISBEHAVIOUR_CHECK_TIMEOUT }, async (run) => {
      expect(run.exitCode).toBe(1);
      expect(run.report.steps.map((s) => [s.id, s.status])).toEqual([
        ['setup', 'passed'],
        ['jaeger', 'passed'],
        ['telemetry', 'passed'],
        ['traces', 'failed'],
      ]);
      const c = run.check('traces', TRACES);
      expect(c).toMatchObject({
        kind: 'traces',
        status: 'fail',
        expected: 'one trace with spans from productpage.default, details.default, reviews.default, ratings.default and at least 9 spans',
        found: 'no traces for productpage.default in the last 1h',
      });
    }),
    TIMEOUT,
  );

  it.concurrent('fails the traces checkpoint, naming the missing services, when the apps drop the trace headers', () =>
    withIstioLab('istio-tracing', { misbehave: { dropTraceHeaders: true }, until: 'traces', checkTimeout: MISBEHAVIOUR_CHECK_TIMEOUT }, async (run) => {
      expect(run.exitCode).toBe(1);
      const c = run.check('traces', TRACES);
      expect(c.status).toBe('fail');
      // Each hop started its own trace: the best productpage trace has two services, not four.
      const best = data<Traces>(c).best;
      expect(best.spans).toBe(2);
      expect(best.services).toContain('productpage.default');
      const missing = ['details.default', 'reviews.default', 'ratings.default'].filter((svc) => !best.services.includes(svc));
      expect(missing).toHaveLength(2);
      expect(c.found).toMatch(new RegExp(`has 2 spans from ${best.services.join(', ').replace(/\./g, '\\.')}; missing ${missing.join(', ').replace(/\./g, '\\.')}$`));
    }),
    TIMEOUT,
  );
});
