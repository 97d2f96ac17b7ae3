/**
 * ingress-ha on the simulated cluster: `kindlab run ingress-ha` unattended. ingress-nginx runs as a
 * DaemonSet on the labelled nodes (Helm values from stdin), cloud-provider-kind's load balancer
 * sends each connection only to nodes that pass the Service's health check
 * (externalTrafficPolicy: Local: a ready controller pod on the node). `docker stop` of a node
 * container makes the node NotReady and its pods unready only after the node-monitor grace period
 * (on the lab clock: the lab's sleeps count in full), and after `docker start` the node's pods
 * refuse connections until the kubelet has restarted them (node-containers.ts).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { check, expectAllPassed, labVariant, repo, runLab, step, withLabSim, LAB_TIMEOUT_MS } from './kubernetes-lab-run.js';

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

      // worker2 stopped: every request still succeeded through worker; the lab then waited until
      // Kubernetes marked the node NotReady and its controller pod not ready.
      const lose = step(run.report, 'lose-node');
      expect(lose.commands[0]?.stdout).toMatch(/^\s+40 200$/m);
      expect(lose.commands[1]?.stdout).toMatch(new RegExp(`^${W}2\\s+NotReady`, 'm'));
      expect(lose.commands[1]?.stdout.match(/^ingress-nginx-controller-\S+\s+\d\/1\s/gm)?.map((l) => l.trim().split(/\s+/)[1]).sort()).toEqual(['0/1', '1/1']);
      expect(check(run.report, 'lose-node', 'resource', /marked worker2 NotReady/).status).toBe('pass');
      expect(errorData(check(run.report, 'lose-node', 'errors'))).toMatchObject({ n: 200, errors: 0, statuses: { 200: 200 } });

      // Back: the kubelet restarted the controller pod on worker2 (RESTARTS 1; the one on worker
      // never stopped), and the tier answered without errors.
      const pods = step(run.report, 'recover').commands.at(-1)?.stdout ?? '';
      expect(pods.match(/^ingress-nginx-controller-\S+\s+\S+\s+\S+\s+\d+/gm)?.map((l) => l.trim().split(/\s+/).slice(1).join(' ')).sort()).toEqual(['1/1 Running 0', '1/1 Running 1']);
      expect(errorData(check(run.report, 'recover', 'errors'))).toMatchObject({ n: 100, errors: 0 });

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
        ['resource', 'pass'],
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

  it('fails the recovery checkpoint when worker2 comes back before Kubernetes noticed it was gone', { timeout: LAB_TIMEOUT_MS }, () =>
    withLabSim({}, async (sim) => {
      // A learner who watches the outage for two seconds and does not wait for NotReady: worker2 is
      // started well inside the grace period, so the API never stopped calling it and its controller
      // pod ready. Every wait of the next step passes on that stale view while the pod restarts, and
      // the load balancer sends traffic to it.
      const lab = 'labs/ingress-ha/lab.md';
      const text = await readFile(`${repo}/${lab}`, 'utf8');
      const waitBlock = text.slice(text.indexOf('```sh\nfor _ in $(seq 1 60); do\n  ready=$(kubectl get node'), text.indexOf('The controller pod on `worker2` now shows'));
      const marked = text.slice(text.indexOf('# node-monitor-grace-period default 50 s'), text.indexOf('- errors:', text.indexOf('# node-monitor-grace-period default 50 s')));
      const labs = await labVariant(sim, 'ingress-ha', {
        [lab]: [
          [waitBlock, ''],
          [marked, ''],
          ['for _ in $(seq 1 40); do', 'for _ in $(seq 1 4); do'],
        ],
      });
      const run = await runLab(sim, 'ingress-ha', ['--until', 'recover', '--check-timeout', '5s', '--keep'], labs);
      expect(run.exitCode).toBe(1);
      expect(run.report.steps.map((s) => [s.id, s.status])).toEqual([
        ['label', 'passed'],
        ['controller', 'passed'],
        ['app', 'passed'],
        ['lose-node', 'passed'],
        ['recover', 'failed'],
      ]);
      // kubectl wait and rollout status all passed at once: the node and its pod still looked Ready.
      const recover = step(run.report, 'recover');
      expect(recover.commands.every((c) => c.exitCode === 0)).toBe(true);
      expect(recover.checks.map((c) => [c.kind, c.status])).toEqual([
        ['nodes', 'pass'],
        ['rollout', 'pass'],
        ['errors', 'fail'],
      ]);
      const { n, errors } = errorData(check(run.report, 'recover', 'errors'));
      expect(errors / n).toBeGreaterThan(0.2);
    }),
  );
});
