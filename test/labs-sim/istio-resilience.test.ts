/**
 * istio-resilience on the simulated cluster: helloworld behind the curl client's sidecar (weights,
 * abort and delay faults by percentage), then httpbin with a DestinationRule connection pool that
 * fortio's sidecar enforces, counting upstream_rq_pending_overflow.
 */
import { describe, expect, it } from 'vitest';
import type { FortioResult } from '../../src/checks/kinds/load.js';
import { SAMPLE_REWRITE } from '../labs/sample-images.js';
import { data, expectPassed, MISBEHAVIOUR_CHECK_TIMEOUT, TIMEOUT, withIstioLab } from './istio-lab-run.js';
import { sampleSize } from '../../src/checks/kinds/traffic.js';

type Shares = { n: number; counts: Record<string, number>; shares: Record<string, number> };
const OVERFLOW = "fortio's sidecar counted pending-request overflows";
const THREE = 'three connections overflow the pool (some 503s)';

describe('istio-resilience (simulated cluster)', () => {
  it.concurrent('passes unattended: v1 only, 50/50, half aborted, half delayed, v2 retired, circuit breaker trips with -c 3', () =>
    withIstioLab('istio-resilience', async (run) => {
      expectPassed(run);

      expect(data<Shares>(run.check('all-v1', 'every answer comes from v1')).counts).toEqual({ v1: 40 });
      const split = data<Shares>(run.check('gray-release', 'about half of the answers come from v2'));
      // No explicit requests: the size kindlab computes for 95 % power over the check's two attempts.
      expect(split.n).toBe(sampleSize({ expect: { v1: 0.5, v2: 0.5 }, tolerance: 0.15, confidence: 0.999, power: 0.95 } as never, { attempts: 2, consecutive: 1 }).n);
      expect(split.shares.v2).toBeGreaterThan(0.35);
      expect(split.shares.v2).toBeLessThan(0.65);
      const aborts = data<{ n: number; errors: number; statuses: Record<string, number> }>(run.check('fault-abort', 'about half of the requests end in 503 "fault filter abort"'));
      expect(Object.keys(aborts.statuses).sort()).toEqual(['200', '503']);
      expect(aborts.errors / aborts.n).toBeGreaterThan(0.35);
      expect(aborts.errors / aborts.n).toBeLessThan(0.65);
      const delayed = data<{ n: number; slow: number; maxMs: number }>(run.check('fault-delay', 'about half of the requests take 5 s or more'));
      expect(delayed.slow).toBeGreaterThan(5);
      expect(delayed.slow).toBeLessThan(25);
      expect(delayed.maxMs).toBeGreaterThanOrEqual(5000);

      const one = data<FortioResult>(run.check('circuit-breaker', 'one connection stays within the pool (100 x 200)'));
      expect(one.codes).toEqual({ 200: 100 });
      const three = data<FortioResult>(run.check('circuit-breaker', THREE));
      expect(three.calls).toBe(100);
      expect(three.codes['503']).toBeGreaterThan(0);
      expect(three.codes['200']).toBeGreaterThan(0);
      // The counter holds the overflows of the lab's own -c 3 run and of the checkpoint's.
      const overflow = data<{ value: number }>(run.check('circuit-breaker', OVERFLOW)).value;
      expect(overflow).toBeGreaterThan(three.codes['503']!);
      expect(run.step('circuit-breaker').commands.at(-1)?.stdout).toMatch(/^Code 503 : \d+ \([\d.]+ %\)$/m);
      expect(run.step('circuit-breaker').commands.at(-1)?.stdout).toMatch(/httpbin\.demo\.svc\.cluster\.local\.upstream_rq_pending_overflow: [1-9]/);
      // fortio is the sample with its image pinned by the lab's sed, applied from stdin.
      expect(run.h.calls('kubectl').map((c) => c.argv.join(' '))).toContain('apply -n demo -f -');
      expect(run.check('circuit-breaker', 'fortio runs the pinned image, not latest_release').status).toBe('pass');
    }),
    TIMEOUT,
  );

  it.concurrent('fails the -c 3 load and the overflow counter checkpoints when the connection pool is not enforced', () =>
    withIstioLab('istio-resilience', { misbehave: { ignoreConnectionPool: true }, until: 'circuit-breaker', checkTimeout: MISBEHAVIOUR_CHECK_TIMEOUT }, async (run) => {
      expect(run.exitCode).toBe(1);
      const statuses = run.report.steps.map((s) => [s.id, s.status]);
      expect(statuses.at(-1)).toEqual(['circuit-breaker', 'failed']);
      expect(statuses.slice(0, -1).every(([, s]) => s === 'passed')).toBe(true);
      const failed = run.step('circuit-breaker').checks.filter((c) => c.status !== 'pass');
      expect(failed.map((c) => c.title)).toEqual([THREE, OVERFLOW]);
      const [load, stat] = failed as [(typeof failed)[0], (typeof failed)[0]];
      expect(load).toMatchObject({ kind: 'load', expected: 'code 200 count > 0; code 503 count > 0', found: expect.stringMatching(/^100 calls: 200×100;/) });
      expect(load.details).toContain('code 503: 0 calls, expected > 0');
      expect(stat).toMatchObject({ kind: 'envoyStat', expected: 'value > 0', found: 'cluster.outbound|8000||httpbin.demo.svc.cluster.local.upstream_rq_pending_overflow = 0' });
      // The single-connection run is as good as ever.
      expect(run.check('circuit-breaker', 'one connection stays within the pool (100 x 200)').status).toBe('pass');
    }),
    TIMEOUT,
  );

  it.concurrent('fails the helloworld rollouts naming the image pull when the sample is applied as Istio 1.31 ships it (registry.istio.io)', () =>
    withIstioLab(
      'istio-resilience',
      {
        until: 'setup',
        checkTimeout: '1s',
        variant: {
          'labs/istio-resilience/lab.md': [
            [`${SAMPLE_REWRITE} "$ISTIO_HOME/samples/helloworld/helloworld.yaml" \\\n  | kubectl apply -n demo -f -`, 'kubectl apply -n demo -f "$ISTIO_HOME/samples/helloworld/helloworld.yaml"'],
            // Straight on to the checkpoints, as a learner running `kindlab check`: the wait would only time out after 300 s.
            ['kubectl -n demo wait --for=condition=Available deployment --all --timeout=300s\n', ''],
          ],
        },
      },
      async (run) => {
        expect(run.exitCode).toBe(1);
        expect(run.step('setup').status).toBe('failed');
        const failed = run.step('setup').checks.filter((c) => c.status !== 'pass');
        expect(failed.map((c) => c.title)).toEqual(['deployment demo/helloworld-v1 rolled out', 'deployment demo/helloworld-v2 rolled out', 'the client reaches helloworld']);
        for (const v of ['v1', 'v2']) {
          expect(run.check('setup', `deployment demo/helloworld-${v} rolled out`).details).toContainEqual(
            expect.stringMatching(new RegExp(`^0 of 1 pods Running and Ready \\(helloworld-${v}-\\S+ ImagePullBackOff \\(registry\\.istio\\.io/release/examples-helloworld-${v}:1\\.0\\)\\)$`)),
          );
        }
        // The client, from a registry that still exists, is fine.
        expect(run.check('setup', 'deployment demo/curl rolled out').status).toBe('pass');
        expect(run.step('setup').reason).toMatch(/^checkpoint "deployment demo\/helloworld-v1 rolled out" failed/);
      },
    ),
    TIMEOUT,
  );
});
