/**
 * cert-rotation on the simulated cluster: `kindlab run cert-rotation` unattended, with a kubeadm
 * PKI of real certificates in the node containers, `kubeadm certs check-expiration/renew` working on
 * those files, and a kubelet that restarts the static pods when their manifests leave and come back
 * (only then does kube-apiserver present the renewed certificate). `kind export kubeconfig` copies
 * the renewed admin certificate from admin.conf.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { CertificateData } from '../../src/checks/kinds/certificate.js';
import { check, expectAllPassed, labVariant, runLab, step, withLabSim, LAB_TIMEOUT_MS } from './kubernetes-lab-run.js';

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
      // The kubelet stopped the four static pods when their manifests left, and started them again.
      const components = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];
      expect(sim.world.kubelets.events).toEqual([...components.map((c) => `${CP}: stopped ${c}`), ...components.map((c) => `${CP}: started ${c}`)]);
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

  it('fails the served-certificate checkpoint when the static pods are not restarted after the renewal', { timeout: LAB_TIMEOUT_MS }, () =>
    withLabSim({}, async (sim) => {
      // The most common mistake: renew, but never move the manifests out and back.
      const restart = [
        '# 3. restart the static pods: move their manifests away ...',
        `docker exec "$CP" sh -c 'mkdir -p /root/manifests-paused && mv /etc/kubernetes/manifests/*.yaml /root/manifests-paused/'`,
        'for _ in $(seq 1 45); do',
        '  [ -z "$(docker exec "$CP" crictl ps --name kube-apiserver -q)" ] && break',
        '  sleep 2',
        'done',
        '# ... and back, then wait for the API server to answer again',
        `docker exec "$CP" sh -c 'mv /root/manifests-paused/*.yaml /etc/kubernetes/manifests/ && rmdir /root/manifests-paused'`,
        '',
      ].join('\n');
      const labs = await labVariant(sim, 'cert-rotation', { 'labs/cert-rotation/lab.md': [[restart, '']] });
      const run = await runLab(sim, 'cert-rotation', ['--until', 'renew', '--check-timeout', '5s', '--keep'], labs);
      expect(run.exitCode).toBe(1);
      expect(run.report.steps.map((s) => [s.id, s.status])).toEqual([
        ['inspect', 'passed'],
        ['renew', 'failed'],
      ]);
      const renew = step(run.report, 'renew');
      expect(renew.before.map((c) => [c.kind, c.status])).toEqual([
        ['certificate', 'pass'],
        ['certificate', 'pass'],
      ]);
      expect(renew.commands.every((c) => c.exitCode === 0)).toBe(true);
      expect(renew.checks.map((c) => [c.kind, c.status])).toEqual([
        ['certificate', 'pass'], // the file on disk was renewed
        ['certificate', 'fail'], // but the running API server still presents the old one
        ['resource', 'pass'],
        ['rollout', 'pass'],
        ['nodes', 'pass'],
      ]);
      const served = check(run.report, 'renew', 'certificate', /now serves the renewed/);
      const before = renew.before.find((c) => /serves before/.test(c.title))?.data as CertificateData;
      expect(served.expected).toMatch(/NotAfter later than .* \(at the start of the step\)/);
      expect(served.found).toContain(`NotAfter ${before.notAfter}`);
      expect(served.details?.join(' ')).toMatch(/is not later than/);
      expect(sim.world.kubelets.events).toEqual([]);
    }),
  );
});
