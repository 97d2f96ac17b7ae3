/**
 * cert-rotation on the simulated cluster: `kindlab run cert-rotation` unattended, with a kubeadm
 * PKI of real certificates in the node containers, `kubeadm certs check-expiration/renew` working on
 * those files, and a kubelet that restarts the static pods only when their manifests leave and come
 * back. kube-apiserver reloads its serving pair from disk by itself, as the real one does, so the
 * served certificate alone cannot tell a restart from none: the lab compares the control-plane
 * containers with those running before the step. `kind export kubeconfig` copies the renewed admin
 * certificate from admin.conf.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { CertificateData } from '../../src/checks/kinds/certificate.js';
import { check, expectAllPassed, labVariant, repo, runLab, step, withLabSim, LAB_TIMEOUT_MS } from './kubernetes-lab-run.js';

const CP = 'kindlab-cert-rotation-control-plane';

describe.concurrent('cert-rotation (simulated cluster)', () => {
  it('passes unattended: renewed files, a restarted API server serving the new certificate, a refreshed kubeconfig', { timeout: LAB_TIMEOUT_MS }, () =>
    withLabSim({}, async (sim) => {
      // --keep: the lab's kubeconfig keeps its context, to look at the credentials it ends with.
      const run = await runLab(sim, 'cert-rotation', ['--keep']);
      expectAllPassed(run, ['inspect', 'renew', 'kubeconfig', 'kubelet']);

      // Before the renewal the API server served the certificate kubeadm init wrote, a few minutes old;
      // afterwards one issued during the step, one year from then.
      const renew = step(run.report, 'renew');
      const before = renew.before.find((c) => /serves before/.test(c.title))?.data as CertificateData;
      const after = check(run.report, 'renew', 'certificate', /now serves the renewed/).data as CertificateData;
      expect(Date.parse(after.notAfter)).toBeGreaterThan(Date.parse(before.notAfter) + 60_000);
      expect(after.fingerprint256).not.toBe(before.fingerprint256);
      expect(Date.parse(after.notAfter) - Date.parse(after.notBefore)).toBe(365 * 24 * 3600 * 1000);
      expect(after.sans).toEqual(before.sans);
      // The kubelet stopped the four static pods when their manifests left, and started them again;
      // the checkpoint saw four containers other than the four from before the step.
      const components = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];
      expect(sim.world.kubelets.events).toEqual([...components.map((c) => `${CP}: stopped ${c}`), ...components.map((c) => `${CP}: started ${c}`)]);
      const baseline = renew.before.find((c) => /containers running before/.test(c.title))?.data as { stdout: string };
      expect(baseline.stdout.trim().split(' ')).toHaveLength(4);
      const restarted = check(run.report, 'renew', 'command', /were restarted after the renewal/);
      expect(restarted.status).toBe('pass');
      for (const id of baseline.stdout.trim().split(' ')) expect((restarted.data as { stdout: string }).stdout).not.toContain(id);
      // The step waited for all four to come back before it looked.
      expect(renew.commands[0]?.stdout).toMatch(/(kube-scheduler|etcd|kube-apiserver|kube-controller-manager)[\s\S]*Running/);
      expect(sim.h.calls('docker').some((c) => c.argv[0] === 'exec' && c.argv[2] === 'crictl')).toBe(true);
      expect(renew.commands[0]?.stdout).toMatch(/Done renewing certificates/);

      // The lab's kubeconfig ($KUBECONFIG of its commands) now carries the renewed admin certificate.
      const exported = sim.h.calls('kind').find((c) => c.argv[0] === 'export');
      expect(exported?.argv).toEqual(['export', 'kubeconfig', '--name', 'kindlab-cert-rotation', '--kubeconfig', exported?.env.KUBECONFIG]);
      const kubeconfig = JSON.parse(await readFile(exported!.env.KUBECONFIG!, 'utf8')) as {
        users: Array<{ user: Record<string, string> }>;
      };
      const admin = new X509Certificate(Buffer.from(kubeconfig.users[0]!.user['client-certificate-data']!, 'base64'));
      expect(admin.subject).toBe('O=kubeadm:cluster-admins\nCN=kubernetes-admin');
      expect(Date.parse(admin.validTo)).toBeGreaterThan(Date.parse(before.notAfter));
      expect(step(run.report, 'kubeconfig').commands[0]?.stdout).toMatch(/Username\s+kubernetes-admin\nGroups\s+\[kubeadm:cluster-admins system:authenticated\]/);

      // The worker's kubelet client certificate, read through the -current symlink.
      const kubelet = check(run.report, 'kubelet', 'certificate').data as CertificateData;
      expect(kubelet.subject).toBe('O=system:nodes, CN=system:node:kindlab-cert-rotation-worker');
      expect(sim.world.chain.unhandled).toEqual([]);
    }),
  );

  it('fails the restart checkpoint when the static pods are not restarted, although the API server serves the new certificate', { timeout: LAB_TIMEOUT_MS }, () =>
    withLabSim({}, async (sim) => {
      // The most common mistake: renew, but never move the manifests out and back.
      const lab = await readFile(`${repo}/labs/cert-rotation/lab.md`, 'utf8');
      const from = lab.indexOf(`docker exec "$CP" sh -c 'mkdir -p /root/manifests-paused`, lab.indexOf('# 3. restart the static pods'));
      const to = lab.indexOf('kubectl get --raw /readyz >/dev/null', from);
      expect(from).toBeGreaterThan(0);
      const restart = lab.slice(from, lab.lastIndexOf('for _ in', to));
      const labs = await labVariant(sim, 'cert-rotation', { 'labs/cert-rotation/lab.md': [[restart, '']] });
      const run = await runLab(sim, 'cert-rotation', ['--until', 'renew', '--check-timeout', '5s', '--keep'], labs);
      expect(run.exitCode).toBe(1);
      expect(run.report.steps.map((s) => [s.id, s.status])).toEqual([
        ['inspect', 'passed'],
        ['renew', 'failed'],
      ]);
      const renew = step(run.report, 'renew');
      expect(renew.before.map((c) => [c.kind, c.status])).toEqual([
        ['command', 'pass'],
        ['certificate', 'pass'],
        ['certificate', 'pass'],
      ]);
      expect(renew.commands.every((c) => c.exitCode === 0)).toBe(true);
      expect(renew.checks.map((c) => [c.kind, c.status])).toEqual([
        ['certificate', 'pass'], // the file on disk was renewed
        ['certificate', 'pass'], // and kube-apiserver reloaded it by itself: no proof of a restart
        ['command', 'fail'], // the four containers are the ones from before the renewal
        ['resource', 'pass'],
        ['rollout', 'pass'],
        ['nodes', 'pass'],
      ]);
      const before = renew.before.find((c) => /serves before/.test(c.title))?.data as CertificateData;
      const served = check(run.report, 'renew', 'certificate', /now serves the renewed/).data as CertificateData;
      expect(served.fingerprint256).not.toBe(before.fingerprint256);
      const restarted = check(run.report, 'renew', 'command', /were restarted after the renewal/);
      expect((restarted.data as { stdout: string }).stdout).toBe(
        ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].map((c) => `${c}: still the container from before the renewal\n`).join(''),
      );
      expect(restarted.hint).toMatch(/proves nothing/);
      expect(sim.world.kubelets.events).toEqual([]);
    }),
  );
});
