/**
 * Container image references, normalized the way containerd and Docker resolve them: a name
 * without a registry is on docker.io, a one-part docker.io name is under library/, and a name
 * with neither tag nor digest means :latest. Two spellings of the same image then compare equal,
 * so a lab's list holds each image once however its manifests spell it.
 */

export interface ImageParts {
  /** Registry host[:port] as containerd keys mirrors by it (docker.io, registry.k8s.io, ...). */
  registry: string;
  /** Repository path inside the registry (library/nginx, istio/proxyv2). */
  repository: string;
  tag?: string;
  /** sha256:<hex>, without the @. */
  digest?: string;
}

/** True when the first path component names a registry rather than a Docker Hub user. */
const isRegistryHost = (part: string) => part.includes('.') || part.includes(':') || part === 'localhost';

/** Returns undefined for text that cannot be an image reference (templates, shell variables). */
export function parseImage(ref: string): ImageParts | undefined {
  const text = ref.trim();
  if (!text || /[\s${}]/.test(text)) return undefined;
  let name = text;
  let digest: string | undefined;
  const at = name.indexOf('@');
  if (at >= 0) {
    digest = name.slice(at + 1);
    name = name.slice(0, at);
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) return undefined;
  }
  let tag: string | undefined;
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
  }
  const parts = name.split('/');
  let registry = 'docker.io';
  if (parts.length > 1 && isRegistryHost(parts[0] as string)) registry = parts.shift() as string;
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = 'docker.io';
  let repository = parts.join('/');
  if (registry === 'docker.io' && parts.length === 1) repository = `library/${repository}`;
  if (!/^[a-z0-9]+([._/-][a-z0-9]+)*$/.test(repository)) return undefined;
  if (!tag && !digest) tag = 'latest';
  return { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

export function formatImage(p: ImageParts): string {
  return `${p.registry}/${p.repository}${p.tag ? `:${p.tag}` : ''}${p.digest ? `@${p.digest}` : ''}`;
}

/** The canonical spelling of an image reference, or undefined when it is not one. */
export function normalizeImage(ref: string): string | undefined {
  const p = parseImage(ref);
  return p ? formatImage(p) : undefined;
}

/** What containerd asks a mirror for: the digest when the reference pins one, else the tag. */
export function manifestReference(p: ImageParts): string {
  return p.digest ?? p.tag ?? 'latest';
}
