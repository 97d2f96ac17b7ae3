/**
 * cluster-bootstrap on the simulated cluster: `kindlab run cluster-bootstrap` unattended, with
 * kubeadm in the control-plane container (bootstrap tokens as Secrets, the join command with the CA
 * hash), the controller manager's bootstrap signer, the scheduler's pod anti-affinity, and pings
 * between pods on different nodes over kindnet's routes.
 */
import { X509Certificate, createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/seams.js';
import { check, expectAllPassed, runLab, step, withLabSim, LAB_TIMEOUT_MS } from './kubernetes-lab-run.js';

const CLUSTER = 'kindlab-cluster-bootstrap';

describe.concurrent('cluster-bootstrap (simulated cluster)', () => {
  it('passes unattended: a new join token signed into cluster-info, test pods on two workers, pings across nodes', { timeout: LAB_TIMEOUT_MS }, () =>
    withLabSim({}, async (sim) => {
      const run = await runLab(sim, 'cluster-bootstrap');
      expectAllPassed(run, ['join', 'test-pods', 'ping']);

      // kind's kubeadm.conf has sorted keys; the lab prints the whole JoinConfiguration document,
      // discovery settings included (they come before the `kind:` line).
      const join = step(run.report, 'join').commands.map((c) => c.stdout).join('');
      const joinDoc = [
        'apiVersion: kubeadm.k8s.io/v1beta4',
        'discovery:',
        '  bootstrapToken:',
        '    apiServerEndpoint: kindlab-cluster-bootstrap-control-plane:6443',
        '    token: abcdef.0123456789abcdef',
        '    unsafeSkipCAVerification: true',
        'kind: JoinConfiguration',
        'nodeRegistration:',
      ].join('\n');
      expect(join).toContain(joinDoc);
      expect(join).not.toMatch(/kind: (ClusterConfiguration|InitConfiguration|KubeletConfiguration)/);

      // The join command kubeadm printed pins the cluster CA: the SHA-256 of its public key.
      const printed = /kubeadm join (\S+) --token lab001\.kindlabjointoken --discovery-token-ca-cert-hash sha256:([0-9a-f]{64})/.exec(join);
      expect(printed?.[1]).toBe(`${CLUSTER}-control-plane:6443`);
      const ca = new X509Certificate(sim.world.pki.casOf(CLUSTER).cas.ca.certPem);
      expect(printed?.[2]).toBe(createHash('sha256').update(ca.publicKey.export({ type: 'spki', format: 'der' })).digest('hex'));
      // `kubeadm token list` shows kind's own token and the new one.
      expect(join).toMatch(/^abcdef\.0123456789abcdef\s+24h/m);
      expect(join).toMatch(/^lab001\.kindlabjointoken\s+1h\s+\S+\s+authentication,signing\s+kindlab cluster-bootstrap/m);

      // The signature the checkpoint found verifies with the token, as a joining node checks it.
      const info = check(run.report, 'join', 'resource', /signature for token lab001/).data as KubeObject;
      const data = info.data as Record<string, string>;
      const [header, signature] = data['jws-kubeconfig-lab001']!.split('..') as [string, string];
      const payload = Buffer.from(data.kubeconfig!).toString('base64url');
      expect(createHmac('sha256', 'lab001.kindlabjointoken').update(`${header}.${payload}`).digest('base64url')).toBe(signature);

      // Anti-affinity put the pods on the two workers; the pings crossed nodes and came back.
      expect(check(run.report, 'test-pods', 'command').found).toMatch(/stdout: 2$/);
      for (const c of step(run.report, 'ping').checks) expect((c.data as { stdout: string }).stdout).toMatch(/3 packets transmitted, 3 packets received, 0% packet loss/);
      const routes = step(run.report, 'ping').commands.map((c) => c.stdout).join('');
      expect(routes.match(/^10\.244\.\d+\.0\/24 via 172\.18\.\d+\.\d+ dev eth0/gm)).toHaveLength(2);
      const ping = sim.h.calls('docker').find((c) => c.argv[0] === 'run' && c.argv.includes('ping'));
      expect(ping?.argv).toEqual(expect.arrayContaining(['--rm', '--network', `container:${CLUSTER}-control-plane`, 'alpine:3.22.1']));
      expect(sim.world.chain.unhandled).toEqual([]);
    }),
  );

  it('fails the ping checkpoints when pods on different nodes cannot reach each other', { timeout: LAB_TIMEOUT_MS }, () =>
    withLabSim({ podRoutes: false }, async (sim) => {
      // kindnet's routes to the other nodes' pod CIDRs are missing: packets to a pod on another node are lost.
      const run = await runLab(sim, 'cluster-bootstrap', ['--check-timeout', '5s', '--keep']);
      expect(run.exitCode).toBe(1);
      expect(run.report.steps.map((s) => [s.id, s.status])).toEqual([
        ['join', 'passed'],
        ['test-pods', 'passed'],
        ['ping', 'failed'],
      ]);
      const ping = step(run.report, 'ping');
      // The step's own commands ran to the end (the route table shows no route to the other nodes) ...
      expect(ping.commands.every((c) => c.exitCode === 0)).toBe(true);
      expect(ping.commands.map((c) => c.stdout).join('')).toContain('no reply from net-test-2');
      expect(ping.commands.map((c) => c.stdout).join('')).not.toMatch(/^10\.244\.\d+\.0\/24 via/m);
      // ... and the checkpoints say what went wrong.
      expect(ping.checks.map((c) => [c.kind, c.status])).toEqual([
        ['command', 'fail'],
        ['command', 'fail'],
      ]);
      const podToPod = check(run.report, 'ping', 'command', /pod on one worker pings the pod on the other/);
      expect(podToPod.expected).toMatch(/stdout matching \/3 packets received\//);
      expect(podToPod.found).toMatch(/^exit 1; stdout: PING 10\.244\./);
      expect((podToPod.data as { stdout: string }).stdout).toMatch(/3 packets transmitted, 0 packets received, 100% packet loss/);
    }),
  );

  it('fails the cluster-info checkpoint when the controller manager does not sign it', { timeout: LAB_TIMEOUT_MS }, () =>
    withLabSim({ bootstrapSigner: false }, async (sim) => {
      // A controller manager started with --controllers=-bootstrapsigner: the token exists, unsigned.
      const run = await runLab(sim, 'cluster-bootstrap', ['--until', 'join', '--check-timeout', '5s', '--keep']);
      expect(run.exitCode).toBe(1);
      const join = step(run.report, 'join');
      expect(join.status).toBe('failed');
      expect(join.checks.map((c) => [c.kind, c.status])).toEqual([
        ['nodes', 'pass'],
        ['resource', 'pass'],
        ['resource', 'fail'],
      ]);
      const unsigned = check(run.report, 'join', 'resource', /signature for token lab001/);
      expect(unsigned.expected).toContain('jws-kubeconfig-lab001');
      expect(`${unsigned.found} ${(unsigned.details ?? []).join(' ')}`).toMatch(/jws-kubeconfig-lab001/);
      // The lab's own look at cluster-info said so too.
      expect(join.commands.map((c) => c.stdout).join('')).toContain('cluster-info is not signed yet');
    }),
  );
});
