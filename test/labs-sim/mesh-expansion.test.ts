/**
 * mesh-expansion, unattended on the simulated cluster: Bookinfo in kind, a "VM" container that
 * joins the mesh (WorkloadGroup, auto-registered WorkloadEntry), serves details and backs ratings
 * v2 with MariaDB. The VM and istiod's side of it are modelled in test/sim/behaviour/expansion;
 * Bookinfo and the mesh's data path are the shared Istio behaviour.
 */
import { describe, expect, it } from 'vitest';
import { runExpansionLab, summary } from './expansion-lab-run.js';

const TIMEOUT = 150_000;

describe.concurrent('mesh-expansion (simulated)', { timeout: TIMEOUT }, () => {
  it('passes every step when the VM behaves like a real one', async () => {
    const run = await runExpansionLab('mesh-expansion');
    try {
      expect(run.report.outcome, summary(run)).toBe('passed');
      expect(run.exitCode).toBe(0);
      expect(run.report.steps.map((s) => s.id)).toEqual(['bookinfo-without-details', 'east-west-gateway', 'start-vm', 'join-mesh', 'details-on-vm', 'mysql-on-vm', 'change-rating']);
      // Bookinfo from the sample piped through the image rewrite, filtered by -l: no details Deployment in the cluster.
      const applied = run.step('bookinfo-without-details').commands[0]?.stdout ?? '';
      expect(applied).toContain('deployment.apps/productpage-v1 created');
      expect(applied).toContain('service/details created');
      expect(applied).not.toContain('deployment.apps/details-v1');
      // The registration the checkpoint saw is istiod's: <group>-<VM address>, the VM's address.
      const vm = [...run.behaviour.vms.values()][0]!;
      expect(run.check('join-mesh', 'istiod registered the VM as a WorkloadEntry').data).toBeDefined();
      expect(run.check('join-mesh', "the WorkloadEntry's address is the VM's address on the kind network").found).toContain(vm.ip);
      expect(run.check('details-on-vm', "productpage's sidecar has the VM as the endpoint of details").found).toMatch(new RegExp(`${vm.ip.replace(/\./g, '\\.')}:9080 HEALTHY`));
      // details answered from the VM's process, the rating change went through its database.
      expect(vm.detailsLog.length).toBeGreaterThan(0);
      expect(vm.ratings.get(1)).toBe(1);
      // The VM container: on the kind network, owned by kindlab, with the capabilities the sidecar needs.
      const dockerRun = run.h.calls('docker').find((c) => c.argv[0] === 'run' && c.argv.includes(vm.name));
      expect(dockerRun?.argv).toEqual(expect.arrayContaining(['--network', 'kind', '--label', 'dev.kindlab.lab=mesh-expansion']));
      expect(run.check('start-vm', 'the VM may program iptables (NET_ADMIN)').found).toContain('NET_ADMIN NET_RAW');
    } finally {
      await run.dispose();
    }
  });

  it('fails the registration checkpoint when istiod never registers the VM', async () => {
    const run = await runExpansionLab('mesh-expansion', { misbehave: { vmNeverRegisters: true }, until: 'join-mesh', checkTimeout: '2s' });
    try {
      expect(run.exitCode).toBe(1);
      expect(run.report.steps.map((s) => [s.id, s.status])).toEqual([
        ['bookinfo-without-details', 'passed'],
        ['east-west-gateway', 'passed'],
        ['start-vm', 'passed'],
        ['join-mesh', 'failed'],
      ]);
      const reg = run.check('join-mesh', 'istiod registered the VM as a WorkloadEntry');
      expect(reg.kind).toBe('resource');
      expect(reg.status).toBe('fail');
      expect(reg.found).toMatch(/no (matching )?objects|0 objects|none/i);
      expect(run.step('join-mesh').reason).toContain('istiod registered the VM as a WorkloadEntry');
      // The WorkloadGroup itself was there: it is the registration that is missing.
      expect(run.check('join-mesh', 'WorkloadGroup vm/bookinfo-vm as expected').status).toBe('pass');
    } finally {
      await run.dispose();
    }
  });

  it('fails the changed-rating checkpoints when the database does not apply the update', async () => {
    const run = await runExpansionLab('mesh-expansion', { misbehave: { ignoreUpdates: true }, checkTimeout: '2s' });
    try {
      expect(run.exitCode).toBe(1);
      expect(run.report.steps.filter((s) => s.status !== 'passed').map((s) => s.id)).toEqual(['change-rating']);
      const db = run.check('change-rating', "the VM's database holds the new rating");
      expect(db.kind).toBe('command');
      expect(db.status).toBe('fail');
      expect(db.found).toMatch(/stdout: 5/);
      expect(run.step('change-rating').reason).toContain("the VM's database holds the new rating");
    } finally {
      await run.dispose();
    }
  });
});
