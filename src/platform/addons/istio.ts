/**
 * Installing Istio with istioctl (release 1.31: operator/cmd/mesh/install.go flags) and deciding it
 * is ready from the cluster itself:
 *  - the profile's Deployments/DaemonSets in istio-system are Available (watched, not polled);
 *  - the sidecar injector's MutatingWebhookConfiguration carries a caBundle. istiod patches it in
 *    after start (pkg/webhooks/webhookpatch.go); until then the API server cannot call the webhook
 *    and pods created in injected namespaces fail ("failed calling webhook namespace.sidecar-
 *    injector.istio.io", pain point 3.5). Lab steps that deploy apps must not start before that.
 * When the wait times out, the error lists pod problems (Pending, ImagePullBackOff, ...) instead of
 * just "timed out" (pain point 3.1).
 */
import { writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import type { KubeClient, KubeObject } from '../../core/seams.js';
import type { ClusterContext } from './context.js';
import { mustRun, outputTail, type ClusterAccess } from '../kind/run.js';
import { podProblems, waitFor, waitForWorkloads, type Workload } from '../kind/wait.js';
import { clustersSetting, type ClusterAddon, type PlatformImage } from './types.js';

export const ISTIO_NAMESPACE = 'istio-system';
const INJECTOR_WEBHOOK = 'istio-sidecar-injector';
const PHASE = 'Installing Istio';
export const DEFAULT_ISTIO_TIMEOUT_MS = 10 * 60_000;

const settings = z.strictObject({
  clusters: clustersSetting,
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
});
type IstioSettings = z.infer<typeof settings>;
type Profile = NonNullable<IstioSettings['profile']>;

const deploy = (name: string): Workload => ({ kind: 'Deployment', namespace: ISTIO_NAMESPACE, name });
const daemonSet = (name: string): Workload => ({ kind: 'DaemonSet', namespace: ISTIO_NAMESPACE, name });

/** What each built-in profile runs in istio-system (istio release-1.31 manifests/profiles/*.yaml). */
export function profileWorkloads(profile: Profile): Workload[] {
  switch (profile) {
    case 'default':
    case 'preview':
    case 'stable':
      return [deploy('istiod'), deploy('istio-ingressgateway')];
    case 'demo':
      return [deploy('istiod'), deploy('istio-ingressgateway'), deploy('istio-egressgateway')];
    case 'minimal':
      return [deploy('istiod')];
    case 'ambient':
      return [deploy('istiod'), daemonSet('istio-cni-node'), daemonSet('ztunnel')];
    // remote: the control plane lives in another cluster; empty: nothing at all.
    case 'remote':
    case 'empty':
      return [];
  }
}

/** Profiles that run istiod here, so the injector webhook gets its caBundle from this cluster. */
const runsIstiod = (p: Profile) => p !== 'remote' && p !== 'empty';

function parseWaitList(list: readonly string[]): Workload[] {
  return list.map((w) => {
    const [kind, name] = w.split('/') as ['Deployment' | 'DaemonSet', string];
    return kind === 'DaemonSet' ? daemonSet(name) : deploy(name);
  });
}

/**
 * What decides that the install is done: the workloads to wait for and whether the injector webhook
 * must get its CA bundle. With an operator file and no profile, all kindlab knows is that istiod
 * should run; a lab whose file installs something else lists what to wait for in `wait`.
 */
function istioReadiness(settings: IstioSettings, operatorFiles: number): { workloads: Workload[]; webhook: boolean } {
  if (settings.wait) {
    const workloads = parseWaitList(settings.wait);
    return { workloads, webhook: workloads.some((w) => w.kind === 'Deployment' && w.name === 'istiod') };
  }
  const profile = settings.profile ?? 'default';
  return { workloads: settings.profile || operatorFiles === 0 ? profileWorkloads(profile) : [deploy('istiod')], webhook: runsIstiod(profile) };
}

export function istioInstallArgs(access: ClusterAccess, settings: IstioSettings, operatorFiles: readonly string[]): string[] {
  const args = ['install', '--kubeconfig', access.kubeconfig, '--context', access.context, '--skip-confirmation'];
  // An IstioOperator file may name its own profile; --set would override it, so only set one
  // when the lab asked for it or there is no file (istioctl's default is "default" either way).
  if (settings.profile || operatorFiles.length === 0) args.push('--set', `profile=${settings.profile ?? 'default'}`);
  for (const f of operatorFiles) args.push('--filename', f);
  for (const [k, v] of Object.entries(settings.set ?? {})) args.push('--set', `${k}=${String(v)}`);
  return args;
}

/** True when every webhook of the configuration has a CA bundle. */
export function webhookHasCABundle(mwc: KubeObject): boolean {
  const hooks = (mwc.webhooks ?? []) as Array<{ clientConfig?: { caBundle?: string } }>;
  return hooks.length > 0 && hooks.every((h) => typeof h.clientConfig?.caBundle === 'string' && h.clientConfig.caBundle.length > 0);
}

export async function waitForIstio(kube: KubeClient, workloads: readonly Workload[], withWebhook: boolean, ctx: Pick<ClusterContext, 'clock' | 'signal' | 'timeouts'> & Partial<Pick<ClusterContext, 'status'>>): Promise<void> {
  const opts = {
    clock: ctx.clock,
    ...(ctx.status ? { status: ctx.status } : {}),
    timeoutMs: ctx.timeouts?.istioMs ?? DEFAULT_ISTIO_TIMEOUT_MS,
    phase: PHASE,
    signal: ctx.signal,
    diagnose: () => podProblems(kube, ISTIO_NAMESPACE),
  };
  await Promise.all([
    waitForWorkloads(kube, workloads, opts),
    withWebhook
      ? waitFor(
          kube,
          { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', labelSelector: 'app=sidecar-injector' },
          'the sidecar injector webhook to get its CA bundle from istiod',
          (objs) => {
            const mwc = objs.find((o) => o.metadata.name === INJECTOR_WEBHOOK);
            return { done: mwc !== undefined && webhookHasCABundle(mwc), found: mwc ? 'webhook without caBundle' : `${INJECTOR_WEBHOOK} not found` };
          },
          opts,
        )
      : Promise.resolve([]),
  ]);
}

/** Labels a namespace for sidecar injection, creating it if needed (server-side apply of the label only). */
export async function enableInjection(kube: KubeClient, namespace: string): Promise<void> {
  await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { 'istio-injection': 'enabled' } } });
}

export async function installIstio(ctx: ClusterContext, settings: IstioSettings): Promise<void> {
  const istioctl = ctx.tools.istioctl;
  if (!istioctl) throw new Error('istioctl path missing although the lab uses Istio');
  const profile = settings.profile ?? 'default';

  if (settings.precheck) {
    // Exits non-zero on warnings too (e.g. an untested Kubernetes version), so it informs, not blocks.
    const r = await ctx.runner.run(istioctl, ['x', 'precheck', '--kubeconfig', ctx.access.kubeconfig, '--context', ctx.access.context], {
      env: ctx.env,
      signal: ctx.signal,
      timeoutMs: 2 * 60_000,
    });
    if (r.exitCode !== 0) for (const line of outputTail(r, 10)) ctx.status(`istioctl x precheck: ${line}`);
  }

  const files: string[] = [];
  if (settings.file) files.push(isAbsolute(settings.file) ? settings.file : join(ctx.labDir, settings.file));
  if (settings.operator) {
    const file = join(ctx.stateDir, `istio-operator-${ctx.kindName}.yaml`);
    await writeFile(file, stringify({ apiVersion: 'install.istio.io/v1alpha1', kind: 'IstioOperator', spec: settings.operator }));
    files.push(file);
  }

  ctx.status(`Installing Istio (profile ${profile}) in ${ctx.kindName}`);
  // istioctl waits for its resources itself (--readiness-timeout, 5m by default); kindlab's own
  // wait below is what decides, and explains, readiness.
  await mustRun(ctx.runner, PHASE, istioctl, istioInstallArgs(ctx.access, settings, files), {
    env: ctx.env,
    signal: ctx.signal,
    timeoutMs: ctx.timeouts?.istioMs ?? DEFAULT_ISTIO_TIMEOUT_MS,
  });
  const { workloads, webhook } = istioReadiness(settings, files.length);
  await waitForIstio(ctx.kube, workloads, webhook, ctx);
  for (const ns of settings.injection ?? []) await enableInjection(ctx.kube, ns);
}

/** The ingress gateway of these profiles is a LoadBalancer Service. */
const PROFILES_WITH_GATEWAY = new Set<Profile>(['default', 'demo', 'preview', 'stable']);
const ISTIO_HUB = 'docker.io/istio';

/**
 * istioctl installs `<hub>/pilot:<v>` and `<hub>/proxyv2:<v>` (gateways and sidecars) with the
 * release's default hub docker.io/istio; the ambient profile adds ztunnel and install-cni.
 */
export function istioImages(version: string, profile: string | undefined): PlatformImage[] {
  const images = ['pilot', 'proxyv2', ...(profile === 'ambient' ? ['ztunnel', 'install-cni'] : [])];
  return images.map((name) => ({ ref: `${ISTIO_HUB}/${name}:${version}`, place: 'cluster' as const, why: `Istio ${version} (${name})` }));
}

const istio: ClusterAddon<IstioSettings> = {
  scope: 'cluster',
  settings,
  tools: ['istioctl'],
  images: (s, pins) => istioImages(pins.istio, s.profile),
  needsLoadBalancer: (s) => (!s.file && !s.operator && PROFILES_WITH_GATEWAY.has(s.profile ?? 'default') ? 'the Istio ingress gateway is a LoadBalancer Service' : undefined),
  install: (ctx, s) => installIstio(ctx, s),
  async script(w, s, t) {
    const k = (...args: string[]) => w.command(['kubectl', '--context', t.context, ...args]);
    const files: string[] = [];
    if (s.file) files.push(await w.labFile(s.file));
    if (s.operator) files.push(w.file(`istio-operator-${t.kindName}.yaml`, stringify({ apiVersion: 'install.istio.io/v1alpha1', kind: 'IstioOperator', spec: s.operator })));
    w.lines(`say "Installing Istio ${w.pins.istio} (profile ${s.profile ?? 'default'}) in ${t.kindName}"`);
    if (s.precheck) w.lines(`${w.command(['istioctl', 'x', 'precheck', '--kubeconfig', w.kubeconfig, '--context', t.context])} || true`);
    w.lines(w.command(['istioctl', ...istioInstallArgs({ kubeconfig: w.kubeconfig, context: t.context }, s, files)]));
    const { workloads, webhook } = istioReadiness(s, files.length);
    for (const wl of workloads) w.lines(k('-n', ISTIO_NAMESPACE, 'rollout', 'status', `${wl.kind.toLowerCase()}/${wl.name}`, '--timeout=600s'));
    if (webhook) {
      w.lines(`wait_for_value ${w.command(['--context', t.context, 'get', 'mutatingwebhookconfiguration', INJECTOR_WEBHOOK, '-o', 'jsonpath={.webhooks[0].clientConfig.caBundle}'])} >/dev/null`);
    }
    for (const ns of s.injection ?? []) {
      w.lines(`${k('create', 'namespace', ns, '--dry-run=client', '-o', 'yaml')} | ${k('apply', '-f', '-')}`, k('label', 'namespace', ns, 'istio-injection=enabled', '--overwrite'));
    }
  },
};
export default istio;
