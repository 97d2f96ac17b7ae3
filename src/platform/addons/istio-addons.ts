/**
 * Istio's sample addons (Prometheus, Grafana, Kiali, Jaeger or Zipkin, Loki), always from the same
 * release as istioctl: $ISTIO_HOME/samples/addons (release-1.31 layout; Zipkin is under extras/).
 * Only the addons the lab lists are applied, not the whole directory (which would add Loki's
 * StatefulSet and its memory).
 *
 * The first apply can fail with "no matches for kind" when a manifest uses a CRD defined earlier in
 * the same apply that the API server has not established yet (istio#27577, pain point 3.7); Istio's
 * docs tell users to run the command again, so kindlab re-applies once after a short pause.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { KindlabError } from '../../core/errors.js';
import type { RunResult } from '../../core/seams.js';
import type { ClusterContext } from './context.js';
import { kubectlArgs, phaseError } from '../kind/run.js';
import { podProblems, waitForWorkloads, type Workload } from '../kind/wait.js';
import { ISTIO_NAMESPACE } from './istio.js';
import { clustersSetting, type ClusterAddon } from './types.js';

const ISTIO_SAMPLE_ADDONS = ['prometheus', 'grafana', 'kiali', 'jaeger', 'zipkin', 'loki'] as const;
type IstioSampleAddon = (typeof ISTIO_SAMPLE_ADDONS)[number];
const DEFAULT_ISTIO_ADDONS: IstioSampleAddon[] = ['prometheus', 'grafana', 'kiali', 'jaeger'];

const settings = z.strictObject({
  clusters: clustersSetting,
  addons: z.array(z.enum(ISTIO_SAMPLE_ADDONS)).min(1).optional(),
});
type IstioAddonsSettings = z.infer<typeof settings>;

const PHASE = 'Installing Istio addons';
const CRD_RACE = /no matches for kind|ensure CRDs are installed first/i;
const RETRY_PAUSE_MS = 5000;

/** Where each addon's manifest sits in an Istio release (relative to ISTIO_HOME). */
const ISTIO_ADDON_FILES: Record<IstioSampleAddon, string> = {
  prometheus: 'samples/addons/prometheus.yaml',
  grafana: 'samples/addons/grafana.yaml',
  kiali: 'samples/addons/kiali.yaml',
  jaeger: 'samples/addons/jaeger.yaml',
  zipkin: 'samples/addons/extras/zipkin.yaml',
  loki: 'samples/addons/loki.yaml',
};

const workloads: Record<IstioSampleAddon, Workload> = {
  prometheus: { kind: 'Deployment', namespace: ISTIO_NAMESPACE, name: 'prometheus' },
  grafana: { kind: 'Deployment', namespace: ISTIO_NAMESPACE, name: 'grafana' },
  kiali: { kind: 'Deployment', namespace: ISTIO_NAMESPACE, name: 'kiali' },
  jaeger: { kind: 'Deployment', namespace: ISTIO_NAMESPACE, name: 'jaeger' },
  zipkin: { kind: 'Deployment', namespace: ISTIO_NAMESPACE, name: 'zipkin' },
  loki: { kind: 'StatefulSet', namespace: ISTIO_NAMESPACE, name: 'loki' },
};

export function addonFiles(istioHome: string, addons: readonly IstioSampleAddon[]): string[] {
  if (addons.includes('jaeger') && addons.includes('zipkin')) {
    throw new KindlabError('lab-format', 'jaeger and zipkin cannot be installed together: both define the Services "tracing" and "zipkin" in istio-system', {
      fix: 'Keep one of them in the istio-addons list.',
    });
  }
  return addons.map((a) => join(istioHome, ISTIO_ADDON_FILES[a]));
}

export async function installIstioAddons(ctx: ClusterContext, settings: IstioAddonsSettings): Promise<void> {
  if (!ctx.istioHome) throw new Error('ISTIO_HOME missing although the lab uses istio-addons');
  const addons = settings.addons ?? DEFAULT_ISTIO_ADDONS;
  const paths = addonFiles(ctx.istioHome, addons);
  ctx.status(`Installing Istio addons in ${ctx.kindName}: ${addons.join(', ')}`);
  const args = kubectlArgs(ctx.access, 'apply', ...paths.flatMap((p) => ['-f', p]));
  const apply = () => ctx.runner.run(ctx.tools.kubectl, args, { env: ctx.env, signal: ctx.signal, timeoutMs: 5 * 60_000 });
  let r: RunResult = await apply();
  if (r.exitCode !== 0 && CRD_RACE.test(r.stderr + r.stdout)) {
    await ctx.clock.sleep(RETRY_PAUSE_MS, ctx.signal);
    r = await apply();
  }
  if (r.exitCode !== 0) throw phaseError(PHASE, `could not apply ${addons.join(', ')}`, { result: r });
  await waitForWorkloads(
    ctx.kube,
    addons.map((a) => workloads[a]),
    {
      clock: ctx.clock,
      timeoutMs: ctx.timeouts?.istioMs ?? 10 * 60_000,
      phase: PHASE,
      status: ctx.status,
      signal: ctx.signal,
      diagnose: () => podProblems(ctx.kube, ISTIO_NAMESPACE),
    },
  );
}

const istioAddons: ClusterAddon<IstioAddonsSettings> = {
  scope: 'cluster',
  settings,
  requires: ['istio'],
  // Not istioctl itself: the release it comes with, whose samples/addons are applied.
  tools: ['istioctl'],
  // Both manifests define the Services `tracing` and `zipkin` in istio-system; the second apply
  // would silently take over the first one's Services.
  problem(s) {
    const list = s.addons ?? DEFAULT_ISTIO_ADDONS;
    if (list.includes('jaeger') && list.includes('zipkin')) {
      return 'jaeger and zipkin cannot be installed together (both define the Services "tracing" and "zipkin" in istio-system); pick one';
    }
    return undefined;
  },
  releaseManifests: (s) => (s.addons ?? DEFAULT_ISTIO_ADDONS).map((a) => ISTIO_ADDON_FILES[a]),
  install: (ctx, s) => installIstioAddons(ctx, s),
  script(w, s, t) {
    const list = s.addons ?? DEFAULT_ISTIO_ADDONS;
    const apply = `kubectl --context ${w.word(t.context)} apply ${list.map((a) => `-f "$ISTIO_HOME/${ISTIO_ADDON_FILES[a]}"`).join(' ')}`;
    // The first apply can race CRDs it creates itself; kindlab re-applies once after a pause, so does this.
    w.lines(`say "Installing Istio addons in ${t.kindName}: ${list.join(', ')}"`, `${apply} || { sleep 5; ${apply}; }`);
    for (const a of list) {
      const { kind, name } = workloads[a];
      w.lines(w.command(['kubectl', '--context', t.context, '-n', ISTIO_NAMESPACE, 'rollout', 'status', `${kind.toLowerCase()}/${name}`, '--timeout=600s']));
    }
  },
};
export default istioAddons;
