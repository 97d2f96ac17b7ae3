/**
 * The schema of a lab's front matter. It is the single source of truth: the TypeScript types,
 * the validation messages and the published JSON Schema (schema/lab-frontmatter.json) all come
 * from it.
 */
import { z } from 'zod';
import { durationPattern } from '../core/duration.js';

/**
 * A string matching `pattern`, described to authors as `phrase`: zod's message when it does not
 * match, and the description in the JSON Schema, which error messages and editors read.
 */
export const patterned = (pattern: RegExp, phrase: string) => z.string().regex(pattern, phrase).describe(phrase);

export const duration = patterned(durationPattern, 'a duration like 30s, 5m or 1h');
const labelMap = z.record(z.string(), z.string());
const variableName = patterned(/^[A-Z][A-Z0-9_]*$/, 'an upper-case variable name like GATEWAY_URL');
const cidr = patterned(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'an IPv4 CIDR like 10.244.0.0/16');

export const portMappingSchema = z.strictObject({
  containerPort: z.int().min(1).max(65535),
  hostPort: z.int().min(1).max(65535),
  /** Host address to bind; kindlab defaults to 127.0.0.1 so nothing is exposed to the network. */
  listenAddress: z.string().default('127.0.0.1'),
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).default('TCP'),
});

export const nodeSchema = z.strictObject({
  role: z.enum(['control-plane', 'worker']),
  /** Labels kind passes to the kubelet (no kubernetes.io/k8s.io prefixes: the kubelet refuses those). */
  labels: labelMap.optional(),
  /** Node roles applied after creation as node-role.kubernetes.io/<role>=true (kind cannot set them). */
  roles: z.array(patterned(/^[a-z0-9][a-z0-9-]*$/, 'a role name like ingress (lower-case letters, digits, dashes)')).optional(),
  portMappings: z.array(portMappingSchema).optional(),
});

export const clusterSchema = z
  .strictObject({
    /** Short name within the lab; omit for single-cluster labs. The kind cluster is kindlab-<lab>[-<name>]. */
    name: patterned(/^[a-z0-9][a-z0-9-]{0,15}$/, 'a short name like east (lower-case letters, digits, dashes; at most 16)').optional(),
    /** Shorthand: N workers after one control-plane. Use `nodes` for labels, roles or port mappings. */
    workers: z.int().min(0).max(8).optional(),
    nodes: z.array(nodeSchema).min(1).optional(),
    podSubnet: cidr.optional(),
    serviceSubnet: cidr.optional(),
    /** Environment variable holding this cluster's kubeconfig context name (e.g. CTX_CLUSTER1). */
    contextVar: variableName.optional(),
  })
  .refine((c) => !(c.workers !== undefined && c.nodes !== undefined), 'use either `workers` or `nodes`, not both');

/**
 * The addons a lab can list. Each is implemented by one module in src/platform/addons (its
 * settings, install, exported bash, images, tools), listed in src/platform/addons/registry.ts.
 */
export const ADDON_NAMES = ['cloud-provider-kind', 'metallb', 'ingress-nginx', 'gateway-api', 'istio', 'istio-addons', 'metrics-server'] as const;
export type AddonName = (typeof ADDON_NAMES)[number];
const addonName = z.enum(ADDON_NAMES);

/** An addon is a name, or a one-key map from name to its settings. */
export const addonSchema = z.union([
  addonName,
  // partialRecord: a record keyed by an enum would otherwise require every addon to be present.
  z.partialRecord(addonName, z.record(z.string(), z.unknown())).refine((o) => Object.keys(o).length === 1, 'one addon per item'),
]);

export const frontMatterSchema = z.strictObject({
  id: patterned(/^[a-z0-9][a-z0-9-]{1,30}$/, '2 to 31 lower-case letters, digits and dashes, like canary-l4'),
  title: z.string().min(3),
  summary: z.string().min(10),
  source: z.strictObject({
    title: z.string(),
    url: z.url().optional(),
    note: z.string().optional(),
  }),
  duration,
  difficulty: z.enum(['beginner', 'intermediate', 'advanced']).default('intermediate'),
  tags: z.array(z.string()).default([]),
  requires: z.strictObject({
    memoryGiB: z.number().positive(),
    cpus: z.int().positive(),
    diskGiB: z.number().positive().optional(),
  }),
  clusters: z.array(clusterSchema).min(1),
  addons: z.array(addonSchema).default([]),
  /** Extra environment for every command of the lab (values may use ${VAR}). */
  env: z.record(variableName, z.string()).default({}),
  /** Images the manifests reference indirectly (e.g. from a release tarball) that prefetch must pull. */
  images: z.array(z.string()).default([]),
  /** Networking between the lab's clusters. */
  network: z
    .strictObject({
      /**
       * Route pod CIDRs between the clusters (on every node, a route to each node of the other
       * clusters), so pods reach pods across clusters directly: one Istio network.
       */
      podRoutes: z.boolean().default(false),
    })
    .optional(),
}).superRefine((fm, ctx) => {
  if (fm.network?.podRoutes) podRoutesProblems(fm.clusters, ctx);
  // Several clusters are told apart by name (kind cluster names, `cluster:` in checks).
  if (fm.clusters.length < 2) return;
  const seen = new Set<string>();
  fm.clusters.forEach((c, i) => {
    if (c.name === undefined) ctx.addIssue({ code: 'custom', path: ['clusters', i], message: 'give every cluster a `name` when the lab has more than one' });
    else if (seen.has(c.name)) ctx.addIssue({ code: 'custom', path: ['clusters', i, 'name'], message: `cluster name "${c.name}" is used twice` });
    else seen.add(c.name);
  });
});

/** IPv4 CIDR → [first, last] address as numbers. */
function cidrRange(cidr: string): [number, number] {
  const [ip = '', bits = '32'] = cidr.split('/');
  const start = ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const size = 2 ** (32 - Number(bits));
  const first = start - (start % size);
  return [first, first + size - 1];
}

/**
 * Routed clusters share one address space: every cluster must name its pod and service subnets
 * (kind's defaults are the same in every cluster) and no two of those ranges may overlap.
 */
function podRoutesProblems(clusters: readonly z.infer<typeof clusterSchema>[], ctx: z.RefinementCtx): void {
  if (clusters.length < 2) {
    ctx.addIssue({ code: 'custom', path: ['network', 'podRoutes'], message: 'podRoutes connects several clusters; this lab has one' });
    return;
  }
  const ranges: Array<{ cidr: string; path: (string | number)[]; range: [number, number] }> = [];
  clusters.forEach((c, i) => {
    for (const field of ['podSubnet', 'serviceSubnet'] as const) {
      const cidr = c[field];
      if (cidr === undefined) {
        ctx.addIssue({ code: 'custom', path: ['clusters', i], message: `with network.podRoutes every cluster sets ${field}, so the clusters' ranges cannot overlap` });
        continue;
      }
      const range = cidrRange(cidr);
      const clash = ranges.find((r) => r.range[0] <= range[1] && range[0] <= r.range[1]);
      if (clash) ctx.addIssue({ code: 'custom', path: ['clusters', i, field], message: `${cidr} overlaps ${clash.cidr} (${clash.path.join('.')}); routed clusters need disjoint ranges` });
      ranges.push({ cidr, path: ['clusters', i, field], range });
    }
  });
}

export type FrontMatter = z.infer<typeof frontMatterSchema>;
export type ClusterSpec = z.infer<typeof clusterSchema>;
export type NodeSpec = z.infer<typeof nodeSchema>;
export type AddonSpec = z.infer<typeof addonSchema>;

/** The addon an item of `addons` names. */
export function addonSpecName(spec: AddonSpec): AddonName {
  return typeof spec === 'string' ? spec : (Object.keys(spec)[0] as AddonName);
}
