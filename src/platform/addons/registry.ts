/**
 * Every addon a lab can list, in the order they are installed. Adding one: its module beside this
 * file (an Addon, see types.ts), its name in ADDON_NAMES (src/model/frontmatter-schema.ts), and a
 * line here; the mapped type below does not compile until the names here and there agree.
 *
 * Order: the load balancer first (anything that creates a LoadBalancer Service needs it running:
 * cloud-provider-kind only programs Services it sees), Gateway API CRDs before Istio (istiod only
 * watches Gateway API kinds whose CRDs exist when it starts), then ingress-nginx, Istio, and Istio's
 * sample addons last (they are plain manifests in istio-system).
 */
import type { AddonName } from '../../model/frontmatter-schema.js';
import gatewayApi from './gateway-api.js';
import ingressNginx from './ingress-nginx.js';
import istioAddons from './istio-addons.js';
import istio from './istio.js';
import { cloudProviderKind, metallb } from './loadbalancer.js';
import metricsServer from './metrics-server.js';
import type { Addon } from './types.js';

export const ADDONS: { readonly [K in AddonName]: Addon } = {
  'cloud-provider-kind': cloudProviderKind,
  metallb,
  'metrics-server': metricsServer,
  'gateway-api': gatewayApi,
  'ingress-nginx': ingressNginx,
  istio,
  'istio-addons': istioAddons,
};

/** Addon names in install order. */
export const INSTALL_ORDER = Object.keys(ADDONS) as AddonName[];
