/**
 * Bootstrap tokens as kubeadm and the controller manager keep them in a kind cluster:
 * - what `kubeadm init` left: the ConfigMap kube-public/cluster-info (a kubeconfig with the cluster
 *   CA and the API server address) and kind's well-known token abcdef.0123456789abcdef as the
 *   Secret kube-system/bootstrap-token-abcdef;
 * - the controller manager's bootstrap signer: for every token Secret usable for signing
 *   (usage-bootstrap-signing: "true", not expired) it adds `jws-kubeconfig-<id>` to cluster-info, a
 *   detached JWS (HS256, key "<id>.<secret>") of the kubeconfig, and removes signatures of tokens
 *   that are gone. `signer: false` is a controller manager started with --controllers=-bootstrapsigner.
 */
import { createHmac } from 'node:crypto';
import type { KubeObject } from '../../../src/core/seams.js';
import type { Sim, SimCluster } from '../apiserver.js';
import { deepEqual } from '../patches.js';
import { roleOf } from '../nodes.js';
import { attachToClusters } from './attach.js';
import { getOf } from './cluster-view.js';

export const TOKEN_TYPE = 'bootstrap.kubernetes.io/token';
export const KIND_TOKEN = 'abcdef.0123456789abcdef';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined) => (s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8'));
const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');

export function tokenSecret(id: string, secret: string, opts: { ttlMs?: number; description?: string; groups?: string; now?: number } = {}): KubeObject {
  const data: Record<string, string> = {
    'token-id': b64(id),
    'token-secret': b64(secret),
    'usage-bootstrap-authentication': b64('true'),
    'usage-bootstrap-signing': b64('true'),
    'auth-extra-groups': b64(opts.groups ?? 'system:bootstrappers:kubeadm:default-node-token'),
  };
  if (opts.ttlMs) data.expiration = b64(new Date((opts.now ?? Date.now()) + opts.ttlMs).toISOString().replace(/\.\d{3}Z$/, 'Z'));
  if (opts.description) data.description = b64(opts.description);
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' }, type: TOKEN_TYPE, data };
}

export interface TokenInfo {
  id: string;
  secret: string;
  expiration?: string;
  description?: string;
  usages: string[];
  groups?: string;
}

export function tokenInfo(s: KubeObject): TokenInfo | undefined {
  const data = (s.data ?? {}) as Record<string, string>;
  const id = unb64(data['token-id']);
  const secret = unb64(data['token-secret']);
  if (s.type !== TOKEN_TYPE || !id || !secret) return undefined;
  return {
    id,
    secret,
    ...(data.expiration ? { expiration: unb64(data.expiration)! } : {}),
    ...(data.description ? { description: unb64(data.description)! } : {}),
    usages: ['authentication', 'signing'].filter((u) => unb64(data[`usage-bootstrap-${u}`]) === 'true'),
    ...(data['auth-extra-groups'] ? { groups: unb64(data['auth-extra-groups'])! } : {}),
  };
}

/** kubeadm's detached JWS of cluster-info's kubeconfig: base64url(header) + ".." + base64url(signature). */
export function detachedJws(content: string, id: string, secret: string): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', kid: id }));
  const payload = b64url(content);
  const signature = createHmac('sha256', `${id}.${secret}`).update(`${header}.${payload}`).digest();
  return `${header}..${b64url(signature)}`;
}

const isKindCluster = (cluster: SimCluster) => cluster.list('v1', 'Node').some((n) => roleOf(n) === 'control-plane' && String((n.spec as { providerID?: string }).providerID ?? '').startsWith('kind://'));

export interface BootstrapTokensOptions {
  /** The cluster CA (PEM) for cluster-info's kubeconfig. */
  caPem(cluster: string): string;
  /** The controller manager's bootstrap signer runs (default true). */
  signer?: boolean;
}

export function bootstrapTokens(sim: Sim, opts: BootstrapTokensOptions): () => void {
  const signer = opts.signer ?? true;
  const resync = (cluster: SimCluster) => {
    if (!isKindCluster(cluster)) return;
    let info = getOf(cluster, 'v1', 'ConfigMap', 'cluster-info', 'kube-public');
    if (!info) {
      const kubeconfig = [
        'apiVersion: v1',
        'clusters:',
        '- cluster:',
        `    certificate-authority-data: ${b64(opts.caPem(cluster.name))}`,
        `    server: https://${cluster.name}-control-plane:6443`,
        '  name: ""',
        'contexts: null',
        'current-context: ""',
        'kind: Config',
        'preferences: {}',
        'users: null',
        '',
      ].join('\n');
      info = cluster.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cluster-info', namespace: 'kube-public' }, data: { kubeconfig } });
      if (!getOf(cluster, 'v1', 'Secret', 'bootstrap-token-abcdef', 'kube-system')) {
        const [id, secret] = KIND_TOKEN.split('.') as [string, string];
        cluster.create(tokenSecret(id, secret, { ttlMs: 24 * 3600 * 1000, description: 'The default bootstrap token generated by \'kubeadm init\'.' }));
      }
    }
    if (!signer) return;
    const data = { ...((info.data ?? {}) as Record<string, string>) };
    const kubeconfig = data.kubeconfig ?? '';
    const wanted = new Map<string, string>();
    for (const s of cluster.list('v1', 'Secret', 'kube-system')) {
      const t = tokenInfo(s);
      if (!t || !t.usages.includes('signing')) continue;
      if (t.expiration && Date.parse(t.expiration) < Date.now()) continue;
      wanted.set(`jws-kubeconfig-${t.id}`, detachedJws(kubeconfig, t.id, t.secret));
    }
    const next: Record<string, string> = Object.fromEntries(Object.entries(data).filter(([k]) => !k.startsWith('jws-kubeconfig-')));
    for (const [k, v] of wanted) next[k] = v;
    if (!deepEqual(data, next)) cluster.replace({ ...info, data: next });
  };
  return attachToClusters(sim, {
    interested: (e) => e.object.kind === 'Secret' || e.object.kind === 'ConfigMap' || e.object.kind === 'Node',
    resync,
  }, { delayMs: 20 });
}
