/**
 * blue-green-ingress on the simulated cluster: `kindlab run blue-green-ingress` unattended, with
 * ingress-nginx routing by Host and path and honouring its canary annotations, and
 * cloud-provider-kind's Gateway API implementation programming the Gateway and splitting requests by
 * the HTTPRoute's backendRef weights (weight 0 included).
 */
import { describe, expect, it } from 'vitest';
import { check, expectAllPassed, runLab, share, step, trafficCounts, withLabSim, LAB_TIMEOUT_MS } from './kubernetes-lab-run.js';

const STEPS = ['old', 'gateway', 'weight-50', 'weight-100', 'cutover'];

describe.concurrent('blue-green-ingress (simulated cluster)', () => {
  it('passes unattended: host routing, 50/50 at both front doors, then everything to new', { timeout: LAB_TIMEOUT_MS }, () =>
    withLabSim({}, async (sim) => {
      const run = await runLab(sim, 'blue-green-ingress');
      expectAllPassed(run, STEPS);

      // Without the Host header no Ingress rule matches: ingress-nginx's default backend answers 404,
      // seen by the checkpoint and by the lab's own curl.
      expect(check(run.report, 'old', 'http').found).toMatch(/^HTTP 404/);
      expect(step(run.report, 'old').commands.map((c) => c.stdout).join('')).toContain('without the Host header: 404');

      const half = (name: RegExp) => {
        const counts = trafficCounts(check(run.report, 'weight-50', 'traffic', name).found);
        expect(counts.old! + counts.new!).toBeGreaterThan(300);
        return share(counts, 'new');
      };
      for (const name of [/ingress-nginx splits/, /Gateway splits/]) {
        expect(half(name)).toBeGreaterThan(0.4);
        expect(half(name)).toBeLessThan(0.6);
      }
      for (const id of ['weight-100', 'cutover']) {
        for (const t of step(run.report, id).checks.filter((c) => c.kind === 'traffic')) expect(trafficCounts(t.found)).toEqual({ new: 50 });
      }

      // The Gateway was programmed by cloud-provider-kind's controller, with an address on the kind network.
      const gateway = check(run.report, 'gateway', 'resource', /programmed/).captured;
      expect(gateway?.GATEWAY_IP).toMatch(/^172\.18\.\d+\.\d+$/);
      const ingress = check(run.report, 'old', 'resource', /has an address/).captured;
      expect(ingress?.INGRESS_IP).toMatch(/^172\.18\.255\.\d+$/);
      expect(ingress?.INGRESS_IP).not.toBe(gateway?.GATEWAY_IP);
      expect(sim.world.chain.unhandled).toEqual([]);
    }),
  );

  it('fails the ingress-nginx 50/50 checkpoint, and only that one, when the controller ignores the canary annotation', { timeout: LAB_TIMEOUT_MS }, () =>
    withLabSim({ ingressNginx: { honourCanary: false } }, async (sim) => {
      // A controller that does not know nginx.ingress.kubernetes.io/canary treats the canary Ingress
      // as a second Ingress for the same host and path: the older one, mini-echo (old), wins.
      const run = await runLab(sim, 'blue-green-ingress', ['--until', 'weight-50', '--check-timeout', '15s', '--keep']);
      expect(run.exitCode).toBe(1);
      expect(run.report.steps.map((s) => [s.id, s.status])).toEqual([
        ['old', 'passed'],
        ['gateway', 'passed'],
        ['weight-50', 'failed'],
      ]);
      const checks = step(run.report, 'weight-50').checks;
      expect(checks.map((c) => [c.kind, c.status])).toEqual([
        ['rollout', 'pass'],
        ['resource', 'pass'],
        ['traffic', 'fail'],
        ['resource', 'pass'],
        ['traffic', 'pass'],
      ]);
      const failed = check(run.report, 'weight-50', 'traffic', /ingress-nginx splits/);
      expect(failed.expected).toMatch(/old 50% \/ new 50%/);
      expect(failed.found).toMatch(/^old 100%/);
      // The Gateway API front door still splits: the misbehaviour is ingress-nginx's alone.
      expect(share(trafficCounts(check(run.report, 'weight-50', 'traffic', /Gateway splits/).found), 'new')).toBeGreaterThan(0.4);
    }),
  );
});
