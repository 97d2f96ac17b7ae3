/**
 * Addons as a lab lists them in front matter, checked and put in the order they must be installed.
 *
 * Order: the load balancer first (anything that creates a LoadBalancer Service needs it running:
 * cloud-provider-kind only programs Services it sees), Gateway API CRDs before Istio (istiod only
 * watches Gateway API kinds whose CRDs exist when it starts), then ingress-nginx, Istio, and Istio's
 * sample addons last (they are plain manifests in istio-system).
 */
import { z } from 'zod';
import { KindlabError } from '../../core/errors.js';
import type { AddonSpec } from '../../lab/frontmatter-schema.js';

export const ADDON_ORDER = [
  'cloud-provider-kind',
  'metallb',
  'metrics-server',
  'gateway-api',
  'ingress-nginx',
  'istio',
  'istio-addons',
] as const;
export type AddonName = (typeof ADDON_ORDER)[number];

/** Which of the lab's clusters get the addon (front-matter names); all when omitted. */
const clusters = z.array(z.string()).min(1).optional();

export const ISTIO_SAMPLE_ADDONS = ['prometheus', 'grafana', 'kiali', 'jaeger', 'zipkin', 'loki'] as const;
export type IstioSampleAddon = (typeof ISTIO_SAMPLE_ADDONS)[number];

export const settingsSchemas = {
  'cloud-provider-kind': z.strictObject({
    /**
     * --enable-lb-port-mapping (default off): publishes each LoadBalancer port on the host at the
     * same number on all interfaces, so a second LB on that port cannot start and the LAN reaches
     * it (cloud-provider-kind v0.11.1, see loadbalancer.ts). Only for a lab that must reach an LB
     * from the host on Docker Desktop, where LB IPs are not routable.
     */
    portMapping: z.boolean().optional(),
    /** The Docker socket as the daemon sees it; /var/run/docker.sock unless the engine is rootless. */
    dockerSocket: z.string().startsWith('/').optional(),
  }),
  metallb: z.strictObject({ clusters }),
  'metrics-server': z.strictObject({ clusters }),
  'gateway-api': z.strictObject({
    clusters,
    /**
     * Only the standard channel: cloud-provider-kind installs standard CRDs, and Gateway API ≥ 1.5
     * ships an admission policy that refuses experimental CRDs over standard ones.
     */
    channel: z.literal('standard').optional(),
  }),
  'ingress-nginx': z.strictObject({
    clusters,
    kind: z.enum(['Deployment', 'DaemonSet']).optional(),
    replicaCount: z.int().min(1).max(10).optional(),
    nodeSelector: z.record(z.string(), z.string()).optional(),
    tolerations: z.array(z.record(z.string(), z.unknown())).optional(),
    externalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
    serviceType: z.enum(['LoadBalancer', 'NodePort']).optional(),
    /** Extra chart values, merged last (for anything the fields above do not cover). */
    values: z.record(z.string(), z.unknown()).optional(),
  }),
  istio: z.strictObject({
    clusters,
    profile: z.enum(['default', 'demo', 'minimal', 'ambient', 'remote', 'empty', 'preview', 'stable']).optional(),
    /** istioctl --set values, e.g. {"meshConfig.accessLogFile": "/dev/stdout"}. */
    set: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    /** An IstioOperator file in the lab directory, passed with -f. */
    file: z.string().optional(),
    /** An inline IstioOperator `spec`, written to a file and passed with -f. */
    operator: z.record(z.string(), z.unknown()).optional(),
    /** Namespaces to label istio-injection=enabled once istiod is ready. */
    injection: z.array(z.string()).optional(),
    /** Run `istioctl x precheck` first and show its findings (it exits non-zero even on warnings). */
    precheck: z.boolean().optional(),
    /** Workloads to wait for instead of the profile's, as Kind/name in istio-system. */
    wait: z.array(z.string().regex(/^(Deployment|DaemonSet)\/[a-z0-9-]+$/, 'Deployment/<name> or DaemonSet/<name>')).optional(),
  }),
  'istio-addons': z.strictObject({
    clusters,
    addons: z.array(z.enum(ISTIO_SAMPLE_ADDONS)).min(1).optional(),
  }),
} satisfies Record<AddonName, z.ZodType>;

export type AddonSettings = { [K in AddonName]: z.infer<(typeof settingsSchemas)[K]> };

export type ResolvedAddon = { [K in AddonName]: { name: K; settings: AddonSettings[K]; implicit?: string } }[AddonName];

function problem(message: string): KindlabError {
  return new KindlabError('lab-format', message);
}

function split(spec: AddonSpec): [AddonName, unknown] {
  if (typeof spec === 'string') return [spec, {}];
  const [name, settings] = Object.entries(spec)[0] as [AddonName, unknown];
  return [name, settings ?? {}];
}

export const DEFAULT_ISTIO_ADDONS: IstioSampleAddon[] = ['prometheus', 'grafana', 'kiali', 'jaeger'];

/** Profiles whose install includes the istio-ingressgateway LoadBalancer Service. */
const PROFILES_WITH_GATEWAY = new Set(['default', 'demo', 'preview', 'stable']);

/**
 * Parses and orders a lab's addons. Refuses what cannot work together, and adds
 * cloud-provider-kind when an addon would otherwise leave a LoadBalancer Service pending forever.
 */
export function resolveAddons(specs: readonly AddonSpec[], clusterNames: readonly string[]): ResolvedAddon[] {
  const byName = new Map<AddonName, ResolvedAddon>();
  for (const spec of specs) {
    const [name, raw] = split(spec);
    if (byName.has(name)) throw problem(`addon ${name} is listed twice`);
    const parsed = settingsSchemas[name].safeParse(raw);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw problem(`addon ${name}: ${first?.path.length ? `${first.path.join('.')}: ` : ''}${first?.message ?? 'invalid settings'}`);
    }
    const settings = parsed.data as { clusters?: string[] };
    for (const c of settings.clusters ?? []) {
      if (!clusterNames.includes(c)) throw problem(`addon ${name}: unknown cluster "${c}" (the lab has ${clusterNames.map((n) => n || '(unnamed)').join(', ')})`);
    }
    byName.set(name, { name, settings: parsed.data } as ResolvedAddon);
  }

  if (byName.has('cloud-provider-kind') && byName.has('metallb')) {
    throw problem('addons cloud-provider-kind and metallb both provide LoadBalancer IPs; list only one');
  }
  const sample = byName.get('istio-addons');
  if (sample) {
    if (!byName.has('istio')) throw problem('addon istio-addons needs the istio addon');
    const list = (sample.settings as AddonSettings['istio-addons']).addons ?? DEFAULT_ISTIO_ADDONS;
    if (list.includes('jaeger') && list.includes('zipkin')) {
      // Both manifests define the Services `tracing` and `zipkin` in istio-system; the second apply
      // would silently take over the first one's Services.
      throw problem('istio-addons: jaeger and zipkin cannot be installed together (both define the Services "tracing" and "zipkin" in istio-system); pick one');
    }
  }

  if (!byName.has('cloud-provider-kind') && !byName.has('metallb')) {
    const nginx = byName.get('ingress-nginx')?.settings as AddonSettings['ingress-nginx'] | undefined;
    const istio = byName.get('istio')?.settings as AddonSettings['istio'] | undefined;
    const why =
      nginx && (nginx.serviceType ?? 'LoadBalancer') === 'LoadBalancer'
        ? 'ingress-nginx creates a LoadBalancer Service'
        : istio && !istio.file && !istio.operator && PROFILES_WITH_GATEWAY.has(istio.profile ?? 'default')
          ? 'the Istio ingress gateway is a LoadBalancer Service'
          : undefined;
    if (why) byName.set('cloud-provider-kind', { name: 'cloud-provider-kind', settings: {}, implicit: why });
  }

  return ADDON_ORDER.filter((n) => byName.has(n)).map((n) => byName.get(n) as ResolvedAddon);
}

/** The clusters (front-matter names) an addon applies to. */
export function addonClusters(addon: ResolvedAddon, all: readonly string[]): string[] {
  const only = (addon.settings as { clusters?: string[] }).clusters;
  return only ? all.filter((c) => only.includes(c)) : [...all];
}
