/** Which tools a lab needs, from its addons: helm, Istio and cloud-provider-kind are fetched only for labs that use them. */
import type { AddonSpec } from '../../model/frontmatter-schema.js';
import type { ToolName } from './versions.js';

const byAddon: Record<string, ToolName[]> = {
  istio: ['istioctl'],
  'istio-addons': ['istioctl'],
  'ingress-nginx': ['helm'],
  'cloud-provider-kind': ['cloudProviderKind'],
};

export function addonName(addon: AddonSpec): string {
  return typeof addon === 'string' ? addon : (Object.keys(addon)[0] ?? '');
}

export function toolsForAddons(addons: readonly AddonSpec[]): ToolName[] {
  const need = new Set<ToolName>(['kind', 'kubectl']);
  for (const a of addons) for (const t of byAddon[addonName(a)] ?? []) need.add(t);
  return [...need];
}
