/**
 * `kubeadm` inside a kind node container (v1.35 output formats):
 * - `token create [token] [--ttl d] [--description s] [--groups g] [--print-join-command]`,
 *   `token list`, `token delete <id|token>...`: bootstrap token Secrets in kube-system, through
 *   the cluster's API as kubeadm does (so the bootstrap signer and the labs' checks see them);
 * - `certs check-expiration [-o json]`: read from the certificate files on the node's disk;
 * - `certs renew all|<name>`: re-issue the leaves on disk (pki.ts). The running components keep
 *   the client certificates they loaded until their static pods restart; kube-apiserver's serving
 *   certificate is the one they pick up by themselves (kubelet.ts);
 * - `version`.
 */
import { randomBytes } from 'node:crypto';
import type { Sim } from '../apiserver.js';
import type { ExecOutput } from '../exec.js';
import { timestamp } from '../cluster.js';
import { tokenInfo, tokenSecret, TOKEN_TYPE } from './bootstrap-tokens.js';
import { getOf } from './cluster-view.js';
import { CAS, MANAGED, ClusterPki } from './pki.js';
import { caCertHash } from './x509.js';

type Out = Required<ExecOutput>;
const ok = (stdout: string): Out => ({ stdout, stderr: '', exitCode: 0 });
const fail = (stderr: string, exitCode = 1): Out => ({ stdout: '', stderr: stderr.endsWith('\n') ? stderr : `${stderr}\n`, exitCode });

const TOKEN_RE = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const ID_RE = /^[a-z0-9]{6}$/;

function duration(text: string): number | undefined {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!m || text === '') return undefined;
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

function option(args: string[], name: string): string | undefined {
  const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return undefined;
  return args[i]!.includes('=') ? args[i]!.slice(name.length + 1) : args[i + 1];
}

function positionals(args: string[], valued: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('-')) {
      if (valued.includes(a)) i++;
    } else out.push(a);
  }
  return out;
}

const randomToken = (n: number) => Array.from(randomBytes(n), (b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('');

function residual(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  if (days >= 365 * 2) return `${Math.floor(days / 365)}y`;
  if (days >= 1) return `${days}d`;
  return `${Math.max(0, Math.floor(ms / 3_600_000))}h`;
}

function expiresText(d: Date): string {
  const month = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${month} ${pad(d.getUTCDate())}, ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

export class Kubeadm {
  constructor(
    private readonly sim: Sim,
    private readonly pki: ClusterPki,
    private readonly now: () => number = Date.now,
  ) {}

  run(cluster: string, node: string, role: 'control-plane' | 'worker', args: string[]): Out {
    const [group, sub, ...rest] = args;
    if (group === 'version') return ok(args.includes('short') ? 'v1.35.8\n' : 'kubeadm version: &version.Info{Major:"1", Minor:"35", GitVersion:"v1.35.8", GoVersion:"go1.25.5", Platform:"linux/amd64"}\n');
    if (group === 'token') return this.token(cluster, node, role, sub, rest);
    if (group === 'certs') {
      if (role !== 'control-plane') return fail(`error: open /etc/kubernetes/pki/ca.crt: no such file or directory\nTo see the stack trace of this error execute with --v=5 or higher`);
      if (sub === 'check-expiration') return this.checkExpiration(node, rest);
      if (sub === 'renew') return this.renew(node, rest);
    }
    return fail(`unknown command "${args.join(' ')}" for "kubeadm"\nRun 'kubeadm --help' for usage.`);
  }

  private token(clusterName: string, node: string, role: string, sub: string | undefined, args: string[]): Out {
    // kubeadm talks to the API with /etc/kubernetes/admin.conf, which only control planes have.
    if (role !== 'control-plane') return fail('failed to load admin kubeconfig: open /etc/kubernetes/admin.conf: no such file or directory\nTo see the stack trace of this error execute with --v=5 or higher');
    if (!this.sim.hasCluster(clusterName)) return fail('unable to connect to the API server');
    const cluster = this.sim.cluster(clusterName);
    const valued = ['--ttl', '--description', '--groups', '--usages', '--kubeconfig', '--config'];
    switch (sub) {
      case 'create': {
        const [given] = positionals(args, valued);
        const token = given ?? `${randomToken(6)}.${randomToken(16)}`;
        const m = TOKEN_RE.exec(token);
        if (!m) return fail(`the bootstrap token "${token}" was not of the form "^([a-z0-9]{6})\\.([a-z0-9]{16})$"\nTo see the stack trace of this error execute with --v=5 or higher`);
        const ttl = option(args, '--ttl') ?? '24h0m0s';
        const ttlMs = duration(ttl);
        if (ttlMs === undefined) return fail(`invalid argument "${ttl}" for "--ttl" flag: time: invalid duration "${ttl}"`);
        const [id, secret] = [m[1]!, m[2]!];
        if (getOf(cluster, 'v1', 'Secret', `bootstrap-token-${id}`, 'kube-system')) {
          return fail(`failed to create or update bootstrap token with name bootstrap-token-${id}: unable to create Secret: secrets "bootstrap-token-${id}" already exists\nTo see the stack trace of this error execute with --v=5 or higher`);
        }
        const description = option(args, '--description');
        const groups = option(args, '--groups');
        cluster.create(tokenSecret(id, secret, { ...(ttlMs > 0 ? { ttlMs } : {}), ...(description ? { description } : {}), ...(groups ? { groups } : {}), now: this.now() }));
        if (!args.includes('--print-join-command')) return ok(`${token}\n`);
        const ca = this.pki.caPem(node, 'ca');
        return ok(`kubeadm join ${clusterName}-control-plane:6443 --token ${token} --discovery-token-ca-cert-hash ${ca ? caCertHash(ca.certPem) : 'sha256:'} \n`);
      }
      case 'list': {
        const rows = [['TOKEN', 'TTL', 'EXPIRES', 'USAGES', 'DESCRIPTION', 'EXTRA GROUPS']];
        for (const s of cluster.list('v1', 'Secret', 'kube-system').filter((x) => x.type === TOKEN_TYPE)) {
          const t = tokenInfo(s);
          if (!t) continue;
          const left = t.expiration ? Date.parse(t.expiration) - this.now() : undefined;
          rows.push([
            `${t.id}.${t.secret}`,
            left === undefined ? '<forever>' : `${Math.max(0, Math.round(left / 3_600_000))}h`,
            t.expiration ?? '<never>',
            t.usages.join(','),
            t.description ?? '<none>',
            t.groups ?? '',
          ]);
        }
        const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
        return ok(`${rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('').trimEnd()).join('\n')}\n`);
      }
      case 'delete': {
        const ids = positionals(args, valued);
        if (ids.length === 0) return fail('missing subcommand; "token delete" is missing token of form "[a-z0-9]{6}" or "[a-z0-9]{6}\\.[a-z0-9]{16}"');
        let stdout = '';
        for (const given of ids) {
          const id = TOKEN_RE.exec(given)?.[1] ?? (ID_RE.test(given) ? given : undefined);
          if (!id) return fail(`given token didn't match pattern "[a-z0-9]{6}" or "[a-z0-9]{6}\\.[a-z0-9]{16}"`);
          if (!cluster.delete('v1', 'Secret', `bootstrap-token-${id}`, 'kube-system')) {
            return { stdout, stderr: `failed to delete bootstrap token "${id}": secrets "bootstrap-token-${id}" not found\nTo see the stack trace of this error execute with --v=5 or higher\n`, exitCode: 1 };
          }
          stdout += `bootstrap token "${id}" deleted\n`;
        }
        return ok(stdout);
      }
      default:
        return fail(`unknown command "${sub ?? ''}" for "kubeadm token"`);
    }
  }

  private checkExpiration(node: string, args: string[]): Out {
    const now = this.now();
    const certs = MANAGED.map((m) => {
      const cur = this.pki.current(node, m);
      return { m, notAfter: cur ? ClusterPki.notAfter(cur.certPem) : undefined };
    });
    const cas = CAS.map((c) => {
      const pem = this.pki.caPem(node, c.name);
      return { c, notAfter: pem ? ClusterPki.notAfter(pem.certPem) : undefined };
    });
    const output = option(args, '-o') ?? option(args, '--output');
    if (output === 'json' || output === 'yaml') {
      const doc = {
        kind: 'CertificateExpirationInfo',
        apiVersion: 'output.kubeadm.k8s.io/v1alpha3',
        certificates: certs.map(({ m, notAfter }) => ({
          name: m.name,
          ...(notAfter ? { expirationDate: timestamp(notAfter), residualTime: (notAfter.getTime() - now) * 1_000_000 } : { missing: true }),
          certificateAuthority: m.ca,
          externallyManaged: false,
        })),
        certificateAuthorities: cas.map(({ c, notAfter }) => ({
          name: c.name,
          ...(notAfter ? { expirationDate: timestamp(notAfter), residualTime: (notAfter.getTime() - now) * 1_000_000 } : { missing: true }),
          externallyManaged: false,
        })),
      };
      return ok(`${JSON.stringify(doc, null, 4)}\n`);
    }
    const table = (rows: string[][]) => {
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('')).join('\n');
    };
    const head = '[check-expiration] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...\n[check-expiration] Use \'kubeadm init phase upload-config kubeadm --config your-config-file\' to re-upload it.\n\n';
    const leafRows = certs.map(({ m, notAfter }) => [m.name, notAfter ? expiresText(notAfter) : '<missing>', notAfter ? residual(notAfter.getTime() - now) : '', m.ca, 'no']);
    const caRows = cas.map(({ c, notAfter }) => [c.name, notAfter ? expiresText(notAfter) : '<missing>', notAfter ? residual(notAfter.getTime() - now) : '', 'no']);
    return ok(
      `${head}${table([['CERTIFICATE', 'EXPIRES', 'RESIDUAL TIME', 'CERTIFICATE AUTHORITY', 'EXTERNALLY MANAGED'], ...leafRows])}\n\n${table([['CERTIFICATE AUTHORITY', 'EXPIRES', 'RESIDUAL TIME', 'EXTERNALLY MANAGED'], ...caRows])}\n`,
    );
  }

  private renew(node: string, args: string[]): Out {
    const [what] = positionals(args, ['--config', '--kubeconfig', '--cert-dir']);
    const targets = what === 'all' ? MANAGED : MANAGED.filter((m) => m.name === what);
    if (!what || targets.length === 0) return fail(`unknown command "${what ?? ''}" for "kubeadm certs renew"`);
    let stdout = '[renew] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...\n[renew] Use \'kubeadm init phase upload-config kubeadm --config your-config-file\' to re-upload it.\n\n';
    for (const m of targets) {
      try {
        this.pki.renew(node, m);
      } catch (err) {
        return { stdout, stderr: `${(err as Error).message}\n`, exitCode: 1 };
      }
      stdout += `${m.renewed} renewed\n`;
    }
    if (what === 'all') stdout += '\nDone renewing certificates. You must restart the kube-apiserver, kube-controller-manager, kube-scheduler and etcd, so that they can use the new certificates.\n';
    return ok(stdout);
  }
}
