/**
 * `--load-balancer metallb`: runs a lab with MetalLB where it would use cloud-provider-kind, for
 * machines where cloud-provider-kind cannot run (no access to the Docker socket: rootless Docker,
 * some Podman setups). The lab file is not changed; only this run's copy of its front matter.
 */
import { KindlabError } from '../../core/errors.js';
import { addonSpecName } from '../../model/frontmatter-schema.js';
import type { Lab } from '../../model/lab.js';
import { ADDONS, INSTALL_ORDER } from './registry.js';
import { resolveAddons } from './settings.js';

/** The addons that give LoadBalancer IPs, the default one first. */
const LOAD_BALANCERS = [
  ...INSTALL_ORDER.filter((n) => ADDONS[n].loadBalancer === 'default'),
  ...INSTALL_ORDER.filter((n) => ADDONS[n].loadBalancer === 'alternative'),
];

export function withLoadBalancer(lab: Lab, choice: string | undefined): Lab {
  if (choice === undefined || choice === LOAD_BALANCERS[0]) return lab;
  const chosen = LOAD_BALANCERS.find((n) => n === choice);
  if (!chosen) {
    throw new KindlabError('usage', `unknown load balancer "${choice}"`, { fix: `Choose one of: ${LOAD_BALANCERS.join(', ')}.` });
  }
  const names = lab.meta.clusters.map((c) => c.name ?? '');
  // The one the lab gets, listed or added because a LoadBalancer Service needs it.
  const current = resolveAddons(lab.meta.addons, names).find((a) => ADDONS[a.name].loadBalancer);
  if (!current || current.name === chosen) return lab;
  const addons = lab.meta.addons.filter((a) => addonSpecName(a) !== current.name);
  return { ...lab, meta: { ...lab.meta, addons: [...addons, chosen] } };
}
