/**
 * Container registries and download hosts that are shut down (or frozen), each with where its
 * content is published now. This is the one list kindlab keeps: `kindlab validate` flags references
 * to these prefixes, prefetch never pulls through them, and the simulated kubelet (test/sim) fails
 * pulls from the ones that are gone. When a project announces a shutdown, add an entry and cite
 * the announcement.
 */

export interface RetiredRegistry {
  /** Start of an image reference, or of a URL after its scheme: a host, optionally with a path. */
  prefix: string;
  /** What takes the prefix's place (the rest of the reference stays as it is); undefined: nothing announced. */
  replacement?: string;
  /** true: nothing is served there any more; false: frozen, but requests still answered (e.g. redirected). */
  gone: boolean;
  /** Who said so, and when: shown in validate's message. */
  since: string;
}

/** Longest prefix first, so that the most specific entry answers. */
export const RETIRED_REGISTRIES: readonly RetiredRegistry[] = [
  // OCI Helm charts move to ghcr.io; istio.io blog "An update on our move to AWS" (2026-08-21).
  { prefix: 'gcr.io/istio-release/charts', replacement: 'ghcr.io/istio/release/charts', gone: true, since: 'Istio, December 2026' },
  // Istio images only on docker.io/istio from 1.31; both registries decommissioned in December 2026, with
  // outage ("scream") tests from 2026-12-08. istio.io blog "An Update on Our Container Registry Migration"
  // (2026-07-23) and "An update on our move to AWS" (2026-08-21).
  { prefix: 'registry.istio.io/release', replacement: 'docker.io/istio', gone: true, since: 'Istio, December 2026' },
  { prefix: 'gcr.io/istio-release', replacement: 'docker.io/istio', gone: true, since: 'Istio, December 2026' },
  // The rest of registry.istio.io (e.g. /testing, used by a few samples) goes with it; no public replacement.
  { prefix: 'registry.istio.io', gone: true, since: 'Istio, December 2026' },
  // Helm charts (/charts) and release artifacts such as .deb, .rpm, istioctl (/releases) are removed in
  // December 2026 and kept at blob.istio.io/istio-release (istio.io blog, 2026-08-21).
  { prefix: 'istio-release.storage.googleapis.com', replacement: 'blob.istio.io/istio-release', gone: true, since: 'Istio, December 2026' },
  // Frozen on 2023-04-03 and redirected to registry.k8s.io since 2023-03-20 (kubernetes.io blog
  // 2023-02-06 "k8s.gcr.io Image Registry Will Be Frozen…", 2023-03-10 "k8s.gcr.io Redirect to registry.k8s.io").
  { prefix: 'k8s.gcr.io', replacement: 'registry.k8s.io', gone: false, since: 'Kubernetes, April 2023' },
];

/**
 * Files of the Istio 1.31 release whose images are on a retired registry, with that registry:
 * `git grep registry.istio.io -- 'samples/*.yaml'` on istio/istio release-1.31 (2026-08-20; the
 * release archive copies samples/ unchanged). Applied as they are, their pods never start. Later
 * releases may fix some; an entry here then only asks for a rewrite that changes nothing.
 */
export const RETIRED_IMAGE_SAMPLES: Readonly<Record<string, string>> = {
  ...Object.fromEntries(
    [
      'ambient-argo/application/details.yaml',
      'ambient-argo/application/productpage.yaml',
      'ambient-argo/application/ratings.yaml',
      'ambient-argo/application/reviews.yaml',
      'bookinfo/platform/kube/bookinfo-db.yaml',
      'bookinfo/platform/kube/bookinfo-details-dualstack.yaml',
      'bookinfo/platform/kube/bookinfo-details-v2.yaml',
      'bookinfo/platform/kube/bookinfo-details.yaml',
      'bookinfo/platform/kube/bookinfo-dualstack.yaml',
      'bookinfo/platform/kube/bookinfo-mysql.yaml',
      'bookinfo/platform/kube/bookinfo-psa.yaml',
      'bookinfo/platform/kube/bookinfo-ratings-dualstack.yaml',
      'bookinfo/platform/kube/bookinfo-ratings-v2-mysql-vm.yaml',
      'bookinfo/platform/kube/bookinfo-ratings-v2-mysql.yaml',
      'bookinfo/platform/kube/bookinfo-ratings-v2.yaml',
      'bookinfo/platform/kube/bookinfo-ratings.yaml',
      'bookinfo/platform/kube/bookinfo-reviews-v2.yaml',
      'bookinfo/platform/kube/bookinfo.yaml',
      'custom-bootstrap/example-app.yaml',
      'health-check/liveness-http-same-port.yaml',
      'helloworld/helloworld-dual-stack.yaml',
      'helloworld/helloworld.yaml',
      'tcp-echo/tcp-echo-dual-stack.yaml',
      'tcp-echo/tcp-echo-ipv4.yaml',
      'tcp-echo/tcp-echo-ipv6.yaml',
      'tcp-echo/tcp-echo-services.yaml',
      'tcp-echo/tcp-echo.yaml',
    ].map((f) => [`samples/${f}`, 'registry.istio.io/release']),
  ),
  ...Object.fromEntries(
    ['extauthz/ext-authz.yaml', 'extauthz/local-ext-authz.yaml', 'grpc-echo/grpc-echo.yaml', 'jwt-server/jwt-server.yaml', 'mtls-echo/mtls-echo.yaml'].map((f) => [`samples/${f}`, 'registry.istio.io/testing']),
  ),
};

/** The entry whose prefix starts `ref` (an image reference, or a URL without its scheme). */
export function retiredRegistryOf(ref: string): RetiredRegistry | undefined {
  return RETIRED_REGISTRIES.find((r) => ref === r.prefix || ref.startsWith(`${r.prefix}/`));
}

/** `ref` with its retired prefix replaced; undefined when it is on no retired registry or has no replacement. */
export function replaceRetired(ref: string): string | undefined {
  const entry = retiredRegistryOf(ref);
  return entry?.replacement === undefined ? undefined : entry.replacement + ref.slice(entry.prefix.length);
}

/** True when pulling `image` cannot work any more: its registry is gone. */
export function isOnGoneRegistry(image: string): boolean {
  return retiredRegistryOf(image)?.gone === true;
}

export interface RetiredMention {
  entry: RetiredRegistry;
  /** The reference as written from the prefix on, up to the next space or quote. */
  text: string;
  /** 0-based column of the prefix in the line. */
  column: number;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const byLength = [...RETIRED_REGISTRIES].sort((a, b) => b.prefix.length - a.prefix.length);
/** A prefix as a word of its own: not inside a longer host name, and ending at a path boundary. */
const mentionPattern = new RegExp(`(?<![A-Za-z0-9.-])(?:${byLength.map((r) => escapeRegExp(r.prefix)).join('|')})(?=$|[/:\\s"'\`@])[^\\s"'\`]*`, 'g');

/** Every reference to a retired registry in a line of text (YAML, shell, front matter). */
export function retiredMentions(line: string): RetiredMention[] {
  const out: RetiredMention[] = [];
  for (const m of line.matchAll(mentionPattern)) {
    const entry = retiredRegistryOf(m[0]);
    if (entry) out.push({ entry, text: m[0], column: m.index });
  }
  return out;
}

/** What to say about one reference: what is retired, since when, and what to write instead. */
export function retiredAdvice(text: string): string {
  const entry = retiredRegistryOf(text);
  if (!entry) return `${text} is on no retired registry`;
  const state = entry.gone ? 'shut down' : 'frozen';
  const instead = replaceRetired(text);
  return `${text} is on ${entry.prefix}, ${state} (${entry.since}): ${instead ? `use ${instead}` : 'no replacement was announced; use another image'}`;
}

/** The sed expression labs use to move a sample's images off a retired registry (see labs/README.md). */
export function sedRewrite(entry: RetiredRegistry): string | undefined {
  if (entry.replacement === undefined) return undefined;
  return `s#${entry.prefix.replace(/\./g, '\\.')}/#${entry.replacement}/#`;
}

/**
 * True when `text` rewrites `entry`'s prefix to its replacement: the prefix (dots escaped or not),
 * a delimiter, then the replacement, as in a sed `s` command.
 */
export function rewritesRetired(text: string, entry: RetiredRegistry): boolean {
  if (entry.replacement === undefined) return false;
  const loose = (s: string) => s.split('').map((c) => (c === '.' ? '\\\\?\\.' : c === '/' ? '\\\\?/' : escapeRegExp(c))).join('');
  return new RegExp(`${loose(entry.prefix)}(?:\\\\?/)?[#|,:;@!/]${loose(entry.replacement)}`).test(text);
}
