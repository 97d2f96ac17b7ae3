/**
 * ingress-ha on the simulated cluster: `kindlab run ingress-ha` unattended. ingress-nginx runs as a
 * DaemonSet on the labelled nodes (Helm values from stdin), cloud-provider-kind's load balancer
 * sends each connection only to nodes that pass the Service's health check
 * (externalTrafficPolicy: Local: a ready controller pod on the node), `docker stop` of a node
 * container makes the node NotReady and its pods unready, and `docker start` brings them back.
 */
import { describe, expect, it } from 'vitest';
import { check, expectAllPassed, runLab, step, withLabSim, LAB_TIMEOUT_MS } from './kubernetes-lab-run.js';

const W = 'kindlab-ingress-ha-worker';
const STEPS = ['label', 'controller', 'app', 'lose-node', 'recover', 'scale-out'];
const errorData = (c: { data?: unknown }) => c.data as { n: number; errors: number; statuses: Record<string, number> };

describe.concurrent('ingress-ha (simulated cluster)', () => {
  it('passes unattended: controllers only on ingress nodes, no errors while one is down, a third by labelling', { timeout: LAB_TIMEOUT_MS }, () =>
    withLabSim({}, async (sim) => {
      const run = await runLab(sim, 'ingress-ha');
      expectAllPassed(run, STEPS);

      // The controller pods run on the two labelled nodes; the health check port answers accordingly.
      expect(check(run.report, 'controller', 'rollout').found).toMatch(new RegExp(`on ${W}, ${W}2$`));
      const health = step(run.report, 'controller').commands.map((c) => c.stdout).join('');
      expect(health).toMatch(/^worker: health check 200$/m);
      expect(health).toMatch(/^worker2: health check 200$/m);
      expect(health).toMatch(/^worker3: health check 503$/m);
      const install = sim.h.calls('helm').find((c) => c.argv[0] === 'upgrade');
      expect(install?.argv).toEqual(expect.arrayContaining(['--values', '-']));

      // worker2 stopped: Kubernetes marked it NotReady, and every request still succeeded through worker.
      const lose = step(run.report, 'lose-node');
      expect(lose.commands[0]?.stdout).toMatch(/^\s+40 200$/m);
      expect(lose.commands[0]?.stdout).toMatch(new RegExp(`^${W}2\\s+NotReady`, 'm'));
      expect(errorData(check(run.report, 'lose-node', 'errors'))).toMatchObject({ n: 200, errors: 0, statuses: { 200: 200 } });

      // Labelling worker3 gave it a controller pod, and the tier kept answering.
      expect(check(run.report, 'scale-out', 'rollout').found).toMatch(new RegExp(`on ${W}, ${W}2, ${W}3$`));
      expect(errorData(check(run.report, 'scale-out', 'errors'))).toMatchObject({ n: 100, errors: 0 });
      const docker = sim.h.calls('docker').map((c) => c.argv.join(' '));
      expect(docker).toContain(`stop ${W}2`);
      expect(docker).toContain(`start ${W}2`);
      expect(sim.world.chain.unhandled).toEqual([]);
    }),
  );

  it('fails the success-rate checkpoint when the load balancer keeps sending to the stopped node', { timeout: LAB_TIMEOUT_MS }, () =>
    withLabSim({ loadBalancer: { followNodeHealth: false } }, async (sim) => {
      // A load balancer whose health view went stale: worker2 still counts as passing after its
      // container stopped, so about half of the connections go to a machine that is gone.
      const run = await runLab(sim, 'ingress-ha', ['--until', 'lose-node', '--check-timeout', '5s', '--keep']);
      expect(run.exitCode).toBe(1);
      expect(run.report.steps.map((s) => [s.id, s.status])).toEqual([
        ['label', 'passed'],
        ['controller', 'passed'],
        ['app', 'passed'],
        ['lose-node', 'failed'],
      ]);
      // With both nodes up, nothing was wrong.
      expect(errorData(check(run.report, 'app', 'errors'))).toMatchObject({ n: 100, errors: 0 });
      const lose = step(run.report, 'lose-node');
      expect(lose.checks.map((c) => [c.kind, c.status])).toEqual([
        ['command', 'pass'],
        ['errors', 'fail'],
      ]);
      const failed = check(run.report, 'lose-node', 'errors', /at least 95 %/);
      expect(failed.expected).toMatch(/at most 5%/);
      const { n, errors, statuses } = errorData(failed);
      expect(errors / n).toBeGreaterThan(0.3);
      expect(errors / n).toBeLessThan(0.7);
      expect(statuses['no response']).toBe(errors);
      expect(failed.found).toMatch(/no response×\d+/);
      // The lab's own loop saw the failures too (curl printed 000).
      expect(lose.commands[0]?.stdout).toMatch(/^\s+\d+ 000$/m);
    }),
  );
});
