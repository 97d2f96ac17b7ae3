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
import type { KubeClient, KubeObject } from '../../core/seams.js';
import type { ClusterContext } from '../addons/context.js';
import type { AddonSettings } from '../addons/settings.js';
import { kubectlArgs, mustRun, outputTail, type ClusterAccess } from '../kind/run.js';
import { podProblems, waitFor, waitForWorkloads, type Workload } from '../kind/wait.js';

export const ISTIO_NAMESPACE = 'istio-system';
export const INJECTOR_WEBHOOK = 'istio-sidecar-injector';
const PHASE = 'Installing Istio';
export const DEFAULT_ISTIO_TIMEOUT_MS = 10 * 60_000;

type Profile = NonNullable<AddonSettings['istio']['profile']>;

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

export function istioInstallArgs(access: ClusterAccess, settings: AddonSettings['istio'], operatorFiles: readonly string[]): string[] {
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

export async function installIstio(ctx: ClusterContext, settings: AddonSettings['istio']): Promise<void> {
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
  // With an operator file and no profile, all kindlab knows is that istiod should run; a lab whose
  // file installs something else lists what to wait for in `wait`.
  const workloads = settings.wait
    ? parseWaitList(settings.wait)
    : settings.profile || files.length === 0
      ? profileWorkloads(profile)
      : [deploy('istiod')];
  const withWebhook = settings.wait ? workloads.some((w) => w.kind === 'Deployment' && w.name === 'istiod') : runsIstiod(profile);
  await waitForIstio(ctx.kube, workloads, withWebhook, ctx);
  for (const ns of settings.injection ?? []) await enableInjection(ctx.kube, ns);
}

/** `istioctl uninstall --purge -y`: every Istio revision and its cluster-scoped resources. */
export async function uninstallIstio(ctx: ClusterContext): Promise<void> {
  const istioctl = ctx.tools.istioctl;
  if (!istioctl) throw new Error('istioctl path missing');
  await mustRun(ctx.runner, 'Removing Istio', istioctl, ['uninstall', '--purge', '--skip-confirmation', '--kubeconfig', ctx.access.kubeconfig, '--context', ctx.access.context], {
    env: ctx.env,
    signal: ctx.signal,
    timeoutMs: 5 * 60_000,
  });
  await mustRun(ctx.runner, 'Removing Istio', ctx.tools.kubectl, kubectlArgs(ctx.access, 'delete', 'namespace', ISTIO_NAMESPACE, '--ignore-not-found'), {
    env: ctx.env,
    signal: ctx.signal,
    timeoutMs: 5 * 60_000,
  });
}
