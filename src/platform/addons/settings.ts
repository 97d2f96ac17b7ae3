/**
 * Addons as a lab lists them in front matter: each one's settings checked against its module's
 * schema, the rules between addons applied, and the list put in install order (registry.ts).
 */
import { KindlabError } from '../../core/errors.js';
import { addonSpecName, type AddonName, type AddonSpec } from '../../model/frontmatter-schema.js';
import { ADDONS, INSTALL_ORDER } from './registry.js';
import type { Addon } from './types.js';

export interface ResolvedAddon {
  name: AddonName;
  /** Parsed by the addon's own schema (ADDONS[name].settings). */
  settings: object;
  /** Why kindlab added it although the lab does not list it. */
  implicit?: string;
}

function problem(message: string): KindlabError {
  return new KindlabError('lab-format', message);
}

function split(spec: AddonSpec): [AddonName, unknown] {
  const name = addonSpecName(spec);
  return [name, typeof spec === 'string' ? {} : (spec[name] ?? {})];
}

/** The module of a resolved addon. */
export const addonOf = (a: ResolvedAddon): Addon => ADDONS[a.name];

/**
 * Parses and orders a lab's addons. Refuses what cannot work together, and adds the default load
 * balancer when an addon would otherwise leave a LoadBalancer Service pending forever.
 */
export function resolveAddons(specs: readonly AddonSpec[], clusterNames: readonly string[]): ResolvedAddon[] {
  const byName = new Map<AddonName, ResolvedAddon>();
  for (const spec of specs) {
    const [name, raw] = split(spec);
    if (byName.has(name)) throw problem(`addon ${name} is listed twice`);
    const parsed = ADDONS[name].settings.safeParse(raw);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw problem(`addon ${name}: ${first?.path.length ? `${first.path.join('.')}: ` : ''}${first?.message ?? 'invalid settings'}`);
    }
    for (const c of clustersOf(parsed.data) ?? []) {
      if (!clusterNames.includes(c)) throw problem(`addon ${name}: unknown cluster "${c}" (the lab has ${clusterNames.map((n) => n || '(unnamed)').join(', ')})`);
    }
    byName.set(name, { name, settings: parsed.data });
  }

  const listed = INSTALL_ORDER.filter((n) => byName.has(n));
  const balancers = listed.filter((n) => ADDONS[n].loadBalancer);
  if (balancers.length > 1) throw problem(`addons ${balancers.join(' and ')} both provide LoadBalancer IPs; list only one`);
  for (const name of listed) {
    const addon = ADDONS[name];
    const settings = (byName.get(name) as ResolvedAddon).settings;
    for (const needed of addon.requires ?? []) if (!byName.has(needed)) throw problem(`addon ${name} needs the ${needed} addon`);
    const wrong = addon.problem?.(settings);
    if (wrong) throw problem(`${name}: ${wrong}`);
  }

  if (balancers.length === 0) {
    const why = listed.map((n) => ADDONS[n].needsLoadBalancer?.((byName.get(n) as ResolvedAddon).settings)).find((w) => w !== undefined);
    const fallback = INSTALL_ORDER.find((n) => ADDONS[n].loadBalancer === 'default');
    if (why && fallback) byName.set(fallback, { name: fallback, settings: {}, implicit: why });
  }

  return INSTALL_ORDER.filter((n) => byName.has(n)).map((n) => byName.get(n) as ResolvedAddon);
}

function clustersOf(settings: object): readonly string[] | undefined {
  return 'clusters' in settings && Array.isArray(settings.clusters) ? (settings.clusters as string[]) : undefined;
}

/** The clusters (front-matter names) an addon applies to. */
export function addonClusters(addon: ResolvedAddon, all: readonly string[]): string[] {
  const only = clustersOf(addon.settings);
  return only ? all.filter((c) => only.includes(c)) : [...all];
}
