/**
 * multicluster, unattended on the simulated cluster: two kind clusters with their own subnets and
 * routed pod networks, istiod in c1 with c2 as its remote (remote secret, remote-clusters),
 * Bookinfo in c1 with details in c2, then c2 as a second primary. Istio's multicluster side
 * (remote secrets, cross-cluster endpoints, proxy-status, the webhook CA) is modelled in
 * test/sim/behaviour/expansion; Bookinfo and the data path are the shared Istio behaviour.
 */
import { describe, expect, it } from 'vitest';
import { runExpansionLab, summary } from './expansion-lab-run.js';

const TIMEOUT = 150_000;

describe.concurrent('multicluster (simulated)', { timeout: TIMEOUT }, () => {
  it('passes every step when the clusters behave like real ones', async () => {
    const run = await runExpansionLab('multicluster');
    try {
      expect(run.report.outcome, summary(run)).toBe('passed');
      expect(run.exitCode).toBe(0);
      expect(run.report.steps.map((s) => s.id)).toEqual(['flat-network', 'primary', 'remote', 'bookinfo-c1', 'details-c2', 'multi-primary']);
      // productpage in c1 has the details pod in c2, by its c2 pod address, as its endpoint.
      expect(run.check('details-c2', "productpage's sidecar in c1 has the details pod in c2 as a healthy endpoint").found).toMatch(/10\.20\.\d+\.\d+:9080\s+HEALTHY/);
      expect(run.check('remote', 'istiod in c1 has synced with c2\'s API server').found).toMatch(/c2\s+istio-system\/istio-remote-secret-c2\s+synced/);
    } finally {
      await run.dispose();
    }
  });

  it('fails the synced checkpoint when the remote secret names 127.0.0.1', async () => {
    // As if the learner left out --server: the secret keeps kind's loopback address.
    const run = await runExpansionLab('multicluster', { misbehave: { ignoreServerFlag: true }, until: 'remote', checkTimeout: '2s' });
    try {
      expect(run.exitCode).toBe(1);
      expect(run.report.steps.map((s) => [s.id, s.status])).toEqual([
        ['flat-network', 'passed'],
        ['primary', 'passed'],
        ['remote', 'failed'],
      ]);
      const server = run.check('remote', "the remote secret names c2's API server by its kind network address, not 127.0.0.1");
      expect([server.kind, server.status]).toEqual(['command', 'fail']);
      expect(server.found).toContain('127.0.0.1');
      const synced = run.check('remote', "istiod in c1 has synced with c2's API server");
      expect([synced.kind, synced.status]).toEqual(['command', 'fail']);
      expect(synced.found).toMatch(/c2\s+istio-system\/istio-remote-secret-c2\s+timeout/);
      // Without access to c2, istiod cannot write its CA into c2's webhook either.
      expect(run.check('remote', "istiod in c1 has patched c2's injection webhook with its CA").status).toBe('fail');
      // The secret itself is there: it is the address in it that is wrong.
      expect(run.check('remote', 'the remote secret for c2 is in c1').status).toBe('pass');
    } finally {
      await run.dispose();
    }
  });

  it('fails the endpoint and page checkpoints when c1 gets no details endpoint from c2', async () => {
    const run = await runExpansionLab('multicluster', { misbehave: { remoteEndpointsIgnored: true }, until: 'details-c2', checkTimeout: '2s' });
    try {
      expect(run.exitCode).toBe(1);
      expect(run.report.steps.filter((s) => s.status !== 'passed').map((s) => s.id)).toEqual(['details-c2']);
      const ep = run.check('details-c2', "productpage's sidecar in c1 has the details pod in c2 as a healthy endpoint");
      expect([ep.kind, ep.status]).toEqual(['command', 'fail']);
      expect(ep.found).not.toMatch(/HEALTHY/);
      const page = run.check('details-c2', 'the page shows the book details');
      expect([page.kind, page.status]).toEqual(['http', 'fail']);
      // productpage still renders (200), with its error box instead of the details.
      expect(page.found).toMatch(/^HTTP 200/);
      const api = run.check('details-c2', 'the details API answers from c2');
      expect([api.kind, api.status]).toEqual(['http', 'fail']);
      expect(api.found).toMatch(/^HTTP 50\d/);
      // details itself runs in c2 with its sidecar: only the cross-cluster endpoint is missing.
      expect(run.check('details-c2', 'details in c2 got a sidecar from the webhook served by c1').status).toBe('pass');
    } finally {
      await run.dispose();
    }
  });
});
