/**
 * Where the upstream check looks. By default every image registry and download host is asked
 * directly; KINDLAB_UPSTREAM_HOSTS names replacements with the same layout, one `host=base-url`
 * per comma: a pull-through registry for docker.io, an artifact mirror for github.com, or (in
 * kindlab's tests) servers on 127.0.0.1. A registry host maps to the root of its distribution API;
 * a download host maps to a URL prefix that replaces `https://<host>`.
 *
 *   KINDLAB_UPSTREAM_HOSTS="docker.io=https://hub-cache.corp.example,github.com=https://artifacts.corp.example/github"
 */
import { usageError } from '../../core/errors.js';

export const UPSTREAM_HOSTS_ENV = 'KINDLAB_UPSTREAM_HOSTS';

export type HostMap = ReadonlyMap<string, string>;

export function parseHostMap(text: string | undefined): HostMap {
  const map = new Map<string, string>();
  for (const entry of (text ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = entry.indexOf('=');
    const host = eq > 0 ? entry.slice(0, eq).trim().toLowerCase() : '';
    const base = eq > 0 ? entry.slice(eq + 1).trim() : '';
    if (!/^[a-z0-9.-]+(:\d+)?$/.test(host) || !/^https?:\/\/\S+$/.test(base)) {
      throw usageError(
        `${UPSTREAM_HOSTS_ENV}: "${entry}" is not of the form <host>=<http(s) URL>`,
        `For example ${UPSTREAM_HOSTS_ENV}=docker.io=https://mirror.example,github.com=https://artifacts.example/github`,
      );
    }
    map.set(host, base.replace(/\/+$/, ''));
  }
  return map;
}

/**
 * The root of a registry's distribution API. docker.io is only a name: Docker Hub serves the API
 * on registry-1.docker.io (containerd docs/hosts.md, and src/platform/addons/mirrors.ts).
 */
export function registryBase(registry: string, hosts: HostMap): string {
  const mapped = hosts.get(registry);
  if (mapped) return mapped;
  return registry === 'docker.io' ? 'https://registry-1.docker.io' : `https://${registry}`;
}

/** The URL to ask for `url`: unchanged unless its host is mapped. */
export function rewriteUrl(url: string, hosts: HostMap): string {
  const u = new URL(url);
  const mapped = hosts.get(u.host);
  return mapped ? `${mapped}${u.pathname}${u.search}` : url;
}
