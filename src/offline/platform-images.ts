/**
 * Images the platform itself needs for a lab, beside the ones its manifests name: the pinned kind
 * node image, and what each of its addons declares (src/platform/addons, `images`). Addons installed
 * from remote manifests or charts cannot be read offline, so each lists its images next to the pin
 * they follow. `host` images run in the host's Docker engine and must be in its image store (a
 * registry mirror does not help them); `cluster` images are pulled by containerd in the kind nodes.
 */
import type { FrontMatter } from '../model/frontmatter-schema.js';
import { istioImages } from '../platform/addons/istio.js';
import { addonOf, resolveAddons } from '../platform/addons/settings.js';
import type { PlatformImage } from '../platform/addons/types.js';
import type { Pins } from '../platform/tools/versions.js';

/** The image of the offline registry container (distribution 2.8, the registry kind's docs use). */
export const REGISTRY_IMAGE = 'docker.io/library/registry:2.8.3';

/**
 * The platform images of one lab. `installsIstio` is true when a step runs `istioctl install`
 * itself (a lab that teaches the install does not list the istio addon).
 */
export function platformImages(meta: FrontMatter, pins: Pins, installsIstio: boolean): PlatformImage[] {
  const out: PlatformImage[] = [{ ref: pins.nodeImage, place: 'host', why: `kind node image (Kubernetes ${pins.k8s})` }];
  const addons = resolveAddons(
    meta.addons,
    meta.clusters.map((c) => c.name ?? ''),
  );
  for (const a of addons) out.push(...(addonOf(a).images?.(a.settings, pins) ?? []));
  if (installsIstio) out.push(...istioImages(pins.istio, undefined));
  return out.filter((img, i) => out.findIndex((o) => o.ref === img.ref) === i);
}
