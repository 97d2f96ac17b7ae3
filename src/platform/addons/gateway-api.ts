/**
 * Gateway API CRDs: kindlab applies the pinned release's standard-install.yaml itself instead of
 * relying on cloud-provider-kind, which also creates them but asynchronously, some time after it
 * notices the cluster; a lab step creating a Gateway right after `start` would race it. Its CRD
 * manager only creates missing CRDs (pkg/gateway/crd_manager.go), so the two do not conflict as long
 * as both use the standard channel. Server-side apply: the CRDs are too large for the
 * last-applied-configuration annotation of a client-side apply; --force-conflicts because
 * cloud-provider-kind may already own the same fields under its own field manager.
 */
import { z } from 'zod';
import type { KubeObject } from '../../core/seams.js';
import { kubectlArgs, mustRun } from '../kind/run.js';
import { allNamedReady, crdEstablished, waitFor } from '../kind/wait.js';
import { DEFAULT_ADDON_TIMEOUT_MS, type ClusterContext } from './context.js';
import { clustersSetting, type ClusterAddon } from './types.js';

const PHASE_GATEWAY = 'Installing Gateway API CRDs';

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

const settings = z.strictObject({
  clusters: clustersSetting,
  /**
   * Only the standard channel: cloud-provider-kind installs standard CRDs, and Gateway API ≥ 1.5
   * ships an admission policy that refuses experimental CRDs over standard ones.
   */
  channel: z.literal('standard').optional(),
});

const gatewayApi: ClusterAddon<z.infer<typeof settings>> = {
  scope: 'cluster',
  settings,
  versions: (pins) => ({ 'gateway-api': pins.gatewayApi }),
  downloads: (pins) => [{ url: gatewayApiUrl(pins.gatewayApi), check: 'exists', why: `Gateway API ${pins.gatewayApi} CRDs` }],
  install: (ctx) => installGatewayApi(ctx),
  script(w, _settings, t) {
    const k = (...args: string[]) => w.command(['kubectl', '--context', t.context, ...args]);
    w.lines(
      `say "Installing Gateway API ${w.pins.gatewayApi} CRDs in ${t.kindName}"`,
      k('apply', '--server-side', '--force-conflicts', '-f', gatewayApiUrl(w.pins.gatewayApi)),
      k('wait', '--for=condition=Established', '--timeout=300s', ...GATEWAY_API_CORE_CRDS.map((c) => `crd/${c}`)),
    );
  },
};
export default gatewayApi;
