/**
 * Asks an OCI distribution registry which manifest a tag or digest names, the way containerd
 * resolves a reference before a pull, without downloading the image:
 *
 *  1. `HEAD /v2/<name>/manifests/<reference>` with every manifest media type kindlab's images use,
 *     image indexes (manifest lists) first. Without the index types a registry may answer for one
 *     platform's manifest instead, whose digest is not the one pinned (distribution spec,
 *     "Pulling manifests"; kind pins index digests).
 *  2. A 401 with `WWW-Authenticate: Bearer realm=...,service=...,scope=...` is answered by asking
 *     the realm for an anonymous token for that service and scope, then repeating the request with
 *     it (distribution docs/spec/auth/token.md). Docker Hub, ghcr.io, quay.io and Artifact Registry
 *     (behind registry.k8s.io) all work this way for public images.
 *  3. Redirects are followed by hand, one hop at a time: registry.k8s.io sends clients to a
 *     regional backend, which issues its own challenge, and a token must not travel to another host.
 *  4. The digest is the `Docker-Content-Digest` header; a registry that leaves it out gets a GET,
 *     and the digest is computed from the manifest bytes as the spec defines it.
 */
import { createHash } from 'node:crypto';
import { registryBase, type HostMap } from './hosts.js';
import { discard, readBytes, request, type RequestLimits } from './http.js';

export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export type ManifestAnswer =
  | { kind: 'found'; digest: string; mediaType?: string }
  /** 404, or refused even with an anonymous token (Docker Hub answers 401 for repositories that do not exist). */
  | { kind: 'missing'; status: number; detail: string }
  /** The registry answered, but not about the manifest: rate limits, server errors, a broken token service. */
  | { kind: 'unavailable'; status: number; detail: string };

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"` */
export function parseChallenge(header: string | null): Challenge | undefined {
  const m = header ? /^\s*([A-Za-z]+)\s*(.*)$/s.exec(header) : null;
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of (m[2] as string).matchAll(/([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) {
    params[(p[1] as string).toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] as string);
  }
  return { scheme: (m[1] as string).toLowerCase(), params };
}

export interface RegistryClientOptions {
  hosts: HostMap;
  limits: RequestLimits;
}

export interface RegistryClient {
  /** What `registry/repository` names under `reference` (a tag or sha256:... digest). Network failures throw Unreachable. */
  manifest(registry: string, repository: string, reference: string): Promise<ManifestAnswer>;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_HOPS = 8;
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export function createRegistryClient(opts: RegistryClientOptions): RegistryClient {
  const { limits } = opts;
  // One token per realm, service and scope: images of one repository share it, and the many
  // labs that use the same image cause one token request, not one each.
  const tokens = new Map<string, Promise<string | ManifestAnswer>>();

  async function fetchToken(c: Challenge, repository: string): Promise<string | ManifestAnswer> {
    const realm = c.params.realm as string;
    const url = new URL(realm);
    if (c.params.service) url.searchParams.set('service', c.params.service);
    url.searchParams.set('scope', c.params.scope ?? `repository:${repository}:pull`);
    const res = await request(url.href, { headers: { accept: 'application/json' } }, limits);
    const body = (await readBytes(res, 64 * 1024, limits)).toString('utf8');
    if (!res.ok) return { kind: 'unavailable', status: res.status, detail: `the token service ${url.host} answered HTTP ${res.status}` };
    try {
      const doc = JSON.parse(body) as { token?: unknown; access_token?: unknown };
      const token = typeof doc.token === 'string' ? doc.token : doc.access_token;
      if (typeof token === 'string' && token) return token;
    } catch {
      // fall through
    }
    return { kind: 'unavailable', status: res.status, detail: `the token service ${url.host} returned no token` };
  }

  function token(c: Challenge, repository: string): Promise<string | ManifestAnswer> {
    const key = `${c.params.realm}|${c.params.service ?? ''}|${c.params.scope ?? repository}`;
    let t = tokens.get(key);
    if (!t) {
      t = fetchToken(c, repository);
      tokens.set(key, t);
      // A failed request must not stay cached for every later image.
      t.catch(() => tokens.delete(key));
    }
    return t;
  }

  async function digestFromBody(url: string, headers: Record<string, string>): Promise<string | undefined> {
    const res = await request(url, { method: 'GET', redirect: 'follow', headers }, limits);
    if (!res.ok) {
      await discard(res);
      return undefined;
    }
    const bytes = await readBytes(res, MAX_MANIFEST_BYTES, limits);
    return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  }

  return {
    async manifest(registry, repository, reference) {
      let url = `${registryBase(registry, opts.hosts)}/v2/${repository}/manifests/${reference}`;
      let authorization: string | undefined;
      let triedToken = false;
      for (let hop = 0; hop < MAX_HOPS; hop++) {
        const headers: Record<string, string> = { accept: MANIFEST_ACCEPT, ...(authorization ? { authorization } : {}) };
        const res = await request(url, { method: 'HEAD', redirect: 'manual', headers }, limits);
        await discard(res);
        if (REDIRECTS.has(res.status)) {
          const location = res.headers.get('location');
          if (!location) return { kind: 'unavailable', status: res.status, detail: `HTTP ${res.status} without a Location` };
          const next = new URL(location, url);
          if (next.origin !== new URL(url).origin) {
            authorization = undefined;
            triedToken = false;
          }
          url = next.href;
          continue;
        }
        if (res.status === 401 && !triedToken) {
          const c = parseChallenge(res.headers.get('www-authenticate'));
          if (c?.scheme === 'bearer' && c.params.realm) {
            triedToken = true;
            const t = await token(c, repository);
            if (typeof t !== 'string') return t;
            authorization = `Bearer ${t}`;
            continue;
          }
          return { kind: 'missing', status: 401, detail: 'the registry wants credentials (no anonymous access)' };
        }
        if (res.ok) {
          const mediaType = res.headers.get('content-type') ?? undefined;
          const digest = res.headers.get('docker-content-digest') ?? (await digestFromBody(url, headers));
          if (!digest) return { kind: 'unavailable', status: res.status, detail: 'the registry gave no digest for the manifest' };
          return { kind: 'found', digest, ...(mediaType ? { mediaType } : {}) };
        }
        if (res.status === 404) return { kind: 'missing', status: 404, detail: 'not found (HTTP 404)' };
        if (res.status === 401 || res.status === 403) {
          return { kind: 'missing', status: res.status, detail: `refused even with an anonymous token (HTTP ${res.status}): gone, or no longer public` };
        }
        return { kind: 'unavailable', status: res.status, detail: `HTTP ${res.status}` };
      }
      return { kind: 'unavailable', status: 0, detail: `more than ${MAX_HOPS} redirects` };
    },
  };
}
