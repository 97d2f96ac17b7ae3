/**
 * certificate: the certificate served at an endpoint (a TLS handshake from a vantage point) or
 * stored in a node file has the expected validity and names. "stepStart" compares with what a
 * `check before` certificate check of the same target saw when the step began, which is how the
 * cert-rotation lab proves the API server now serves a renewed certificate.
 */
import { parseDuration } from '../../core/duration.js';
import type { CheckSpecOf } from '../../model/check-schema.js';
import type { CheckContext, CheckImplementation } from '../types.js';
import { CheckConfigError } from '../errors.js';
import { excerpt, regex } from '../format.js';
import { fetchPeerCertificate, firstPem, parsePem, splitEndpoint, type CertInfo } from '../certs.js';
import { shellQuote } from '../sampler.js';
import { execAt, nodeContainer, resolveVantage, type ResolvedVantage } from '../vantage.js';

type Spec = CheckSpecOf<'certificate'>;

export interface CertificateData extends CertInfo {
  /** Identifies the certificate's source, for matching a `check before` baseline. */
  target: string;
}

function targetOf(spec: Spec, ctx: CheckContext): string {
  if (spec.file) return `file ${nodeContainer(ctx, spec.file.node)}:${spec.file.path}`;
  const from = spec.from === undefined ? 'node control-plane' : spec.from === 'host' ? 'host' : JSON.stringify(spec.from);
  return `endpoint ${spec.endpoint}${spec.serverName ? ` (${spec.serverName})` : ''} from ${from}`;
}

function describe(spec: Spec): string {
  return spec.file ? `certificate in ${spec.file.node}:${spec.file.path}` : `certificate served at ${spec.endpoint}`;
}

/** A script that prints the served chain in PEM with whichever tool the vantage point has. */
function handshakeScript(endpoint: string, serverName: string | undefined): string {
  const { host, port } = splitEndpoint(endpoint);
  const sni = serverName ? ` -servername ${shellQuote(serverName)}` : '';
  const url = serverName ? `https://${serverName}:${port}/` : `https://${endpoint}/`;
  const resolve = serverName ? ` --resolve ${shellQuote(`${serverName}:${port}:${host}`)}` : '';
  return [
    'if command -v openssl >/dev/null 2>&1; then',
    `  openssl s_client -connect ${shellQuote(endpoint)}${sni} -showcerts </dev/null 2>/dev/null`,
    'else',
    `  curl -ksS --max-time 10 -o /dev/null -w '%{certs}'${resolve} ${shellQuote(url)}`,
    'fi',
  ].join('\n');
}

/**
 * A command the learner can run to look at the same certificate. kind's node image has openssl
 * (Debian's ca-certificates package depends on it; kind's images/base/Dockerfile installs
 * ca-certificates); in a pod, curl is likelier than openssl.
 */
function lookYourself(spec: Spec, vantage: ResolvedVantage): string {
  if (spec.file && vantage.type === 'docker') return `docker exec ${vantage.container} openssl x509 -noout -dates -subject -ext subjectAltName -in ${spec.file.path}`;
  const endpoint = spec.endpoint ?? '';
  const sni = spec.serverName ? ` -servername ${shellQuote(spec.serverName)}` : '';
  const sClient = `openssl s_client -connect ${endpoint}${sni} </dev/null 2>/dev/null | openssl x509 -noout -dates -subject`;
  if (vantage.type === 'host') return sClient;
  if (vantage.type === 'docker') return `docker exec ${vantage.container} sh -c ${shellQuote(sClient)}`;
  return `kubectl -n ${vantage.namespace} exec ${vantage.name}${vantage.container ? ` -c ${vantage.container}` : ''} -- curl -kvs -o /dev/null https://${spec.serverName ? `${spec.serverName}:${splitEndpoint(endpoint).port}` : endpoint}/ 2>&1 | grep -E 'subject:|expire date:'`;
}

async function readCertificate(spec: Spec, ctx: CheckContext, signal: AbortSignal): Promise<{ info: CertInfo; vantage: ResolvedVantage }> {
  if (spec.file) {
    const container = nodeContainer(ctx, spec.file.node);
    const vantage: ResolvedVantage = { type: 'docker', container, label: `node ${container}` };
    const r = await execAt(vantage, ['cat', spec.file.path], ctx, { signal, timeoutMs: 30_000 });
    if (r.exitCode !== 0) throw new Error(`cannot read ${spec.file.path} on ${container}: ${excerpt(r.stderr || r.stdout, 200)}`);
    if (!firstPem(r.stdout)) throw new Error(`${spec.file.path} on ${container} holds no PEM certificate`);
    return { info: parsePem(r.stdout), vantage };
  }
  const endpoint = spec.endpoint as string;
  if (spec.from === 'host') {
    const info = await fetchPeerCertificate(endpoint, { ...(spec.serverName ? { serverName: spec.serverName } : {}), timeoutMs: 10_000, signal });
    return { info, vantage: { type: 'host', label: 'this machine' } };
  }
  const vantage = await resolveVantage(spec.from, ctx);
  const r = await execAt(vantage, ['sh', '-c', handshakeScript(endpoint, spec.serverName)], ctx, { signal, timeoutMs: 30_000 });
  if (!firstPem(r.stdout)) throw new Error(`no certificate from ${endpoint} as seen from ${vantage.label} (exit ${r.exitCode}): ${excerpt(r.stderr || r.stdout, 200) || 'no output'}`);
  return { info: parsePem(r.stdout), vantage };
}

/** An ISO date, or "stepStart": the same field of the baseline of the same target. */
function referenceTime(value: string, field: 'notAfter' | 'notBefore', target: string, ctx: CheckContext): { time: number; label: string } {
  if (value === 'stepStart') {
    const seen = [...ctx.baseline.values()].find(
      (v): v is CertificateData => typeof v === 'object' && v !== null && (v as CertificateData).target === target && typeof (v as CertificateData)[field] === 'string',
    );
    if (!seen) throw new CheckConfigError(`"stepStart" needs a \`check before\` certificate check of the same ${target.split(' ')[0]} (${target}) in this step`);
    return { time: Date.parse(seen[field]), label: `${seen[field]} (at the start of the step)` };
  }
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new CheckConfigError(`"${value}" is not a date (use an ISO date, \${VAR} or stepStart)`);
  return { time, label: new Date(time).toISOString() };
}

function sanMatches(sans: string[], wanted: string): boolean {
  const w = wanted.replace(/^IP Address:/i, 'IP:');
  if (/^(DNS|IP|URI|email):/i.test(w)) return sans.some((s) => s.toLowerCase() === w.toLowerCase());
  return sans.some((s) => s.replace(/^[A-Za-z]+:/, '').toLowerCase() === w.toLowerCase());
}

const certificate: CheckImplementation<'certificate'> = {
  kind: 'certificate',
  defaultTimeoutMs: 120_000,
  strategy: 'poll',
  describe,
  async attempt(spec, ctx, signal) {
    const target = targetOf(spec, ctx);
    const { info, vantage } = await readCertificate(spec, ctx, signal);
    const problems: string[] = [];
    const expected: string[] = [];
    const compareTime = (field: 'notAfter' | 'notBefore', value: string | undefined) => {
      if (value === undefined) return;
      const ref = referenceTime(value, field, target, ctx);
      const label = field === 'notAfter' ? 'NotAfter' : 'NotBefore';
      expected.push(`${label} later than ${ref.label}`);
      if (!(Date.parse(info[field]) > ref.time)) problems.push(`${label} ${info[field]} is not later than ${ref.label}`);
    };
    compareTime('notAfter', spec.notAfterAfter);
    compareTime('notBefore', spec.notBeforeAfter);
    if (spec.validFor) {
      const until = ctx.clock.now() + parseDuration(spec.validFor);
      expected.push(`valid for at least ${spec.validFor}`);
      if (Date.parse(info.notAfter) < until) problems.push(`expires ${info.notAfter}, sooner than ${spec.validFor} from now`);
    }
    for (const san of spec.sans ?? []) if (!sanMatches(info.sans, san)) problems.push(`no SAN ${san}`);
    if (spec.sans?.length) expected.push(`SANs include ${spec.sans.join(', ')}`);
    if (spec.subject !== undefined) {
      expected.push(`subject matching /${spec.subject}/`);
      if (!regex(spec.subject, 'subject').test(info.subject)) problems.push(`subject "${info.subject}" does not match /${spec.subject}/`);
    }
    if (spec.issuer !== undefined) {
      expected.push(`issuer matching /${spec.issuer}/`);
      if (!regex(spec.issuer, 'issuer').test(info.issuer)) problems.push(`issuer "${info.issuer}" does not match /${spec.issuer}/`);
    }
    const data: CertificateData = { target, ...info };
    return {
      ok: problems.length === 0,
      title: describe(spec),
      expected: expected.join('; ') || 'a certificate',
      found: `NotBefore ${info.notBefore}, NotAfter ${info.notAfter}, subject ${info.subject}${info.sans.length ? `, SANs ${info.sans.slice(0, 6).join(', ')}${info.sans.length > 6 ? ', …' : ''}` : ''}`,
      ...(problems.length ? { details: problems } : {}),
      hint: spec.file
        ? `look at it yourself: ${lookYourself(spec, vantage)}`
        : `look at it yourself: ${lookYourself(spec, vantage)}. A server presents what it loaded: kube-apiserver re-reads its serving certificate from disk by itself, most other servers only when they restart`,
      data,
    };
  },
};
export default certificate;
