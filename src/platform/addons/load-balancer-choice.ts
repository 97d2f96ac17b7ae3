/**
 * `--load-balancer metallb`: runs a lab with MetalLB where it would use cloud-provider-kind, for
 * machines where cloud-provider-kind cannot run (no access to the Docker socket: rootless Docker,
 * some Podman setups). The lab file is not changed; only this run's copy of its front matter.
 */
import { KindlabError } from '../../core/errors.js';
import type { Lab } from '../../model/lab.js';
import { resolveAddons } from './settings.js';

export const LOAD_BALANCERS = ['cloud-provider-kind', 'metallb'] as const;
export type LoadBalancerChoice = (typeof LOAD_BALANCERS)[number];

const nameOf = (spec: Lab['meta']['addons'][number]) => (typeof spec === 'string' ? spec : Object.keys(spec)[0]);

export function withLoadBalancer(lab: Lab, choice: string | undefined): Lab {
  if (choice === undefined || choice === 'cloud-provider-kind') return lab;
  if (choice !== 'metallb') {
    throw new KindlabError('usage', `unknown load balancer "${choice}"`, { fix: `Choose one of: ${LOAD_BALANCERS.join(', ')}.` });
  }
  const names = lab.meta.clusters.map((c) => c.name ?? '');
  const usesCpk = resolveAddons(lab.meta.addons, names).some((a) => a.name === 'cloud-provider-kind');
  if (!usesCpk) return lab;
  const addons = lab.meta.addons.filter((a) => nameOf(a) !== 'cloud-provider-kind');
  return { ...lab, meta: { ...lab.meta, addons: [...addons, 'metallb'] } };
}
