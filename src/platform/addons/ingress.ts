/**
 * Ingress controllers and the Gateway API.
 *
 * ingress-nginx is retired upstream (final release: controller v1.15.1, chart 4.15.1, 2026-03-20);
 * kindlab installs it only for labs about its own annotations. It goes in with Helm and a
 * LoadBalancer Service rather than kind's static hostPort manifest, which pins the controller to
 * host ports and does not fit multi-node clusters. Its IngressClass is `nginx` and never the default,
 * so it does not compete with cloud-provider-kind's built-in Ingress controller.
 *
 * Gateway API CRDs: kindlab applies the pinned release's standard-install.yaml itself instead of
 * relying on cloud-provider-kind, which also creates them but asynchronously, some time after it
 * notices the cluster; a lab step creating a Gateway right after `start` would race it. Its CRD
 * manager only creates missing CRDs (pkg/gateway/crd_manager.go), so the two do not conflict as long
 * as both use the standard channel. Server-side apply: the CRDs are too large for the
 * last-applied-configuration annotation of a client-side apply; --force-conflicts because
 * cloud-provider-kind may already own the same fields under its own field manager.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { KubeObject } from '../../core/seams.js';
import { kubectlArgs, mustRun } from '../kind/run.js';
import { allNamedReady, crdEstablished, waitFor, waitForWorkloads, podProblems } from '../kind/wait.js';
import { DEFAULT_ADDON_TIMEOUT_MS, type ClusterContext } from './context.js';
import type { AddonSettings } from './settings.js';

const PHASE_NGINX = 'Installing ingress-nginx';
const PHASE_GATEWAY = 'Installing Gateway API CRDs';

export const INGRESS_NGINX_REPO = 'https://kubernetes.github.io/ingress-nginx';
export const INGRESS_NGINX_NAMESPACE = 'ingress-nginx';
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
export function ingressNginxValues(s: AddonSettings['ingress-nginx']): Values {
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

export async function installIngressNginx(ctx: ClusterContext, settings: AddonSettings['ingress-nginx']): Promise<void> {
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

export function gatewayApiUrl(version: string): string {
  return `https://github.com/kubernetes-sigs/gateway-api/releases/download/${version}/standard-install.yaml`;
}

/** The CRDs lab steps use right away; the wait ends when the API server serves them. */
export const GATEWAY_API_CORE_CRDS = [
  'gatewayclasses.gateway.networking.k8s.io',
  'gateways.gateway.networking.k8s.io',
  'httproutes.gateway.networking.k8s.io',
  'referencegrants.gateway.networking.k8s.io',
];

export async function installGatewayApi(ctx: ClusterContext): Promise<void> {
  ctx.status(`Installing Gateway API ${ctx.pins.gatewayApi} CRDs (standard channel) in ${ctx.kindName}`);
  await mustRun(
    ctx.runner,
    PHASE_GATEWAY,
    ctx.tools.kubectl,
    kubectlArgs(ctx.access, 'apply', '--server-side', '--force-conflicts', '-f', gatewayApiUrl(ctx.pins.gatewayApi)),
    { env: ctx.env, signal: ctx.signal, timeoutMs: 5 * 60_000 },
  );
  await waitFor(
    ctx.kube,
    { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' },
    'the Gateway API CRDs to be established',
    (objs: KubeObject[]) => allNamedReady(GATEWAY_API_CORE_CRDS, crdEstablished)(objs),
    { clock: ctx.clock, timeoutMs: ctx.timeouts?.addonMs ?? DEFAULT_ADDON_TIMEOUT_MS, phase: PHASE_GATEWAY, status: ctx.status, signal: ctx.signal },
  );
}
