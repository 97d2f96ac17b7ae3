/**
 * istio-traffic on the simulated cluster: every routing rule of the lab is applied to the sim's
 * store and the Bookinfo/httpbin models answer according to it (routing by user, delay and abort
 * faults, weighted shifting, a request timeout, mirroring into httpbin v2's log).
 */
import { describe, expect, it } from 'vitest';
import { data, expectPassed, MISBEHAVIOUR_CHECK_TIMEOUT, TIMEOUT, withIstioLab } from './istio-lab-run.js';

type Shares = { n: number; counts: Record<string, number>; shares: Record<string, number> };
type Latency = { n: number; slow: number; medianMs: number; maxMs: number };
type Errors = { n: number; errors: number; statuses: Record<string, number> };

describe('istio-traffic (simulated cluster)', () => {
  it.concurrent('passes unattended, and the checkpoints measured what the rules imply', () =>
    withIstioLab('istio-traffic', async (run) => {
      expectPassed(run);

      expect(data<Shares>(run.check('request-routing', 'anonymous requests only reach reviews v1 (no stars)')).counts).toEqual({ v1: 30 });
      expect(data<Shares>(run.check('request-routing', 'jason only reaches reviews v2 (black stars)')).counts).toEqual({ v2: 30 });

      // 7 s delay on ratings for jason: productpage waits 3 s for reviews, twice, then gives up with 500.
      const slowJason = data<Latency>(run.check('fault-delay', "jason's requests take about 6 s (two 3 s attempts by productpage)"));
      expect(slowJason.medianMs).toBeGreaterThan(6000);
      expect(slowJason.medianMs).toBeLessThan(6100);
      expect(data<Errors>(run.check('fault-delay', 'jason gets the reviews error instead of slow ratings')).statuses).toEqual({ 500: 3 });
      expect(data<Latency>(run.check('fault-delay', 'anonymous requests stay fast')).maxMs).toBeLessThan(100);

      expect(data<Shares>(run.check('fault-abort', 'jason always sees the ratings error')).counts).toEqual({ 'ratings-error': 23 });

      // The 50/50 shift: both halves near 50 % over the computed sample size.
      const split = data<Shares>(run.check('shift-50', 'reviews v1 and v3 each get about half of the requests'));
      expect(split.n).toBeGreaterThanOrEqual(100);
      expect(Object.keys(split.counts).sort()).toEqual(['v1', 'v3']);
      for (const v of ['v1', 'v3']) {
        expect(split.shares[v]).toBeGreaterThan(0.4);
        expect(split.shares[v]).toBeLessThan(0.6);
      }
      expect(data<Shares>(run.check('shift-v3', 'every request reaches reviews v3 (red stars)')).counts).toEqual({ v3: 30 });

      const slow = data<Latency>(run.check('slow-ratings', 'every request now takes about 2 s'));
      expect(slow.medianMs).toBeGreaterThan(2000);
      expect(slow.medianMs).toBeLessThan(2100);
      // 0.5 s route timeout on reviews: productpage's sidecar answers 504 twice, about 1 s in all.
      expect(data<Errors>(run.check('request-timeout', 'every request ends with the reviews error')).statuses).toEqual({ 504: 10 });
      const bounded = data<Latency>(run.check('request-timeout', 'the error comes back quickly (about 1 s, not 2 s)'));
      expect(bounded.medianMs).toBeGreaterThan(1000);
      expect(bounded.medianMs).toBeLessThan(1100);

      expect(data<Shares>(run.check('httpbin-versions', 'all answers come from httpbin v1')).counts).toEqual({ v1: 30 });
      expect(run.check('httpbin-versions', 'httpbin v2 receives nothing yet').found).toContain('requests seen by v2: 0');
      expect(run.check('mirroring', 'httpbin v2 receives a copy of every request').found).toContain('v2 received 20 copies of 20 requests');
      expect(data<Shares>(run.check('mirroring', 'clients still only get answers from v1')).counts).toEqual({ v1: 30 });
      // httpbin v1 answers with its pod name only because the lab set USE_REAL_HOSTNAME.
      expect(run.h.calls('kubectl').map((c) => c.argv.join(' '))).toContain('set env deployment/httpbin USE_REAL_HOSTNAME=true');
      expect(run.step('mirroring').commands[0]?.stdout).toMatch(/probe=try-mirror/);
    }),
    TIMEOUT,
  );

  it.concurrent('fails "httpbin v2 receives a copy of every request" when the mirror is not applied', () =>
    withIstioLab('istio-traffic', { misbehave: { ignoreMirror: true }, until: 'mirroring', checkTimeout: MISBEHAVIOUR_CHECK_TIMEOUT }, async (run) => {
      expect(run.exitCode).toBe(1);
      const statuses = run.report.steps.map((s) => s.status);
      expect(statuses.slice(0, -1).every((s) => s === 'passed')).toBe(true);
      const mirroring = run.step('mirroring');
      expect(mirroring.status).toBe('failed');
      const failed = mirroring.checks.filter((c) => c.status !== 'pass');
      expect(failed.map((c) => c.title)).toEqual(['httpbin v2 receives a copy of every request']);
      expect(failed[0]!.kind).toBe('command');
      expect(failed[0]!.expected).toContain('stdout matching /received 20 copies of 20 requests/');
      expect(failed[0]!.found).toContain('v2 received 0 copies of 20 requests');
      // Clients never noticed: their answers still come from v1.
      expect(run.check('mirroring', 'clients still only get answers from v1').status).toBe('pass');
    }),
    TIMEOUT,
  );
});
