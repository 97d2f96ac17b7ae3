/**
 * Real X.509 certificates for the simulated nodes' PKI, built with node:crypto alone: a small DER
 * encoder for the TBSCertificate, signed with ECDSA P-256 (SHA-256). No openssl process, exact
 * NotBefore/NotAfter (kubeadm's one-year leaves, ten-year CAs), and the result parses with
 * X509Certificate, openssl and kindlab's certificate check like any other certificate.
 *
 *   const ca = issueCertificate({ subject: { CN: 'kubernetes' }, ca: true, notBefore, notAfter });
 *   const leaf = issueCertificate({ subject: { CN: 'kube-apiserver' }, dnsNames: ['kubernetes'], ips: ['10.96.0.1'], issuer: ca, notBefore, notAfter });
 *   leaf.certPem, leaf.keyPem
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

// ---------------------------------------------------------------- DER

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content]);
}

const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
const octets = (b: Buffer) => tlv(0x04, b);
const bitString = (b: Buffer) => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const explicit = (n: number, content: Buffer) => tlv(0xa0 | n, content);

function integer(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  return tlv(0x02, v[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

function oid(text: string): Buffer {
  const parts = text.split('.').map(Number);
  const bytes = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [];
    let v = p;
    do {
      chunk.unshift(v & 0x7f);
      v = Math.floor(v / 128);
    } while (v > 0);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i]! |= 0x80;
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** UTCTime up to 2049, GeneralizedTime after (RFC 5280 4.1.2.5). */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:T]/g, '');
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2), 'ascii')) : tlv(0x18, Buffer.from(iso, 'ascii'));
}

const OID = {
  CN: '2.5.4.3',
  O: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

export interface Name {
  CN: string;
  /** Organizations (Kubernetes groups), in order. */
  O?: string[];
}

function name(n: Name): Buffer {
  const rdns = [...(n.O ?? []).map((o) => set(seq(oid(OID.O), utf8(o)))), set(seq(oid(OID.CN), utf8(n.CN)))];
  return seq(...rdns);
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
}

function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (isIPv6(ip)) {
    const [head, tail = ''] = ip.split('::');
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
    return Buffer.concat(groups.map((g) => Buffer.from([parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff])));
  }
  throw new Error(`not an IP address: ${ip}`);
}

// ---------------------------------------------------------------- certificates

export interface Issued {
  certPem: string;
  keyPem: string;
  key: KeyObject;
  subject: Name;
  notBefore: Date;
  notAfter: Date;
}

export interface CertificateRequest {
  subject: Name;
  dnsNames?: string[];
  ips?: string[];
  /** A CA certificate (basicConstraints CA:TRUE, keyCertSign). */
  ca?: boolean;
  usages?: Array<'server' | 'client'>;
  notBefore: Date;
  notAfter: Date;
  /** The signing CA; self-signed without one. */
  issuer?: { certPem: string; keyPem: string };
  /** Keep this private key (PEM), as `kubeadm certs renew` does; a new P-256 key otherwise. */
  keyPem?: string;
}

export function newKeyPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export function issueCertificate(req: CertificateRequest): Issued {
  const key = createPrivateKey(req.keyPem ?? newKeyPem());
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const issuerName = req.issuer ? issuerNameDer(req.issuer.certPem) : name(req.subject);
  const signer = req.issuer ? createPrivateKey(req.issuer.keyPem) : key;
  const sigAlg = seq(oid(OID.ecdsaWithSha256));

  const exts: Buffer[] = [];
  exts.push(extension(OID.keyUsage, true, bitString(req.ca ? Buffer.from([0xa4]) : Buffer.from([0xa0])))); // CA: digitalSignature, keyEncipherment, keyCertSign
  if (!req.ca) {
    const usages = req.usages ?? ['server'];
    exts.push(extension(OID.extKeyUsage, false, seq(...usages.map((u) => oid(u === 'server' ? OID.serverAuth : OID.clientAuth)))));
  }
  exts.push(extension(OID.basicConstraints, true, seq(...(req.ca ? [bool(true)] : []))));
  const sans = [...(req.dnsNames ?? []).map((d) => tlv(0x82, Buffer.from(d, 'ascii'))), ...(req.ips ?? []).map((ip) => tlv(0x87, ipBytes(ip)))];
  if (sans.length) exts.push(extension(OID.subjectAltName, false, seq(...sans)));

  const serial = randomBytes(8);
  serial[0] = serial[0]! & 0x7f;
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    sigAlg,
    issuerName,
    seq(time(req.notBefore), time(req.notAfter)),
    name(req.subject),
    Buffer.from(spki),
    explicit(3, seq(...exts)),
  );
  const signature = sign('sha256', tbs, signer);
  const der = seq(tbs, sigAlg, bitString(signature));
  const certPem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
  return {
    certPem,
    keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    key,
    subject: req.subject,
    notBefore: req.notBefore,
    notAfter: req.notAfter,
  };
}

/** The DER elements inside a constructed element's content. */
function elements(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i < buf.length) {
    const start = i;
    let len = buf[i + 1]!;
    i += 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let k = 0; k < n; k++) len = len * 256 + buf[i++]!;
    }
    out.push(buf.subarray(start, i + len));
    i += len;
  }
  return out;
}

/** The content of one DER element (without tag and length). */
function contentOf(el: Buffer): Buffer {
  const len = el[1]!;
  return el.subarray(len & 0x80 ? 2 + (len & 0x7f) : 2);
}

/** The subject Name of a certificate, as DER, to be the issuer of the ones it signs. */
function issuerNameDer(certPem: string): Buffer {
  const [certificate] = elements(new X509Certificate(certPem).raw);
  const [tbs] = elements(contentOf(certificate!));
  // TBSCertificate: [0] version, serialNumber, signature, issuer, validity, subject, ...
  return elements(contentOf(tbs!))[5]!;
}

/** Subject and SANs of an existing certificate, to issue a renewed one with the same names. */
export function namesOf(certPem: string): { subject: Name; dnsNames: string[]; ips: string[]; usages: Array<'server' | 'client'> } {
  const cert = new X509Certificate(certPem);
  const lines = cert.subject.split('\n');
  const subject: Name = { CN: lines.find((l) => l.startsWith('CN='))?.slice(3) ?? '' };
  const orgs = lines.filter((l) => l.startsWith('O=')).map((l) => l.slice(2));
  if (orgs.length) subject.O = orgs;
  const sans = (cert.subjectAltName ?? '').split(/,\s*/).filter(Boolean);
  const usages: Array<'server' | 'client'> = [];
  const eku = cert.keyUsage ?? [];
  if (eku.includes(OID.serverAuth)) usages.push('server');
  if (eku.includes(OID.clientAuth)) usages.push('client');
  return {
    subject,
    dnsNames: sans.filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4)),
    ips: sans.filter((s) => s.startsWith('IP Address:')).map((s) => s.slice(11)),
    usages: usages.length ? usages : ['server'],
  };
}

/** The base64 SHA-256 of a CA's public key, the way kubeadm prints --discovery-token-ca-cert-hash. */
export function caCertHash(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}
