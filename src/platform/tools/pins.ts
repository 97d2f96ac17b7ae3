/**
 * Pinned versions: the one place to bump when upstream releases. Everything else (URLs, doctor
 * checks, addon installs) derives from this table through versions.ts.
 *
 * Sources (research date 2026-11-21, /work/shared/research/kind-istio-recipes.md §0 unless noted):
 * - kind v0.33.0 and its node images: kind v0.33.0 release notes. kind requires digest pinning
 *   ("You must use the @sha256 digest to guarantee an image built for this release"). The digests
 *   are re-checked at release time by the lab build pipeline (marked VERIFY in the research).
 * - Default Kubernetes v1.35.8: inside Istio 1.31's supported range (1.32–1.36) and ingress-nginx
 *   v1.15.1's tested range (1.31–1.35). kind's own default (1.37.0) is outside Istio 1.31's range.
 * - kubectl: same patch as the node image (kind node images are built from that Kubernetes release,
 *   so the matching kubectl exists on dl.k8s.io).
 * - Istio 1.31.1 (2026-09-21): istio.io announcing-1.31.1.
 * - Helm v4.2.4: newest tag of helm/helm in the git mirror of 2026-08-20 (tagged 2026-08-13, released
 *   alongside v3.21.4). Helm 4 is the current major; Helm 3 only gets security fixes after Helm 4's
 *   release, and the only chart the labs install (ingress-nginx 4.15.1) works with both.
 * - cloud-provider-kind v0.11.1 (tag 2026-06-25): kubernetes-sigs/cloud-provider-kind git tags.
 *   v0.11.0 is the first release with a `version` subcommand.
 * - ingress-nginx chart 4.15.1 / controller v1.15.1 (final release, 2026-03-20), MetalLB v0.16.1,
 *   Gateway API v1.6.1 standard channel.
 */

export interface NodeImagePin {
  /** Kubernetes version, e.g. v1.35.8. */
  k8s: string;
  /** Full reference with digest, as kind's `image:` field wants it. */
  image: string;
}

export const PINS = {
  kind: 'v0.33.0',
  /** Node images published with kind v0.33.0, newest first. */
  nodeImages: [
    { k8s: 'v1.37.0', image: 'kindest/node:v1.37.0@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5' },
    { k8s: 'v1.36.4', image: 'kindest/node:v1.36.4@sha256:099e049362a1526b2db71494e1947aae99bd16290d7c895f2b7ea312e3cbfaed' },
    { k8s: 'v1.35.8', image: 'kindest/node:v1.35.8@sha256:07b2536e30b803ed61d1677a79df6115f798ce64c80f9e22f6ed45afd09323c0' },
    { k8s: 'v1.34.11', image: 'kindest/node:v1.34.11@sha256:44e222ee2132dab25ff87301682f89eb82c7880ea3a1bf543bfe9708fd08d67d' },
  ] satisfies NodeImagePin[],
  defaultK8s: 'v1.35.8',
  istio: '1.31.1',
  /** Kubernetes minors each Istio minor officially supports (istio.io release announcements). */
  istioSupportedK8s: { '1.31': { min: '1.32', max: '1.36' } } as Record<string, { min: string; max: string }>,
  helm: 'v4.2.4',
  cloudProviderKind: 'v0.11.1',
  cloudProviderKindImage: 'registry.k8s.io/cloud-provider-kind/cloud-controller-manager:v0.11.1',
  ingressNginx: { chart: '4.15.1', controller: 'v1.15.1' },
  metallb: 'v0.16.1',
  gatewayApi: 'v1.6.1',
} as const;
