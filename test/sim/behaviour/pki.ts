/**
 * The kubeadm PKI of a kind cluster, as files in its node containers (node-fs.ts), with real
 * certificates (x509.ts):
 * - control plane: /etc/kubernetes/pki (ca, apiserver, apiserver-kubelet-client,
 *   apiserver-etcd-client, front-proxy-ca and -client, etcd/{ca,server,peer,healthcheck-client}, sa
 *   keys), the kubeconfig files admin.conf, super-admin.conf, controller-manager.conf,
 *   scheduler.conf with their embedded client certificates, and kubelet.conf;
 * - every node: /etc/kubernetes/pki/ca.crt, kubelet.conf pointing at
 *   /var/lib/kubelet/pki/kubelet-client-current.pem (a symlink, as the kubelet keeps it), the
 *   kubelet's self-signed serving certificate, /var/lib/kubelet/config.yaml (rotateCertificates).
 *
 * Leaves are valid one year and CAs ten years from when kubeadm init ran, which the model puts a
 * couple of minutes before the node is first looked at (the cluster is that old when a lab starts).
 * `renew` re-issues the leaves kubeadm manages with the same names and keys, valid one year from
 * now, signed by the same CA — what `kubeadm certs renew all` writes to disk.
 */
import { X509Certificate } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { issueCertificate, namesOf, type Issued } from './x509.js';
import type { NodeFs } from './node-fs.js';

const YEAR_MS = 365 * 24 * 3600 * 1000;
const CA_MS = 10 * YEAR_MS;
/** How long before the first look at a node kubeadm init is taken to have run. */
export const CLUSTER_AGE_MS = 2 * 60 * 1000;

export interface ManagedCert {
  /** kubeadm's name (check-expiration, renew). */
  name: string;
  ca: 'ca' | 'etcd-ca' | 'front-proxy-ca';
  /** The certificate file, or the kubeconfig file that embeds it. */
  file: string;
  kubeconfig?: boolean;
  /** What `kubeadm certs renew all` prints for it. */
  renewed: string;
}

export const MANAGED: ManagedCert[] = [
  { name: 'admin.conf', ca: 'ca', file: '/etc/kubernetes/admin.conf', kubeconfig: true, renewed: 'certificate embedded in the kubeconfig file for the admin to use and for kubeadm itself' },
  { name: 'apiserver', ca: 'ca', file: '/etc/kubernetes/pki/apiserver.crt', renewed: 'certificate for serving the Kubernetes API' },
  { name: 'apiserver-etcd-client', ca: 'etcd-ca', file: '/etc/kubernetes/pki/apiserver-etcd-client.crt', renewed: 'certificate the apiserver uses to access etcd' },
  { name: 'apiserver-kubelet-client', ca: 'ca', file: '/etc/kubernetes/pki/apiserver-kubelet-client.crt', renewed: 'certificate for the API server to connect to kubelet' },
  { name: 'controller-manager.conf', ca: 'ca', file: '/etc/kubernetes/controller-manager.conf', kubeconfig: true, renewed: 'certificate embedded in the kubeconfig file for the controller manager to use' },
  { name: 'etcd-healthcheck-client', ca: 'etcd-ca', file: '/etc/kubernetes/pki/etcd/healthcheck-client.crt', renewed: 'certificate for liveness probes to healthcheck etcd' },
  { name: 'etcd-peer', ca: 'etcd-ca', file: '/etc/kubernetes/pki/etcd/peer.crt', renewed: 'certificate for etcd nodes to communicate with each other' },
  { name: 'etcd-server', ca: 'etcd-ca', file: '/etc/kubernetes/pki/etcd/server.crt', renewed: 'certificate for serving etcd' },
  { name: 'front-proxy-client', ca: 'front-proxy-ca', file: '/etc/kubernetes/pki/front-proxy-client.crt', renewed: 'certificate for the front proxy client' },
  { name: 'scheduler.conf', ca: 'ca', file: '/etc/kubernetes/scheduler.conf', kubeconfig: true, renewed: 'certificate embedded in the kubeconfig file for the scheduler manager to use' },
  { name: 'super-admin.conf', ca: 'ca', file: '/etc/kubernetes/super-admin.conf', kubeconfig: true, renewed: 'certificate embedded in the kubeconfig file for the super-admin' },
];

export const CAS: Array<{ name: 'ca' | 'etcd-ca' | 'front-proxy-ca'; file: string }> = [
  { name: 'ca', file: '/etc/kubernetes/pki/ca.crt' },
  { name: 'etcd-ca', file: '/etc/kubernetes/pki/etcd/ca.crt' },
  { name: 'front-proxy-ca', file: '/etc/kubernetes/pki/front-proxy-ca.crt' },
];

interface ClusterCas {
  createdAt: number;
  cas: Record<'ca' | 'etcd-ca' | 'front-proxy-ca', Issued>;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const keyFileOf = (crt: string) => crt.replace(/\.crt$/, '.key');

export interface NodeFacts {
  cluster: string;
  node: string;
  role: 'control-plane' | 'worker';
  ip: string;
}

/** A kubeadm-style kubeconfig with an embedded client certificate. */
export function kubeconfigText(cluster: string, user: string, caPem: string, server: string, client: { certPem: string; keyPem: string } | { file: string }): string {
  const userLines =
    'file' in client
      ? [`    client-certificate: ${client.file}`, `    client-key: ${client.file}`]
      : [`    client-certificate-data: ${b64(client.certPem)}`, `    client-key-data: ${b64(client.keyPem)}`];
  return [
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    `    certificate-authority-data: ${b64(caPem)}`,
    `    server: ${server}`,
    `  name: ${cluster}`,
    'contexts:',
    '- context:',
    `    cluster: ${cluster}`,
    `    user: ${user}`,
    `  name: ${user}@${cluster}`,
    `current-context: ${user}@${cluster}`,
    'kind: Config',
    'preferences: {}',
    'users:',
    `- name: ${user}`,
    '  user:',
    ...userLines,
    '',
  ].join('\n');
}

/** The client certificate (PEM) embedded in a kubeconfig file's first user. */
export function embeddedCert(kubeconfig: string): { certPem: string; keyPem: string } | undefined {
  const doc = parseYaml(kubeconfig) as { users?: Array<{ user?: Record<string, string> }> } | null;
  const user = doc?.users?.[0]?.user;
  if (!user?.['client-certificate-data']) return undefined;
  return {
    certPem: Buffer.from(user['client-certificate-data'], 'base64').toString('utf8'),
    keyPem: Buffer.from(user['client-key-data'] ?? '', 'base64').toString('utf8'),
  };
}

export class ClusterPki {
  private readonly clusters = new Map<string, ClusterCas>();

  constructor(
    private readonly fs: NodeFs,
    private readonly now: () => number = Date.now,
    /** Told about each cluster's new CA, so the API server can trust the client certificates it signs. */
    private readonly onCa: (cluster: string, caPem: string) => void = () => undefined,
  ) {}

  /** The cluster's CAs, created (as kubeadm init did) on first use. */
  casOf(cluster: string): ClusterCas {
    let c = this.clusters.get(cluster);
    if (!c) {
      const createdAt = this.now() - CLUSTER_AGE_MS;
      const ca = (cn: string) => issueCertificate({ subject: { CN: cn }, ca: true, notBefore: new Date(createdAt), notAfter: new Date(createdAt + CA_MS) });
      c = { createdAt, cas: { ca: ca('kubernetes'), 'etcd-ca': ca('etcd-ca'), 'front-proxy-ca': ca('front-proxy-ca') } };
      this.clusters.set(cluster, c);
      this.onCa(cluster, c.cas.ca.certPem);
    }
    return c;
  }

  server(cluster: string): string {
    return `https://${cluster}-control-plane:6443`;
  }

  /** Writes a node's PKI files, unless they are there. */
  seed(n: NodeFacts): void {
    if (this.fs.exists(n.node, '/etc/kubernetes/pki/ca.crt')) return;
    const { createdAt, cas } = this.casOf(n.cluster);
    const notBefore = new Date(createdAt);
    const notAfter = new Date(createdAt + YEAR_MS);
    const writePair = (file: string, c: { certPem: string; keyPem: string }) => {
      this.fs.write(n.node, file, c.certPem);
      this.fs.write(n.node, keyFileOf(file), c.keyPem);
    };
    this.fs.write(n.node, '/etc/kubernetes/pki/ca.crt', cas.ca.certPem);
    if (n.role === 'control-plane') {
      for (const { name, file } of CAS) writePair(file, cas[name]);
      const leaf = (subject: { CN: string; O?: string[] }, ca: keyof ClusterCas['cas'], usages: Array<'server' | 'client'>, dnsNames: string[] = [], ips: string[] = []) =>
        issueCertificate({ subject, usages, dnsNames, ips, issuer: cas[ca], notBefore, notAfter });
      const names = [n.node, 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'localhost'];
      writePair('/etc/kubernetes/pki/apiserver.crt', leaf({ CN: 'kube-apiserver' }, 'ca', ['server'], names, ['10.96.0.1', n.ip, '127.0.0.1']));
      writePair('/etc/kubernetes/pki/apiserver-kubelet-client.crt', leaf({ CN: 'kube-apiserver-kubelet-client', O: ['kubeadm:cluster-admins'] }, 'ca', ['client']));
      writePair('/etc/kubernetes/pki/apiserver-etcd-client.crt', leaf({ CN: 'kube-apiserver-etcd-client' }, 'etcd-ca', ['client']));
      writePair('/etc/kubernetes/pki/front-proxy-client.crt', leaf({ CN: 'front-proxy-client' }, 'front-proxy-ca', ['client']));
      writePair('/etc/kubernetes/pki/etcd/server.crt', leaf({ CN: n.node }, 'etcd-ca', ['server', 'client'], [n.node, 'localhost'], [n.ip, '127.0.0.1', '::1']));
      writePair('/etc/kubernetes/pki/etcd/peer.crt', leaf({ CN: n.node }, 'etcd-ca', ['server', 'client'], [n.node, 'localhost'], [n.ip, '127.0.0.1', '::1']));
      writePair('/etc/kubernetes/pki/etcd/healthcheck-client.crt', leaf({ CN: 'kube-etcd-healthcheck-client' }, 'etcd-ca', ['client']));
      this.fs.write(n.node, '/etc/kubernetes/pki/sa.key', leaf({ CN: 'sa' }, 'ca', ['client']).keyPem);
      const conf = (file: string, user: string, subject: { CN: string; O?: string[] }) =>
        this.fs.write(n.node, file, kubeconfigText(n.cluster, user, cas.ca.certPem, this.server(n.cluster), leaf(subject, 'ca', ['client'])));
      conf('/etc/kubernetes/admin.conf', 'kubernetes-admin', { CN: 'kubernetes-admin', O: ['kubeadm:cluster-admins'] });
      conf('/etc/kubernetes/super-admin.conf', 'kubernetes-super-admin', { CN: 'kubernetes-super-admin', O: ['system:masters'] });
      conf('/etc/kubernetes/controller-manager.conf', 'system:kube-controller-manager', { CN: 'system:kube-controller-manager' });
      conf('/etc/kubernetes/scheduler.conf', 'system:kube-scheduler', { CN: 'system:kube-scheduler' });
    }
    // The kubelet's client certificate from the TLS bootstrap (signed by the controller manager for a
    // year), kept as one PEM with the key and a -current symlink, and its self-signed serving pair.
    const stamp = notBefore.toISOString().slice(0, 19).replace(/[T:]/g, '-');
    const client = issueCertificate({ subject: { CN: `system:node:${n.node}`, O: ['system:nodes'] }, usages: ['client'], issuer: cas.ca, notBefore, notAfter });
    this.fs.write(n.node, `/var/lib/kubelet/pki/kubelet-client-${stamp}.pem`, client.certPem + client.keyPem);
    this.fs.symlink(n.node, `/var/lib/kubelet/pki/kubelet-client-${stamp}.pem`, '/var/lib/kubelet/pki/kubelet-client-current.pem');
    const serving = issueCertificate({ subject: { CN: `${n.node}@${Math.floor(createdAt / 1000)}` }, usages: ['server'], dnsNames: [n.node], notBefore, notAfter });
    this.fs.write(n.node, '/var/lib/kubelet/pki/kubelet.crt', serving.certPem);
    this.fs.write(n.node, '/var/lib/kubelet/pki/kubelet.key', serving.keyPem);
    this.fs.write(
      n.node,
      '/etc/kubernetes/kubelet.conf',
      kubeconfigText(n.cluster, `system:node:${n.node}`, cas.ca.certPem, this.server(n.cluster), { file: '/var/lib/kubelet/pki/kubelet-client-current.pem' }),
    );
  }

  /** The certificate (PEM) of a managed name as it is on disk now. */
  current(node: string, cert: ManagedCert): { certPem: string; keyPem: string } | undefined {
    const text = this.fs.read(node, cert.file);
    if (text === undefined) return undefined;
    if (cert.kubeconfig) return embeddedCert(text);
    return { certPem: text, keyPem: this.fs.read(node, keyFileOf(cert.file)) ?? '' };
  }

  caPem(node: string, ca: string): { certPem: string; keyPem: string } | undefined {
    const file = CAS.find((c) => c.name === ca)?.file;
    const certPem = file && this.fs.read(node, file);
    const keyPem = file && this.fs.read(node, keyFileOf(file));
    return certPem && keyPem ? { certPem, keyPem } : undefined;
  }

  /** Re-issues one managed certificate, as `kubeadm certs renew <name>`: same names and key, one more year. */
  renew(node: string, cert: ManagedCert): void {
    const existing = this.current(node, cert);
    const ca = this.caPem(node, cert.ca);
    if (!existing || !ca) throw new Error(`${cert.file}: no such file or directory`);
    const names = namesOf(existing.certPem);
    const now = this.now();
    const renewed = issueCertificate({ ...names, keyPem: existing.keyPem, issuer: ca, notBefore: new Date(now), notAfter: new Date(now + YEAR_MS) });
    if (cert.kubeconfig) {
      const text = this.fs.read(node, cert.file) ?? '';
      this.fs.write(
        node,
        cert.file,
        text
          .replace(/client-certificate-data: \S+/, `client-certificate-data: ${b64(renewed.certPem)}`)
          .replace(/client-key-data: \S+/, `client-key-data: ${b64(renewed.keyPem)}`),
      );
    } else {
      this.fs.write(node, cert.file, renewed.certPem);
    }
  }

  static notAfter(certPem: string): Date {
    return new Date(new X509Certificate(certPem).validTo);
  }
}
