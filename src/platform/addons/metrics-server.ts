/**
 * metrics-server, for labs that use `kubectl top` or a HorizontalPodAutoscaler. kind's kubelets
 * serve self-signed certificates (kind does not enable serverTLSBootstrap), so metrics-server needs
 * --kubelet-insecure-tls on kind, added with a JSON patch after the release manifest is applied.
 */
import { z } from 'zod';
import { kubectlArgs, mustRun } from '../kind/run.js';
import { podProblems, waitForWorkloads } from '../kind/wait.js';
import { DEFAULT_ADDON_TIMEOUT_MS, type ClusterContext } from './context.js';
import { clustersSetting, type ClusterAddon } from './types.js';

const PHASE = 'Installing metrics-server';
/** Assumed current release (v0.8.x); not in the research pins — VERIFY when bumping pins. */
const METRICS_SERVER_VERSION = 'v0.8.1';

function metricsServerUrl(version = METRICS_SERVER_VERSION): string {
  return `https://github.com/kubernetes-sigs/metrics-server/releases/download/${version}/components.yaml`;
}

const INSECURE_TLS_PATCH = JSON.stringify([{ op: 'add', path: '/spec/template/spec/containers/0/args/-', value: '--kubelet-insecure-tls' }]);

async function installMetricsServer(ctx: ClusterContext): Promise<void> {
  ctx.status(`Installing metrics-server ${METRICS_SERVER_VERSION} in ${ctx.kindName}`);
  const run = (args: string[]) =>
    mustRun(ctx.runner, PHASE, ctx.tools.kubectl, kubectlArgs(ctx.access, ...args), { env: ctx.env, signal: ctx.signal, timeoutMs: 5 * 60_000 });
  await run(['apply', '-f', metricsServerUrl()]);
  const deploy = await ctx.kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'kube-system', name: 'metrics-server' });
  const args = ((deploy?.spec as { template?: { spec?: { containers?: Array<{ args?: string[] }> } } } | undefined)?.template?.spec?.containers?.[0]?.args) ?? [];
  // Re-running start must not add the flag twice.
  if (!args.includes('--kubelet-insecure-tls')) {
    await run(['-n', 'kube-system', 'patch', 'deployment', 'metrics-server', '--type', 'json', '-p', INSECURE_TLS_PATCH]);
  }
  await waitForWorkloads(ctx.kube, [{ kind: 'Deployment', namespace: 'kube-system', name: 'metrics-server' }], {
    clock: ctx.clock,
    timeoutMs: ctx.timeouts?.addonMs ?? DEFAULT_ADDON_TIMEOUT_MS,
    phase: PHASE,
    status: ctx.status,
    signal: ctx.signal,
    diagnose: async () => (await podProblems(ctx.kube, 'kube-system')).filter((l) => l.includes('metrics-server')),
  });
}

const settings = z.strictObject({ clusters: clustersSetting });

const metricsServer: ClusterAddon<z.infer<typeof settings>> = {
  scope: 'cluster',
  settings,
  downloads: () => [{ url: metricsServerUrl(), check: 'exists', why: 'metrics-server manifest' }],
  // ASSUMED (see METRICS_SERVER_VERSION): components.yaml of the release uses this image.
  images: () => [{ ref: `registry.k8s.io/metrics-server/metrics-server:${METRICS_SERVER_VERSION}`, place: 'cluster', why: 'metrics-server' }],
  install: (ctx) => installMetricsServer(ctx),
  script(w, _settings, t) {
    const k = (...args: string[]) => w.command(['kubectl', '--context', t.context, ...args]);
    w.lines(
      `say "Installing metrics-server in ${t.kindName}"`,
      k('apply', '-f', metricsServerUrl()),
      `if ! ${k('-n', 'kube-system', 'get', 'deployment', 'metrics-server', '-o', 'jsonpath={.spec.template.spec.containers[0].args}')} | grep -q -- --kubelet-insecure-tls; then`,
      `  ${k('-n', 'kube-system', 'patch', 'deployment', 'metrics-server', '--type', 'json', '-p', INSECURE_TLS_PATCH)}`,
      'fi',
      k('-n', 'kube-system', 'rollout', 'status', 'deployment/metrics-server', '--timeout=300s'),
    );
  },
};
export default metricsServer;
