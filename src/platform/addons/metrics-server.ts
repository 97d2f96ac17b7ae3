/**
 * metrics-server, for labs that use `kubectl top` or a HorizontalPodAutoscaler. kind's kubelets
 * serve self-signed certificates (kind does not enable serverTLSBootstrap), so metrics-server needs
 * --kubelet-insecure-tls on kind, added with a JSON patch after the release manifest is applied.
 */
import { kubectlArgs, mustRun } from '../kind/run.js';
import { podProblems, waitForWorkloads } from '../kind/wait.js';
import { DEFAULT_ADDON_TIMEOUT_MS, type ClusterContext } from './context.js';

const PHASE = 'Installing metrics-server';
/** Assumed current release (v0.8.x); not in the research pins — VERIFY when bumping pins. */
export const METRICS_SERVER_VERSION = 'v0.8.1';

export function metricsServerUrl(version = METRICS_SERVER_VERSION): string {
  return `https://github.com/kubernetes-sigs/metrics-server/releases/download/${version}/components.yaml`;
}

export async function installMetricsServer(ctx: ClusterContext): Promise<void> {
  ctx.status(`Installing metrics-server ${METRICS_SERVER_VERSION} in ${ctx.kindName}`);
  const run = (args: string[]) =>
    mustRun(ctx.runner, PHASE, ctx.tools.kubectl, kubectlArgs(ctx.access, ...args), { env: ctx.env, signal: ctx.signal, timeoutMs: 5 * 60_000 });
  await run(['apply', '-f', metricsServerUrl()]);
  const deploy = await ctx.kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'kube-system', name: 'metrics-server' });
  const args = ((deploy?.spec as { template?: { spec?: { containers?: Array<{ args?: string[] }> } } } | undefined)?.template?.spec?.containers?.[0]?.args) ?? [];
  // Re-running start must not add the flag twice.
  if (!args.includes('--kubelet-insecure-tls')) {
    await run([
      '-n',
      'kube-system',
      'patch',
      'deployment',
      'metrics-server',
      '--type',
      'json',
      '-p',
      JSON.stringify([{ op: 'add', path: '/spec/template/spec/containers/0/args/-', value: '--kubelet-insecure-tls' }]),
    ]);
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
