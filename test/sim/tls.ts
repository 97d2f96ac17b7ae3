/**
 * The sim's TLS and authentication, as a kind cluster's API server has them: a CA made per sim, a
 * serving certificate for the loopback names the kubeconfig points at, and an admin client
 * certificate like the one kind copies from the control plane's admin.conf (CN kubernetes-admin,
 * O kubeadm:cluster-admins; kind v0.20+ with kubeadm 1.29+). Certificates come from x509.ts (the
 * DER builder the kubeadm PKI model already uses), so nothing here writes DER.
 *
 * Client certificates are checked per request, not in the handshake: the sim serves every cluster
 * on one port, and a cluster also trusts the CA its node containers' kubeadm PKI holds (the fake
 * kind copies admin.conf from there). The handshake therefore asks for a certificate without
 * naming acceptable CAs — Go's TLS client would otherwise withhold one signed by another CA.
 */
import { X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { issueCertificate, type Issued } from './behaviour/x509.js';

const YEAR_MS = 365 * 24 * 3600 * 1000;

export interface SimUser {
  name: string;
  groups: string[];
}

/** What a kubeconfig needs to reach the sim over HTTPS as the admin. */
export interface SimCredentials {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export class SimPki {
  readonly ca: Issued;
  readonly serving: Issued;
  readonly admin: Issued;

  constructor(now = Date.now()) {
    const notBefore = new Date(now - 60_000);
    this.ca = issueCertificate({ subject: { CN: 'kubernetes' }, ca: true, notBefore, notAfter: new Date(now + 10 * YEAR_MS) });
    const leaf = { issuer: this.ca, notBefore, notAfter: new Date(now + YEAR_MS) };
    this.serving = issueCertificate({
      ...leaf,
      subject: { CN: 'kube-apiserver' },
      usages: ['server'],
      dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
      ips: ['127.0.0.1', '::1', '10.96.0.1'],
    });
    this.admin = issueCertificate({ ...leaf, subject: { CN: 'kubernetes-admin', O: ['kubeadm:cluster-admins'] }, usages: ['client'] });
  }

  credentials(): SimCredentials {
    return { caPem: this.ca.certPem, certPem: this.admin.certPem, keyPem: this.admin.keyPem };
  }
}

/** The server side of the TLS handshake: the serving pair, a client certificate asked for but not required. */
export function serverTlsOptions(pki: SimPki): { secureContext: SecureContext; requestCert: true; rejectUnauthorized: false; isServer: true } {
  const secureContext = createSecureContext({ cert: pki.serving.certPem + pki.ca.certPem, key: pki.serving.keyPem });
  return { secureContext, requestCert: true, rejectUnauthorized: false, isServer: true };
}

/**
 * The user a client certificate names (CN = user, O = groups, as the API server's x509
 * authenticator reads them), when one of `trusted` issued it, it is valid now and meant for
 * client authentication. Undefined otherwise (the request then needs a token).
 */
export function clientCertificateUser(socket: TLSSocket, trusted: Iterable<string>, now = new Date()): SimUser | undefined {
  const cert = socket.getPeerX509Certificate?.();
  if (!cert) return undefined;
  if (new Date(cert.validFrom) > now || new Date(cert.validTo) < now) return undefined;
  if (cert.keyUsage && !cert.keyUsage.includes('1.3.6.1.5.5.7.3.2')) return undefined;
  const signedByTrusted = [...trusted].some((pem) => {
    const ca = new X509Certificate(pem);
    return cert.checkIssued(ca) && cert.verify(ca.publicKey);
  });
  if (!signedByTrusted) return undefined;
  const lines = cert.subject.split('\n');
  const name = lines.find((l) => l.startsWith('CN='))?.slice(3) ?? '';
  return { name, groups: [...lines.filter((l) => l.startsWith('O=')).map((l) => l.slice(2)), 'system:authenticated'] };
}
