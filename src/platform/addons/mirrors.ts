/**
 * Registry mirrors for kind nodes. containerd reads one hosts.toml per upstream registry from
 * /etc/containerd/certs.d/<registry>/ and picks changes up without a restart (containerd
 * docs/hosts.md), so kindlab writes the files into every node right after `kind create cluster`,
 * the way kind's local-registry script does (site/static/examples/kind-with-registry.sh).
 *
 * The directory is named after the *upstream* registry (docker.io), not the mirror (kind#1775).
 * The mirror is listed as a [host] with pull and resolve: containerd tries it first and falls back
 * to `server`, the registry itself, when the mirror fails. "resolve" means tags are resolved through
 * the mirror; that is what a pull-through cache needs, and the user chose to trust it.
 */
import { KindlabError } from '../../core/errors.js';
import type { ProcessRunner } from '../../core/seams.js';
import { CERTS_DIR } from '../kind/config.js';
import { mustRun } from '../kind/run.js';

/** Registry host[:port] as it appears in image references, or containerd's `_default` catch-all. */
const registryPattern = /^(_default|[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?)$/;

/** Where the upstream registry really serves the distribution API. */
function upstreamServer(registry: string): string | undefined {
  if (registry === '_default') return undefined;
  // docker.io is a name only; its API lives on registry-1.docker.io (containerd docs/hosts.md example).
  if (registry === 'docker.io') return 'https://registry-1.docker.io';
  return `https://${registry}`;
}

/** TOML basic strings accept JSON's escapes, so JSON.stringify quotes safely. */
const q = (s: string) => JSON.stringify(s);

export function validateMirrors(mirrors: Record<string, string>): void {
  for (const [registry, mirror] of Object.entries(mirrors)) {
    if (!registryPattern.test(registry)) {
      throw new KindlabError('usage', `registry mirror key "${registry}" is not a registry host (e.g. docker.io or registry.k8s.io)`);
    }
    // The URL parser drops newlines and tabs, but the text as given also goes into hosts.toml,
    // where a newline would start a line of the mirror's choosing.
    // eslint-disable-next-line no-control-regex
    if (/[\s\u0000-\u001f\u007f]/.test(mirror)) {
      throw new KindlabError('usage', `registry mirror for ${registry} must be a URL without spaces or control characters, not ${JSON.stringify(mirror)}`);
    }
    let url: URL;
    try {
      url = new URL(mirror);
    } catch {
      throw new KindlabError('usage', `registry mirror for ${registry} must be a URL like https://mirror.example, not "${mirror}"`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new KindlabError('usage', `registry mirror for ${registry} must be an http(s) URL, not "${mirror}"`);
    }
  }
}

/** The hosts.toml text for one upstream registry. */
export function renderHostsToml(registry: string, mirror: string): string {
  const server = upstreamServer(registry);
  // eslint-disable-next-line no-control-regex
  const lines = [`# Written by kindlab: pull ${registry} images through ${mirror.replace(/[\u0000-\u001f\u007f]/g, '')} first.`];
  if (server) lines.push(`server = ${q(server)}`);
  lines.push('', `[host.${q(mirror.replace(/\/+$/, ''))}]`, '  capabilities = ["pull", "resolve"]', '');
  return lines.join('\n');
}

export function hostsTomlPath(registry: string): string {
  return `${CERTS_DIR}/${registry}/hosts.toml`;
}

export interface MirrorTarget {
  docker: string;
  runner: ProcessRunner;
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
}

/** Writes every mirror's hosts.toml into each node container (docker exec, text on stdin). */
export async function applyMirrors(nodes: readonly string[], mirrors: Record<string, string>, t: MirrorTarget): Promise<void> {
  const entries = Object.entries(mirrors);
  if (entries.length === 0) return;
  await Promise.all(
    nodes.flatMap((node) =>
      entries.map(([registry, mirror]) =>
        mustRun(
          t.runner,
          'Configuring registry mirrors',
          t.docker,
          // The path is passed as $1 so no registry name is ever parsed by the shell.
          ['exec', '-i', node, 'sh', '-c', 'mkdir -p "$(dirname "$1")" && cat > "$1"', 'kindlab', hostsTomlPath(registry)],
          { input: renderHostsToml(registry, mirror), env: t.env, signal: t.signal },
        ),
      ),
    ),
  );
}
