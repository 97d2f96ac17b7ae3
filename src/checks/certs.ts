/**
 * Reading X.509 certificates: from PEM text (a file, openssl s_client or curl output) or from a TLS
 * handshake made by kindlab itself (the 'host' vantage point), with node:crypto and node:tls.
 */
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import { isIP } from 'node:net';

export interface CertInfo {
  notBefore: string;
  notAfter: string;
  subject: string;
  issuer: string;
  /** "DNS:kubernetes", "IP:10.96.0.1", ... */
  sans: string[];
  fingerprint256: string;
}

const pemBlock = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

export function firstPem(text: string): string | undefined {
  return pemBlock.exec(text)?.[0];
}

function dateOf(text: string): Date {
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new Error(`cannot read the certificate date "${text}"`);
  return d;
}

export function certInfo(cert: X509Certificate): CertInfo {
  const sans = (cert.subjectAltName ?? '')
    .split(/,\s*/)
    .filter((s) => s)
    .map((s) => s.replace(/^IP Address:/, 'IP:'));
  return {
    notBefore: dateOf(cert.validFrom).toISOString(),
    notAfter: dateOf(cert.validTo).toISOString(),
    subject: cert.subject.replace(/\n/g, ', '),
    issuer: cert.issuer.replace(/\n/g, ', '),
    sans,
    fingerprint256: cert.fingerprint256,
  };
}

export function parsePem(text: string): CertInfo {
  const pem = firstPem(text);
  if (!pem) throw new Error('no PEM certificate in the output');
  return certInfo(new X509Certificate(pem));
}

/** host:port, with [v6]:port. */
export function splitEndpoint(endpoint: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(endpoint) ?? /^([^:]+):(\d+)$/.exec(endpoint);
  if (!m) throw new Error(`"${endpoint}" is not host:port`);
  return { host: m[1] as string, port: Number(m[2]) };
}

/** The certificate a TLS server presents to kindlab (verification off: we inspect, not trust). */
export function fetchPeerCertificate(endpoint: string, opts: { serverName?: string; timeoutMs: number; signal?: AbortSignal }): Promise<CertInfo> {
  const { host, port } = splitEndpoint(endpoint);
  const servername = opts.serverName ?? (isIP(host) ? undefined : host);
  return new Promise<CertInfo>((resolve, reject) => {
    const socket = connect({ host, port, rejectUnauthorized: false, ...(servername ? { servername } : {}) });
    const fail = (err: Error) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(err);
    };
    const onAbort = () => fail(new Error('interrupted'));
    const timer = setTimeout(() => fail(new Error(`TLS handshake with ${endpoint} timed out`)), opts.timeoutMs);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('secureConnect', () => {
      const cert = socket.getPeerX509Certificate();
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      socket.end();
      if (!cert) reject(new Error(`${endpoint} presented no certificate`));
      else resolve(certInfo(cert));
    });
    socket.once('error', (err) => fail(new Error(`TLS handshake with ${endpoint}: ${err.message}`)));
  });
}
