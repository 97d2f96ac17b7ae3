/**
 * What the upstream check asks about, derived from the same code that uses it, never listed by hand:
 *  - images: every lab's list as `kindlab prefetch` computes it (src/offline/images.ts: manifests,
 *    front matter `images:`, `--image` and `docker run` arguments, and the platform's own images from
 *    platform-images.ts), once more with `--load-balancer metallb` for the MetalLB images, plus every
 *    kind node image pinned in pins.ts (not only the default one) and the offline registry's image;
 *  - URLs: every tool download and its checksum file for each platform the catalog builds one for
 *    (src/platform/tools/catalog.ts with the versions of versions.ts), and the manifests and chart the
 *    addons install from.
 * Images named only in an Istio release's samples are found when that release is in kindlab's cache.
 */
import type { Lab } from '../../model/lab.js';
import { labImages, mergeImageLists, type LabImages } from '../images.js';
import { formatImage, parseImage } from '../image-ref.js';
import { REGISTRY_IMAGE } from '../platform-images.js';
import { withLoadBalancer } from '../../platform/addons/load-balancer-choice.js';
import { CPK_ENVOY_IMAGE } from '../../platform/addons/loadbalancer.js';
import { ADDONS, INSTALL_ORDER } from '../../platform/addons/registry.js';
import { DEFAULT_SOURCES, TOOLS } from '../../platform/tools/catalog.js';
import { hostPlatform, platformDir, type HostPlatform } from '../../platform/tools/host.js';
import { cachedLocation } from '../../platform/tools/install.js';
import { PINS } from '../../platform/tools/pins.js';
import { TOOL_NAMES, toolVersion, type Pins } from '../../platform/tools/versions.js';
import { pathExists } from '../../core/fs.js';

export interface ImageTarget {
  /** Normalized reference, registry/repository[:tag][@digest]. */
  ref: string;
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
  /** The labs that pull it, or the pin it comes from. */
  usedBy: string[];
}

export interface UrlTarget {
  url: string;
  /** exists: the file answers; checksum: the list has an entry for `entry`; chart-index: the Helm repository index lists `entry`. */
  check: 'exists' | 'checksum' | 'chart-index';
  entry?: string;
  usedBy: string;
}

export interface UpstreamTargets {
  images: ImageTarget[];
  urls: UrlTarget[];
  /** References the image lists could not read (an Istio release not in the cache), each once. */
  unresolved: Array<{ ref: string; why: string; labs: string[] }>;
}

/** Every platform a tool is downloaded for somewhere: attendees' machines and `prefetch --platforms`. */
export const PROBE_PLATFORMS: HostPlatform[] = [
  { os: 'linux', arch: 'amd64' },
  { os: 'linux', arch: 'arm64' },
  { os: 'darwin', arch: 'amd64' },
  { os: 'darwin', arch: 'arm64' },
  { os: 'windows', arch: 'amd64' },
  { os: 'windows', arch: 'arm64' },
];

/** The unpacked Istio release of the pins, when it is in the cache: it resolves $ISTIO_HOME/samples references. */
async function cachedIstioHome(pins: Pins, cacheDir: string): Promise<string | undefined> {
  let host: HostPlatform;
  try {
    host = hostPlatform();
  } catch {
    return undefined;
  }
  const loc = cachedLocation(cacheDir, TOOLS.istioctl, pins.istio, host, DEFAULT_SOURCES);
  const home = 'home' in loc ? loc.home : undefined;
  return home && (await pathExists(home)) ? home : undefined;
}

export async function imageTargets(labs: readonly Lab[], pins: Pins, cacheDir: string): Promise<Pick<UpstreamTargets, 'images' | 'unresolved'>> {
  const istioHome = await cachedIstioHome(pins, cacheDir);
  const lists: LabImages[] = [];
  for (const lab of labs) {
    lists.push(await labImages(lab, { pins, ...(istioHome ? { istioHome } : {}) }));
    const withMetallb = withLoadBalancer(lab, 'metallb');
    if (withMetallb !== lab) lists.push({ ...(await labImages(withMetallb, { pins, ...(istioHome ? { istioHome } : {}) })), lab: `${lab.meta.id} (--load-balancer metallb)` });
  }
  const merged = mergeImageLists(lists);
  const byRef = new Map<string, ImageTarget>();
  const add = (raw: string, usedBy: string[]) => {
    const p = parseImage(raw);
    if (!p) return;
    const ref = formatImage(p);
    const known = byRef.get(ref);
    if (known) known.usedBy.push(...usedBy.filter((u) => !known.usedBy.includes(u)));
    else byRef.set(ref, { ref, registry: p.registry, repository: p.repository, ...(p.tag ? { tag: p.tag } : {}), ...(p.digest ? { digest: p.digest } : {}), usedBy: [...usedBy] });
  };
  for (const img of merged.images) add(img.ref, img.labs);
  for (const n of PINS.nodeImages) add(n.image, [`pins.ts: node image for Kubernetes ${n.k8s} (kind ${PINS.kind})`]);
  add(pins.cloudProviderKindImage, ['pins.ts: cloud-provider-kind']);
  add(CPK_ENVOY_IMAGE, ['addons/loadbalancer.ts: Envoy of cloud-provider-kind']);
  add(REGISTRY_IMAGE, ['platform-images.ts: the offline registry']);

  const unresolved = new Map<string, { ref: string; why: string; labs: string[] }>();
  for (const u of merged.unresolved) {
    const known = unresolved.get(u.ref);
    if (known) {
      if (!known.labs.includes(u.lab)) known.labs.push(u.lab);
    } else unresolved.set(u.ref, { ref: u.ref, why: u.why, labs: [u.lab] });
  }
  return { images: [...byRef.values()].sort((a, b) => (a.ref < b.ref ? -1 : 1)), unresolved: [...unresolved.values()] };
}

export function urlTargets(pins: Pins): UrlTarget[] {
  const out: UrlTarget[] = [];
  for (const tool of TOOL_NAMES) {
    const spec = TOOLS[tool];
    const version = toolVersion(pins, tool);
    for (const host of PROBE_PLATFORMS) {
      let artifact;
      try {
        artifact = spec.artifact(version, host, DEFAULT_SOURCES);
      } catch {
        continue; // not published for this platform (kind on windows/arm64, Istio and Helm .zip builds)
      }
      const usedBy = `${spec.command} ${version} ${platformDir(host)}`;
      out.push({ url: artifact.url, check: 'exists', usedBy });
      out.push({ url: artifact.checksumUrl, check: 'checksum', entry: artifact.fileName, usedBy: `${usedBy} (checksum)` });
    }
  }
  // What the addons fetch at install time, from the addon registry.
  for (const name of INSTALL_ORDER) {
    for (const d of ADDONS[name].downloads?.(pins) ?? []) out.push({ url: d.url, check: d.check, ...(d.entry ? { entry: d.entry } : {}), usedBy: d.why });
  }
  return out;
}

export async function upstreamTargets(labs: readonly Lab[], pins: Pins, cacheDir: string): Promise<UpstreamTargets> {
  return { ...(await imageTargets(labs, pins, cacheDir)), urls: urlTargets(pins) };
}
