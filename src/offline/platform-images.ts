/**
 * Images the platform itself needs for a lab, beside the ones its manifests name. Two places use them:
 *  - `host` images run in the host's Docker engine (kind node containers, cloud-provider-kind and
 *    the Envoy containers it starts per LoadBalancer, the offline registry). They must be in the
 *    host's image store; a registry mirror does not help them.
 *  - `cluster` images are pulled by containerd inside the kind nodes, through the mirror.
 *
 * Sources:
 *  - kindest/node and cloud-provider-kind: pins.ts.
 *  - Envoy for cloud-provider-kind v0.11.1: its pkg/constants/constants.go DefaultProxyImageName
 *    "envoyproxy/envoy:v1.33.2" on registry docker.io (read from the v0.11.1 tag).
 *  - Istio: istioctl installs `<hub>/pilot:<v>` and `<hub>/proxyv2:<v>` (gateways and sidecars)
 *    with the release's default hub docker.io/istio; the ambient profile adds ztunnel and install-cni.
 *  - Addons installed from remote manifests (MetalLB, metrics-server, the ingress-nginx chart) cannot
 *    be parsed offline, so their images are listed here next to the pin they follow. The
 *    ingress-nginx references are the chart's digest-pinned ones as the ingress-ha lab lists them.
 *    ASSUMED: metallb-native.yaml of the pinned tag uses quay.io/metallb/{controller,speaker}:<tag>
 *    and metrics-server's components.yaml uses registry.k8s.io/metrics-server/metrics-server:<tag>.
 */
import type { FrontMatter } from '../model/frontmatter-schema.js';
import { METRICS_SERVER_VERSION } from '../platform/addons/metrics-server.js';
import { resolveAddons, type AddonSettings } from '../platform/addons/settings.js';
import { PINS } from '../platform/tools/pins.js';
import type { Pins } from '../platform/tools/versions.js';

export type ImagePlace = 'host' | 'cluster';

export interface PlatformImage {
  ref: string;
  place: ImagePlace;
  why: string;
}

export const CPK_ENVOY_IMAGE = 'docker.io/envoyproxy/envoy:v1.33.2';
/** The image of the offline registry container (distribution 2.8, the registry kind's docs use). */
export const REGISTRY_IMAGE = 'docker.io/library/registry:2.8.3';
export const ISTIO_HUB = 'docker.io/istio';

const INGRESS_NGINX_IMAGES: Record<string, string[]> = {
  'v1.15.1': [
    'registry.k8s.io/ingress-nginx/controller:v1.15.1@sha256:594ceea76b01c592858f803f9ff4d2cb40542cae2060410b2c95f75907d659e1',
    'registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.6.9@sha256:01038e7de14b78d702d2849c3aad72fd25903c4765af63cf16aa3398f5d5f2dd',
  ],
};

export function istioImages(version: string, profile: string | undefined): PlatformImage[] {
  const images = ['pilot', 'proxyv2', ...(profile === 'ambient' ? ['ztunnel', 'install-cni'] : [])];
  return images.map((name) => ({ ref: `${ISTIO_HUB}/${name}:${version}`, place: 'cluster' as const, why: `Istio ${version} (${name})` }));
}

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
  let istioAdded = false;
  for (const addon of addons) {
    switch (addon.name) {
      case 'cloud-provider-kind':
        out.push({ ref: pins.cloudProviderKindImage, place: 'host', why: 'cloud-provider-kind' });
        out.push({ ref: CPK_ENVOY_IMAGE, place: 'host', why: 'Envoy load balancers started by cloud-provider-kind' });
        break;
      case 'metallb':
        for (const c of ['controller', 'speaker']) out.push({ ref: `quay.io/metallb/${c}:${pins.metallb}`, place: 'cluster', why: `MetalLB ${pins.metallb}` });
        break;
      case 'metrics-server':
        out.push({ ref: `registry.k8s.io/metrics-server/metrics-server:${METRICS_SERVER_VERSION}`, place: 'cluster', why: 'metrics-server' });
        break;
      case 'ingress-nginx':
        for (const ref of INGRESS_NGINX_IMAGES[pins.ingressNginx.controller] ?? INGRESS_NGINX_IMAGES[PINS.ingressNginx.controller] ?? []) {
          out.push({ ref, place: 'cluster', why: `ingress-nginx chart ${pins.ingressNginx.chart}` });
        }
        break;
      case 'istio':
        out.push(...istioImages(pins.istio, (addon.settings as AddonSettings['istio']).profile));
        istioAdded = true;
        break;
      default:
        break;
    }
  }
  if (installsIstio && !istioAdded) out.push(...istioImages(pins.istio, undefined));
  return out;
}
