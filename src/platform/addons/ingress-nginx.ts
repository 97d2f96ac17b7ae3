/**
 * ingress-nginx is retired upstream (final release: controller v1.15.1, chart 4.15.1, 2026-03-20);
 * kindlab installs it only for labs about its own annotations. It goes in with Helm and a
 * LoadBalancer Service rather than kind's static hostPort manifest, which pins the controller to
 * host ports and does not fit multi-node clusters. Its IngressClass is `nginx` and never the default,
 * so it does not compete with cloud-provider-kind's built-in Ingress controller.
 * Its images cannot be read from the chart offline, so they are listed here next to the pin they follow.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { mustRun } from '../kind/run.js';
import { waitForWorkloads, podProblems } from '../kind/wait.js';
import { PINS } from '../tools/pins.js';
import { DEFAULT_ADDON_TIMEOUT_MS, type ClusterContext } from './context.js';
import { clustersSetting, type ClusterAddon } from './types.js';

const PHASE_NGINX = 'Installing ingress-nginx';

const settings = z.strictObject({
  clusters: clustersSetting,
  kind: z.enum(['Deployment', 'DaemonSet']).optional(),
  replicaCount: z.int().min(1).max(10).optional(),
  nodeSelector: z.record(z.string(), z.string()).optional(),
  tolerations: z.array(z.record(z.string(), z.unknown())).optional(),
  externalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
  serviceType: z.enum(['LoadBalancer', 'NodePort']).optional(),
  /** Extra chart values, merged last (for anything the fields above do not cover). */
  values: z.record(z.string(), z.unknown()).optional(),
});
type IngressNginxSettings = z.infer<typeof settings>;

const INGRESS_NGINX_REPO = 'https://kubernetes.github.io/ingress-nginx';
const INGRESS_NGINX_NAMESPACE = 'ingress-nginx';
/** Release name `ingress-nginx` makes the chart name its controller `ingress-nginx-controller`. */
export const INGRESS_NGINX_CONTROLLER = 'ingress-nginx-controller';

type Values = Record<string, unknown>;

function isPlainObject(v: unknown): v is Values {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Helm-style deep merge: maps merge key by key, anything else is replaced. */
export function mergeValues(base: Values, extra: Values): Values {
  const out: Values = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    const cur = out[k];
    out[k] = isPlainObject(cur) && isPlainObject(v) ? mergeValues(cur, v) : v;
  }
  return out;
}

/** Chart values for ingress-nginx 4.15.x (charts/ingress-nginx/values.yaml keys). */
export function ingressNginxValues(s: IngressNginxSettings): Values {
  const controller: Values = {
    kind: s.kind ?? 'Deployment',
    ingressClassResource: { name: 'nginx', enabled: true, default: false },
    ingressClass: 'nginx',
    service: {
      type: s.serviceType ?? 'LoadBalancer',
      ...(s.externalTrafficPolicy ? { externalTrafficPolicy: s.externalTrafficPolicy } : {}),
    },
  };
  if (s.replicaCount !== undefined) controller.replicaCount = s.replicaCount;
  if (s.nodeSelector) controller.nodeSelector = { 'kubernetes.io/os': 'linux', ...s.nodeSelector };
  if (s.tolerations) controller.tolerations = s.tolerations;
  return mergeValues({ controller }, s.values ?? {});
}

export async function installIngressNginx(ctx: ClusterContext, settings: IngressNginxSettings): Promise<void> {
  const helm = ctx.tools.helm;
  if (!helm) throw new Error('helm path missing although the lab uses ingress-nginx');
  ctx.status(`Installing ingress-nginx ${ctx.pins.ingressNginx.chart} in ${ctx.kindName} (legacy: retired upstream)`);
  const values = ingressNginxValues(settings);
  const valuesFile = join(ctx.stateDir, `ingress-nginx-${ctx.kindName}.values.yaml`);
  await writeFile(valuesFile, stringify(values));
  // No --wait: Helm still waits for the chart's admission-webhook hook Jobs; the controller itself
  // is awaited below with a watch, which can say what is wrong when it does not come up.
  await mustRun(
    ctx.runner,
    PHASE_NGINX,
    helm,
    [
      'upgrade',
      '--install',
      'ingress-nginx',
      'ingress-nginx',
      '--repo',
      INGRESS_NGINX_REPO,
      '--version',
      ctx.pins.ingressNginx.chart,
      '--namespace',
      INGRESS_NGINX_NAMESPACE,
      '--create-namespace',
      '--values',
      valuesFile,
      '--kubeconfig',
      ctx.access.kubeconfig,
      '--kube-context',
      ctx.access.context,
    ],
    { env: ctx.env, signal: ctx.signal, timeoutMs: 10 * 60_000 },
  );
  const kind = values.controller && isPlainObject(values.controller) && values.controller.kind === 'DaemonSet' ? 'DaemonSet' : 'Deployment';
  await waitForWorkloads(ctx.kube, [{ kind, namespace: INGRESS_NGINX_NAMESPACE, name: INGRESS_NGINX_CONTROLLER }], {
    clock: ctx.clock,
    timeoutMs: ctx.timeouts?.addonMs ?? DEFAULT_ADDON_TIMEOUT_MS,
    phase: PHASE_NGINX,
    status: ctx.status,
    signal: ctx.signal,
    diagnose: () => podProblems(ctx.kube, INGRESS_NGINX_NAMESPACE),
  });
}


/** The chart's images per controller version: its digest-pinned references, as the ingress-ha lab lists them. */
const IMAGES: Record<string, string[]> = {
  'v1.15.1': [
    'registry.k8s.io/ingress-nginx/controller:v1.15.1@sha256:594ceea76b01c592858f803f9ff4d2cb40542cae2060410b2c95f75907d659e1',
    'registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.6.9@sha256:01038e7de14b78d702d2849c3aad72fd25903c4765af63cf16aa3398f5d5f2dd',
  ],
};

const ingressNginx: ClusterAddon<IngressNginxSettings> = {
  scope: 'cluster',
  settings,
  tools: ['helm'],
  versions: (pins) => ({ 'ingress-nginx-chart': pins.ingressNginx.chart }),
  downloads: (pins) => [
    { url: `${INGRESS_NGINX_REPO}/index.yaml`, check: 'chart-index', entry: `ingress-nginx-${pins.ingressNginx.chart}.tgz`, why: `ingress-nginx chart ${pins.ingressNginx.chart}` },
  ],
  images: (_settings, pins) =>
    (IMAGES[pins.ingressNginx.controller] ?? IMAGES[PINS.ingressNginx.controller] ?? []).map((ref) => ({ ref, place: 'cluster', why: `ingress-nginx chart ${pins.ingressNginx.chart}` })),
  needsLoadBalancer: (s) => ((s.serviceType ?? 'LoadBalancer') === 'LoadBalancer' ? 'ingress-nginx creates a LoadBalancer Service' : undefined),
  install: (ctx, s) => installIngressNginx(ctx, s),
  script(w, s, t) {
    const values = w.file(`ingress-nginx-${t.kindName}.values.yaml`, stringify(ingressNginxValues(s)));
    const kind = (s.kind ?? 'Deployment').toLowerCase();
    w.lines(
      `say "Installing ingress-nginx chart ${w.pins.ingressNginx.chart} in ${t.kindName}"`,
      w.command(['helm', 'upgrade', '--install', 'ingress-nginx', 'ingress-nginx', '--repo', INGRESS_NGINX_REPO, '--version', w.pins.ingressNginx.chart, '--namespace', INGRESS_NGINX_NAMESPACE, '--create-namespace', '--values', values, '--kube-context', t.context]),
      w.command(['kubectl', '--context', t.context, '-n', INGRESS_NGINX_NAMESPACE, 'rollout', 'status', `${kind}/${INGRESS_NGINX_CONTROLLER}`, '--timeout=300s']),
    );
  },
};
export default ingressNginx;
