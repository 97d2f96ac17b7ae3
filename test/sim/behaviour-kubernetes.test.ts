/**
 * The pieces the simulated runs of the Kubernetes labs (test/labs-sim) stand on, one by one: the
 * fakes' additions (kubectl label keys with a prefix, -L, --no-headers, auth whoami; docker run in a
 * node's network; helm values from stdin; kind export kubeconfig with the node's admin certificate),
 * the sim's scheduling additions (anti-affinity, DaemonSets following node labels, health check
 * node ports), and the behaviour models (kubeadm PKI and static pods, load balancer, ping).
 */
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { simulateKubernetesLabs, type KubernetesLabsWorld } from './behaviour/kubernetes-labs.js';
import { issueCertificate } from './behaviour/x509.js';
import { createSimHarness, type SimHarness } from './harness.js';

let h: SimHarness | undefined;
let world: KubernetesLabsWorld | undefined;
afterEach(async () => {
  world?.stop();
  await h?.cleanup();
  h = world = undefined;
});

const CONFIG = `kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
  - role: worker
  - role: worker
`;

async function cluster(name = 'b'): Promise<SimHarness> {
  h = await createSimHarness();
  world = simulateKubernetesLabs(h);
  const r = await h.sh(`kind create cluster --name ${name} --config - <<'EOF'\n${CONFIG}EOF`);
  expect(r.code, r.stderr).toBe(0);
  return h;
}

describe('x509 (behaviour/x509.ts)', () => {
  it('issues certificates that node:crypto parses and verifies against their CA', () => {
    const notBefore = new Date('2026-01-01T00:00:00Z');
    const ca = issueCertificate({ subject: { CN: 'kubernetes' }, ca: true, notBefore, notAfter: new Date('2036-01-01T00:00:00Z') });
    const leaf = issueCertificate({ subject: { CN: 'kube-apiserver', O: ['g'] }, dnsNames: ['kubernetes'], ips: ['10.96.0.1'], issuer: ca, notBefore, notAfter: new Date('2027-01-01T00:00:00Z') });
    const cert = new X509Certificate(leaf.certPem);
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(cert.issuer).toBe('CN=kubernetes');
    expect(cert.subject).toBe('O=g\nCN=kube-apiserver');
    expect(cert.subjectAltName).toBe('DNS:kubernetes, IP Address:10.96.0.1');
    expect(new Date(cert.validTo).toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });
});

describe('fakes and sim for the Kubernetes labs', () => {
  it('kubectl: prefixed label keys, -L columns, --no-headers, auth whoami; DaemonSets follow node labels', async () => {
    await cluster();
    const r = await h!.sh(`set -e
kubectl label node b-worker node-role.kubernetes.io/ingress=true --overwrite
kubectl get nodes -L node-role.kubernetes.io/ingress --no-headers
kubectl get nodes -o custom-columns=NAME:.metadata.name --no-headers
kubectl auth whoami
`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('node/b-worker labeled');
    expect(r.stdout).toMatch(/^b-worker\s+Ready\s+ingress\s+\S+\s+\S+\s+true$/m);
    expect(r.stdout).not.toMatch(/^NAME/m);
    expect(r.stdout).toMatch(/^Username\s+kubernetes-admin$/m);

    const sim = h!.sim.cluster('b');
    sim.create({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'ds', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'ds' } }, template: { metadata: { labels: { app: 'ds' } }, spec: { nodeSelector: { 'node-role.kubernetes.io/ingress': 'true' }, containers: [{ name: 'c', image: 'x:1' }] } } },
    });
    const nodesOf = () => sim.list('v1', 'Pod', 'default').map((p) => (p.spec as { nodeName: string }).nodeName).sort();
    await expect.poll(nodesOf, { timeout: 5000 }).toEqual(['b-worker']);
    await h!.sh('kubectl label node b-worker2 node-role.kubernetes.io/ingress=true');
    await expect.poll(nodesOf, { timeout: 5000 }).toEqual(['b-worker', 'b-worker2']);
    await h!.sh('kubectl label node b-worker node-role.kubernetes.io/ingress-');
    await expect.poll(nodesOf, { timeout: 5000 }).toEqual(['b-worker2']);
  });

  it('schedules pods with required anti-affinity apart, and gives Local LoadBalancer Services a health check port', async () => {
    await cluster();
    const sim = h!.sim.cluster('b');
    for (const name of ['a', 'b']) {
      sim.create({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'default', labels: { app: 't' } },
        spec: {
          affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 't' } }, topologyKey: 'kubernetes.io/hostname' }] } },
          containers: [{ name: 'c', image: 'alpine:3.22.1' }],
        },
      });
    }
    await expect.poll(() => sim.list('v1', 'Pod', 'default').map((p) => (p.spec as { nodeName?: string }).nodeName).filter(Boolean).sort(), { timeout: 5000 }).toEqual(['b-worker', 'b-worker2']);
    const svc = sim.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'default' }, spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local', selector: { app: 't' }, ports: [{ port: 80 }] } });
    expect((svc.spec as { healthCheckNodePort?: number }).healthCheckNodePort).toBeGreaterThanOrEqual(30000);
  });

  it('helm renders ingress-nginx from --values on stdin; docker run in a node network pings pods', async () => {
    await cluster();
    await h!.sh('kubectl label node b-worker node-role.kubernetes.io/ingress=true');
    const r = await h!.sh(`helm upgrade --install ingress-nginx ingress-nginx --namespace ingress-nginx --create-namespace --wait --timeout 1m --values - <<'EOF'
controller:
  kind: DaemonSet
  nodeSelector:
    node-role.kubernetes.io/ingress: "true"
  service:
    type: LoadBalancer
    externalTrafficPolicy: Local
EOF`);
    expect(r.code, r.stderr).toBe(0);
    const sim = h!.sim.cluster('b');
    const ds = sim.get('apps/v1', 'DaemonSet', 'ingress-nginx-controller', 'ingress-nginx');
    expect((ds?.spec as { template: { spec: { nodeSelector: Record<string, string> } } }).template.spec.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux', 'node-role.kubernetes.io/ingress': 'true' });
    expect(sim.get('v1', 'Service', 'ingress-nginx-controller', 'ingress-nginx')?.spec).toMatchObject({ externalTrafficPolicy: 'Local', healthCheckNodePort: expect.any(Number) });
    const pod = sim.list('v1', 'Pod', 'ingress-nginx')[0];
    const ip = (pod?.status as { podIP: string }).podIP;
    const ping = await h!.sh(`docker run --rm --network container:b-control-plane alpine:3.22.1 ping -c 2 ${ip}; echo "exit $?"; docker exec b-control-plane ping -c 1 ${ip}; echo "exit $?"`);
    expect(ping.stdout).toContain('2 packets transmitted, 2 packets received, 0% packet loss\n');
    expect(ping.stdout).toContain('exit 0');
    // The node image has no ping of its own.
    expect(ping.stderr).toContain('exec: "ping": executable file not found in $PATH');
    expect(ping.stdout).toContain('exit 127');
    expect(h!.state().containers.filter((c) => c.image.startsWith('alpine'))).toEqual([]);
  });

  it('kubeadm renews certificates on disk; the API server reloads its serving pair by itself; static pods restart only when their manifests leave and return; kind exports the new admin certificate', async () => {
    await cluster();
    const served = async () => {
      const r = await h!.sh(`docker exec b-control-plane sh -c "$(printf '%s\\n' 'if command -v openssl >/dev/null 2>&1; then' "  openssl s_client -connect '127.0.0.1:6443' -showcerts </dev/null 2>/dev/null" 'fi')"`);
      return new X509Certificate(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(r.stdout)![0]).validTo;
    };
    const onDisk = async () => new X509Certificate((await h!.sh('docker exec b-control-plane cat /etc/kubernetes/pki/apiserver.crt')).stdout).validTo;
    const containers = async () => (await h!.sh(`docker exec b-control-plane crictl ps --name '^(etcd|kube-apiserver|kube-controller-manager|kube-scheduler)$' -q`)).stdout.trim().split('\n').filter(Boolean);
    const before = await served();
    const running = await containers();
    expect(running).toHaveLength(4);
    expect(await onDisk()).toBe(before);
    await h!.sh(`docker exec b-control-plane cp /etc/kubernetes/pki/apiserver.crt /root/old.crt`);
    expect((await h!.sh('docker exec b-control-plane kubeadm certs renew all')).stdout).toContain('Done renewing certificates');
    const renewed = await onDisk();
    expect(Date.parse(renewed)).toBeGreaterThan(Date.parse(before));
    // Dynamic serving certificates: the running kube-apiserver serves the renewed pair at once ...
    expect(await served()).toBe(renewed);
    // ... while nothing restarted.
    expect(await containers()).toEqual(running);
    expect(world!.kubelets.events).toEqual([]);
    // A certificate whose key is not apiserver.key is refused; the last good pair stays.
    const pki = '/etc/kubernetes/pki';
    await h!.sh(`docker exec b-control-plane sh -c 'cp ${pki}/apiserver.crt /root/new.crt && cp ${pki}/apiserver.key /root/k && cp /root/old.crt ${pki}/apiserver.crt && cp ${pki}/front-proxy-client.key ${pki}/apiserver.key'`);
    expect(await served()).toBe(renewed);
    // With its own key the old certificate is a good pair again, and served.
    await h!.sh(`docker exec b-control-plane cp /root/k ${pki}/apiserver.key`);
    expect(await served()).toBe(before);
    await h!.sh(`docker exec b-control-plane cp /root/new.crt ${pki}/apiserver.crt`);
    expect(await served()).toBe(renewed);

    await h!.sh(`docker exec b-control-plane sh -c 'mkdir -p /root/p && mv /etc/kubernetes/manifests/*.yaml /root/p/'`);
    expect(await containers()).toEqual([]);
    expect(h!.sim.cluster('b').get('v1', 'Pod', 'kube-apiserver-b-control-plane', 'kube-system')).toBeUndefined();
    await h!.sh(`docker exec b-control-plane sh -c 'mv /root/p/*.yaml /etc/kubernetes/manifests/'`);
    const restarted = await containers();
    expect(restarted).toHaveLength(4);
    expect(restarted.filter((id) => running.includes(id))).toEqual([]);
    expect(await served()).toBe(renewed);
    expect(h!.sim.cluster('b').get('v1', 'Pod', 'kube-apiserver-b-control-plane', 'kube-system')?.status).toMatchObject({ phase: 'Running' });

    const kubeconfig = `${h!.dir}/kc`;
    expect((await h!.sh(`kind export kubeconfig --name b --kubeconfig ${kubeconfig} && kubectl --kubeconfig ${kubeconfig} get nodes -o name`)).stdout).toContain('node/b-worker');
    const user = (JSON.parse(await readFile(kubeconfig, 'utf8')) as { users: Array<{ user: Record<string, string> }> }).users[0]!.user;
    expect(new X509Certificate(Buffer.from(user['client-certificate-data']!, 'base64')).validTo).toBe(renewed);
    expect(world!.chain.unhandled).toEqual([]);
  });

  it.skipIf(!['/usr/bin/openssl', '/bin/openssl'].some((p) => existsSync(p)))('the node has openssl, as kind node images do: the certificate hint works there', async () => {
    await cluster();
    const r = await h!.sh('docker exec b-control-plane openssl x509 -noout -dates -subject -ext subjectAltName -in /etc/kubernetes/pki/apiserver.crt');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^notBefore=.*\nnotAfter=.*\nsubject=CN ?= ?kube-apiserver\n[\s\S]*DNS:kubernetes\.default\.svc/);
  });
});
