/**
 * canary-l4 on the simulated cluster: `kindlab run canary-l4` unattended, with cloud-provider-kind's
 * load balancer answering each request from a random ready endpoint of the Service (nginx pods
 * serving their ConfigMap page), so the split the checkpoints measure follows the replica counts.
 */
import { describe, expect, it } from 'vitest';
import { check, expectAllPassed, LAB_TIMEOUT_MS, labVariant, runLab, share, step, trafficCounts, withLabSim } from './kubernetes-lab-run.js';

describe.concurrent('canary-l4 (simulated cluster)', () => {
  it('passes unattended, and the measured split follows the replica ratio at every step', { timeout: LAB_TIMEOUT_MS }, () =>
    withLabSim({}, async (sim) => {
      const run = await runLab(sim, 'canary-l4');
      expectAllPassed(run, ['old', 'canary', 'scale', 'finish']);

      // What the traffic checkpoints observed.
      expect(trafficCounts(check(run.report, 'old', 'traffic').found)).toEqual({ old: 23 });
      const even = trafficCounts(check(run.report, 'canary', 'traffic').found);
      expect(even.old! + even.new!).toBeGreaterThan(300);
      expect(share(even, 'new')).toBeGreaterThan(0.4);
      expect(share(even, 'new')).toBeLessThan(0.6);
      const scaled = trafficCounts(check(run.report, 'scale', 'traffic').found);
      expect(share(scaled, 'new')).toBeGreaterThan(0.72);
      expect(share(scaled, 'new')).toBeLessThan(0.88);
      expect(trafficCounts(check(run.report, 'finish', 'traffic').found)).toEqual({ new: 50 });

      // The lab's own counting loops saw both versions once both were deployed, and only new at the end.
      const tally = (id: string) => step(run.report, id).commands.map((c) => c.stdout).join('');
      expect(tally('canary')).toMatch(/^\s+\d+ new$/m);
      expect(tally('canary')).toMatch(/^\s+\d+ old$/m);
      expect(tally('finish')).toMatch(/^\s+20 new$/m);
      expect(tally('finish')).not.toMatch(/ old$/m);
      // Every request went through the control-plane node container, as the lab says.
      const curls = sim.h.calls('docker').filter((c) => c.argv[0] === 'exec' && c.argv.includes('curl'));
      expect(curls.length).toBeGreaterThanOrEqual(10 + 40 + 50 + 20);
      expect(new Set(curls.map((c) => c.argv[1]))).toEqual(new Set(['kindlab-canary-l4-control-plane']));
      expect(sim.world.chain.unhandled).toEqual([]);
    }),
  );

  it('fails the 1:1 split checkpoint when the Service selects only the old pods', { timeout: LAB_TIMEOUT_MS }, () =>
    withLabSim({}, async (sim) => {
      // The learner's Service also selects run=old-nginx: it still matches step 1's checkpoint
      // (selector app=nginx among others), but the new pods never become its endpoints.
      const labs = await labVariant(sim, 'canary-l4', {
        'manifests/canary-l4/service.yaml': [['  selector:\n    app: nginx\n', '  selector:\n    app: nginx\n    run: old-nginx\n']],
      });
      const run = await runLab(sim, 'canary-l4', ['--until', 'canary', '--check-timeout', '5s', '--keep'], labs);
      expect(run.exitCode).toBe(1);
      expect(run.report.steps.map((s) => [s.id, s.status])).toEqual([
        ['old', 'passed'],
        ['canary', 'failed'],
      ]);
      expect(step(run.report, 'canary').checks.map((c) => [c.kind, c.status])).toEqual([
        ['rollout', 'pass'],
        ['rollout', 'pass'],
        ['traffic', 'fail'],
      ]);
      const traffic = check(run.report, 'canary', 'traffic', /1:1 replica ratio/);
      expect(traffic.expected).toMatch(/old 50% \/ new 50%/);
      expect(traffic.found).toMatch(/^old 100%/);
      expect(trafficCounts(traffic.found).new ?? 0).toBe(0);
    }),
  );
});
