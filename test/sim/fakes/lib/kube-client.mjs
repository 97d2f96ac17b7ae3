import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { httpRequest } from './http.mjs';
/**
 * A small Kubernetes REST client for the fakes: plain HTTP(S) to the server of the kubeconfig
 * context, discovery to map kubectl's resource names ("deploy", "deployments.apps", "vs") and
 * manifests' apiVersion/kind to URLs, and Status errors printed the way kubectl prints them.
 */

export class ApiError extends Error {
  constructor(status, httpCode) {
    super(status?.message ?? `HTTP ${httpCode}`);
    this.code = status?.code ?? httpCode;
    this.reason = status?.reason ?? 'Unknown';
    this.status = status;
  }

  /** "Error from server (NotFound): deployments.apps "x" not found" */
  kubectlMessage() {
    return `Error from server (${this.reason}): ${this.message}`;
  }
}

/**
 * Discovery is cached on disk per server, as kubectl caches it under ~/.kube/cache: a fake starts
 * for every command, and asking ~20 group versions each time would make every call slow. A name
 * the cache does not know triggers a fresh discovery, so CRDs created meanwhile are found.
 */
const CACHE_TTL_MS = 10 * 60_000;

function cacheFile(server) {
  const home = process.env.HOME || homedir();
  return join(home, '.kube', 'cache', 'fake-discovery', `${createHash('sha256').update(server).digest('hex').slice(0, 16)}.json`);
}

function readCache(server) {
  try {
    const c = JSON.parse(readFileSync(cacheFile(server), 'utf8'));
    return Date.now() - c.time < CACHE_TTL_MS ? c : undefined;
  } catch {
    return undefined;
  }
}

function writeCache(server, data) {
  try {
    const file = cacheFile(server);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.${process.pid}`, JSON.stringify({ time: Date.now(), ...data }));
    renameSync(`${file}.${process.pid}`, file);
  } catch {
    // a cache that cannot be written only costs time
  }
}

/** Groups kubectl prefers when a short name is ambiguous (gateways: Gateway API before Istio). */
const groupRank = (g) => (g === '' ? 0 : g.endsWith('.k8s.io') || !g.includes('.') ? 1 : 2);

export class Kube {
  constructor(access) {
    this.server = access.server;
    this.token = access.token;
    this.tls = access.tls;
    this.namespace = access.namespace ?? 'default';
    const cached = readCache(this.server);
    this.resources = cached?.resources;
    this.byGroupVersion = new Map(Object.entries(cached?.groupVersions ?? {}));
    this.fromCache = cached !== undefined;
    /** --request-timeout: how long one request may take (unset: no limit, as kubectl's default 0). */
    this.requestTimeoutMs = access.requestTimeoutMs;
  }

  /** Forgets cached discovery (a name was not found in it). Returns false when it was fresh already. */
  refreshDiscovery() {
    if (!this.fromCache) return false;
    this.fromCache = false;
    this.resources = undefined;
    this.byGroupVersion = new Map();
    return true;
  }

  saveDiscovery() {
    writeCache(this.server, { resources: this.resources, groupVersions: Object.fromEntries(this.byGroupVersion) });
  }

  async request(method, path, { query, body, contentType, text } = {}) {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    let res;
    try {
      res = await httpRequest(url.href, {
        method,
        tls: this.tls,
        headers: {
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': contentType ?? 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
        ...(this.requestTimeoutMs ? { timeoutMs: this.requestTimeoutMs } : {}),
      });
    } catch (e) {
      const code = e.code ?? e.cause?.code;
      // What kubectl prints: its client timeout, or the dial error.
      if (code === 'ETIMEDOUT' || e.name === 'TimeoutError') {
        const err = new Error('Unable to connect to the server: net/http: request canceled (Client.Timeout exceeded while awaiting headers)');
        err.kubectl = true;
        throw err;
      }
      throw new ApiError({ reason: 'ServiceUnavailable', message: `The connection to the server ${url.host} was refused - did you specify the right host or port? (${code ?? e.message})`, code: 503 }, 503);
    }
    const raw = res.text;
    if (!res.ok) {
      let status;
      try {
        status = JSON.parse(raw);
      } catch {
        status = { message: raw || `HTTP ${res.status}`, code: res.status };
      }
      throw new ApiError(status, res.status);
    }
    if (text) return raw;
    return raw ? JSON.parse(raw) : undefined;
  }

  /** The resources of one group version (cached), or [] when not served. */
  async groupVersion(group, version) {
    const key = `${group}/${version}`;
    if (!this.byGroupVersion.has(key)) {
      const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
      let list;
      try {
        list = await this.request('GET', path);
      } catch (e) {
        if (e instanceof ApiError && e.code === 404) list = { resources: [] };
        else throw e;
      }
      const resources = (list.resources ?? [])
        .filter((r) => !r.name.includes('/'))
        .map((r) => ({
          group,
          version,
          plural: r.name,
          singular: r.singularName || r.kind.toLowerCase(),
          kind: r.kind,
          namespaced: r.namespaced,
          shortNames: r.shortNames ?? [],
          subresources: (list.resources ?? []).filter((s) => s.name.startsWith(`${r.name}/`)).map((s) => s.name.split('/')[1]),
        }));
      this.byGroupVersion.set(key, resources);
      this.saveDiscovery();
    }
    return this.byGroupVersion.get(key);
  }

  /** Every resource at its group's preferred version. */
  async discover() {
    if (this.resources) return this.resources;
    const [core, groups] = await Promise.all([this.groupVersion('', 'v1'), this.request('GET', '/apis')]);
    const perGroup = await Promise.all((groups.groups ?? []).map((g) => this.groupVersion(g.name, g.preferredVersion.version)));
    this.resources = [...core, ...perGroup.flat()];
    this.saveDiscovery();
    return this.resources;
  }

  /** Resolves kubectl's spelling of a resource type: plural, singular, short name, Kind, or qualified with a group. */
  async resourceFor(typeName) {
    const lower = typeName.toLowerCase();
    const all = await this.discover();
    const [name, ...groupParts] = lower.split('.');
    let groupFilter = groupParts.join('.');
    let versionFilter;
    // deployments.v1.apps
    if (groupParts.length > 1 && /^v\d/.test(groupParts[0])) {
      versionFilter = groupParts[0];
      groupFilter = groupParts.slice(1).join('.');
    }
    const matches = all
      .filter((r) => [r.plural, r.singular, r.kind.toLowerCase(), ...r.shortNames].includes(name))
      .filter((r) => !groupParts.length || r.group === groupFilter)
      .filter((r) => !versionFilter || r.version === versionFilter)
      .sort((a, b) => groupRank(a.group) - groupRank(b.group));
    if (matches.length === 0 && this.refreshDiscovery()) return this.resourceFor(typeName);
    if (matches.length === 0) {
      const e = new Error(`error: the server doesn't have a resource type "${typeName}"`);
      e.kubectl = true;
      throw e;
    }
    return matches[0];
  }

  /** The resource of a manifest's apiVersion and kind, with kubectl's error when it is not served. */
  async resourceForKind(apiVersion, kind, source = '') {
    const slash = apiVersion.lastIndexOf('/');
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
    const found = (await this.groupVersion(group, version)).find((r) => r.kind === kind);
    if (!found && this.refreshDiscovery()) return this.resourceForKind(apiVersion, kind, source);
    if (!found) {
      const e = new Error(
        `error: resource mapping not found for name: "${source}" namespace: "" from "": no matches for kind "${kind}" in version "${apiVersion}"\nensure CRDs are installed first`,
      );
      e.kubectl = true;
      throw e;
    }
    return found;
  }

  /** Server-side apply of one object (what istioctl and helm do, in small). */
  async apply(obj, manager) {
    const r = await this.resourceForKind(obj.apiVersion, obj.kind, obj.metadata.name);
    const namespace = r.namespaced ? obj.metadata.namespace ?? this.namespace : undefined;
    const body = { ...obj, metadata: { ...obj.metadata, ...(namespace ? { namespace } : {}) } };
    return this.request('PATCH', this.path(r, namespace, obj.metadata.name), {
      query: { fieldManager: manager, force: 'true' },
      body,
      contentType: 'application/apply-patch+yaml',
    });
  }

  /** Objects of a kind (all namespaces unless one is given); [] when the kind is not served. */
  async list(apiVersion, kind, namespace, labelSelector) {
    let r;
    try {
      r = await this.resourceForKind(apiVersion, kind);
    } catch {
      return [];
    }
    const list = await this.request('GET', this.path(r, namespace), { query: { labelSelector } });
    return (list.items ?? []).map((o) => ({ apiVersion, kind, ...o }));
  }

  /** Deletes an object; false when it was not there. */
  async remove(apiVersion, kind, name, namespace) {
    const r = await this.resourceForKind(apiVersion, kind);
    try {
      await this.request('DELETE', this.path(r, namespace, name), { query: { propagationPolicy: 'Background' } });
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return false;
      throw e;
    }
  }

  path(r, namespace, name, subresource) {
    const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
    const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    return `${base}${ns}/${r.plural}${name ? `/${encodeURIComponent(name)}` : ''}${subresource ? `/${subresource}` : ''}`;
  }

  /** "deployment.apps/web", "pod/x": how kubectl names an object in its output. */
  static displayName(r, name) {
    return `${r.singular}${r.group ? `.${r.group}` : ''}/${name}`;
  }

  /** "deployments.apps": how the API names a resource in messages. */
  static qualified(r) {
    return `${r.plural}${r.group ? `.${r.group}` : ''}`;
  }
}
