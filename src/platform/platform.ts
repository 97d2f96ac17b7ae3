/**
 * The Platform: brings a lab's clusters and addons up, attaches to them from another terminal, and
 * tears them down. The order of `up` is a readable list of phases:
 *
 *   tools → clusters (all at once) → host addons (cloud-provider-kind, shared by all labs)
 *         → cluster addons (each cluster's in dependency order, clusters in parallel)
 *
 * Nothing here starts a process or talks to the API server directly: the runner, the KubeClient
 * factory, the clock and the tool installer are injected, so tests drive all of it with fakes.
 */
import { mkdir } from 'node:fs/promises';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KindlabError, toMessage } from '../core/errors.js';
import type { KindlabPaths } from '../core/paths.js';
import type { Clock, KubeClientFactory, ProcessRunner } from '../core/seams.js';
import type { LabCluster } from '../checks/types.js';
import type { FrontMatter } from '../model/frontmatter-schema.js';
import type { Lab } from '../model/lab.js';
import type { AddonPins, ClusterContext, HostContext } from './addons/context.js';
import { validateMirrors } from './addons/mirrors.js';
import { addonClusters, addonOf, resolveAddons, type ResolvedAddon } from './addons/settings.js';
import type { HostAddon, MachineFacts } from './addons/types.js';
import { clusterKubeconfigPath, createClusters, labKubeconfigPath, listKindClusters, type ClusterHandle, type ClusterPlan } from './kind/cluster.js';
import { renderLabClusters } from './kind/config.js';
import { hostPortsOf, type HostPort } from './kind/host-ports.js';
import { connectPodNetworks } from './kind/interconnect.js';
import { contextsIn, writeMergedKubeconfig } from './kind/kubeconfig.js';
import { hasKindlabPrefix, ownedContainerLabelArgs } from './kind/names.js';
import { writeRecord } from './kind/records.js';
import { phaseError } from './kind/run.js';
import { teardown } from './kind/teardown.js';
import type { PlatformTools } from './kind/tools.js';
import { labTools } from './lab-tools.js';
import { resolvePins, type ToolName } from './tools/versions.js';
import type { Platform, ProvisionOptions, ProvisionedLab, TeardownResult, ToolOverrides } from './types.js';

export interface ToolRequest {
  overrides: ToolOverrides;
  /** The tools the lab needs (labTools): kind and kubectl, and helm or istioctl when it uses them. */
  tools: readonly ToolName[];
  status: (message: string) => void;
  signal?: AbortSignal;
}

export interface PlatformPins extends AddonPins {
  nodeImage: string;
}

export interface PlatformDeps {
  runner: ProcessRunner;
  kube: KubeClientFactory;
  clock: Clock;
  paths: KindlabPaths;
  /** Finds or downloads the pinned tools (src/platform/tools). */
  ensureTools: (req: ToolRequest) => Promise<PlatformTools>;
  /** Finds already installed tools without downloading, for attach and down; defaults to ensureTools. */
  locateTools?: (req: ToolRequest) => Promise<PlatformTools | undefined>;
  /** Pinned versions for the run; defaults to src/platform/tools resolvePins. */
  pins?: (overrides: ToolOverrides) => PlatformPins;
  /** Base environment for child processes (process.env by default). */
  env?: Record<string, string | undefined>;
  /** The kindlab checkout or package root, exported to labs as REPO_DIR. */
  repoDir?: string;
  hostPlatform?: NodeJS.Platform;
  timeouts?: { nodesReadyMs?: number; addonMs?: number; istioMs?: number };
  /** Host-port test-binding; replaced in tests. */
  checkPorts?: (ports: readonly HostPort[]) => Promise<string[]>;
}

const PHASE_TOOLS = 'Preparing tools';
const PHASE_ADDONS = 'Installing addons';

/** dist/platform/platform.js and src/platform/platform.ts are both two levels below the root. */
const defaultRepoDir = () => resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Everything about a lab's clusters that can be known without touching Docker. */
export function planLab(meta: FrontMatter, nodeImage: string, mirrors: boolean): ClusterPlan[] {
  const rendered = renderLabClusters(meta.id, meta.clusters, nodeImage, mirrors);
  return rendered.map((r, i) => {
    const spec = meta.clusters[i] as FrontMatter['clusters'][number];
    return {
      ...r,
      name: spec.name ?? '',
      ...(spec.contextVar ? { contextVar: spec.contextVar } : {}),
      hostPorts: hostPortsOf(spec, spec.name ? `cluster ${spec.name}` : `lab ${meta.id}`),
    };
  });
}

function labEnv(
  base: Record<string, string | undefined>,
  tools: PlatformTools | undefined,
  kubeconfig: string,
  clusters: readonly { contextVar?: string; context: string }[],
  lab: Lab,
  repoDir: string,
): Record<string, string> {
  const env: Record<string, string> = {
    KUBECONFIG: kubeconfig,
    PATH: tools ? [tools.binDir, base.PATH ?? ''].filter(Boolean).join(delimiter) : (base.PATH ?? ''),
    LAB_DIR: lab.dir,
    REPO_DIR: repoDir,
    // `docker run $KINDLAB_OWNER_LABELS ...` makes a lab's own container (a VM stand-in) kindlab's,
    // so `kindlab down <lab>` removes it with the clusters.
    KINDLAB_OWNER_LABELS: ownedContainerLabelArgs(lab.meta.id).join(' '),
  };
  if (tools?.istioHome) env.ISTIO_HOME = tools.istioHome;
  for (const c of clusters) if (c.contextVar) env[c.contextVar] = c.context;
  return env;
}

const toLabCluster = (c: { name: string; kindName: string; context: string }): LabCluster => ({
  name: c.name,
  kindName: c.kindName,
  context: c.context,
});

export function createPlatform(deps: PlatformDeps): Platform {
  const baseEnv = deps.env ?? process.env;
  const repoDir = deps.repoDir ?? defaultRepoDir();
  const pinsFor = deps.pins ?? ((o: ToolOverrides) => resolvePins(o));
  const labsDir = join(deps.paths.state, 'labs');

  const machine: MachineFacts = { hostPlatform: deps.hostPlatform ?? process.platform, stateRoot: deps.paths.state };

  async function up(lab: Lab, opts: ProvisionOptions): Promise<ProvisionedLab> {
    const { status, stateDir } = opts;
    const pins = pinsFor(opts.overrides);
    validateMirrors(opts.registryMirrors);
    const hasMirrors = Object.keys(opts.registryMirrors).length > 0;
    // Everything that can be wrong in the lab document is found before anything is created.
    const plans = planLab(lab.meta, pins.nodeImage, hasMirrors);
    const addons = resolveAddons(
      lab.meta.addons,
      plans.map((p) => p.name),
    );

    status(PHASE_TOOLS);
    let tools: PlatformTools;
    try {
      tools = await deps.ensureTools({ overrides: opts.overrides, tools: labTools(lab), status, ...(opts.signal ? { signal: opts.signal } : {}) });
    } catch (err) {
      if (err instanceof KindlabError) throw err;
      throw phaseError(PHASE_TOOLS, toMessage(err), { cause: err });
    }
    await mkdir(stateDir, { recursive: true });
    const kubeconfig = labKubeconfigPath(stateDir);
    const env = { ...baseEnv, ...labEnv(baseEnv, tools, kubeconfig, plans, lab, repoDir) };

    status(plans.length > 1 ? `Creating clusters (${plans.length} in parallel)` : `Creating cluster ${plans[0]?.kindName ?? ''}`);
    const created = await createClusters(
      {
        runner: deps.runner,
        kube: deps.kube,
        clock: deps.clock,
        tools: tools.paths,
        env,
        status,
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(deps.timeouts?.nodesReadyMs ? { nodesReadyTimeoutMs: deps.timeouts.nodesReadyMs } : {}),
        ...(deps.checkPorts ? { checkPorts: deps.checkPorts } : {}),
      },
      { labId: lab.meta.id, stateDir, plans, mirrors: opts.registryMirrors, keepOnFailure: opts.keepOnFailure },
    );
    await writeRecord(stateDir, {
      version: 1,
      labId: lab.meta.id,
      clusters: created.clusters.map((c) => ({ name: c.name, kindName: c.kindName, context: c.context })),
      updatedAt: new Date(deps.clock.now()).toISOString(),
    });

    const host: HostContext = {
      runner: deps.runner,
      clock: deps.clock,
      tools: tools.paths,
      env,
      status,
      ...(opts.signal ? { signal: opts.signal } : {}),
      pins,
      stateDir,
      labDir: lab.dir,
      ...(tools.istioHome ? { istioHome: tools.istioHome } : {}),
      ...(deps.timeouts ? { timeouts: deps.timeouts } : {}),
    };
    const started: HostAddon[] = [];
    try {
      if (lab.meta.network?.podRoutes) {
        // Before the addons: a remote Istio cluster needs its pods to reach the other cluster's.
        await connectPodNetworks(
          { runner: deps.runner, docker: tools.paths.docker, env, clock: deps.clock, status, ...(opts.signal ? { signal: opts.signal } : {}) },
          created.clusters.map((c) => ({ kindName: c.kindName, kube: deps.kube(created.kubeconfig, c.context), nodeNames: c.nodes.map((n) => n.name) })),
        );
      }
      await installAddons(addons, created.clusters, host, started);
    } catch (err) {
      await undo(created.created, started, opts, tools, err);
      throw err;
    }

    const versions: Record<string, string> = { ...tools.versions, nodeImage: pins.nodeImage };
    for (const a of addons) Object.assign(versions, addonOf(a).versions?.(pins));
    return {
      clusters: created.clusters.map(toLabCluster),
      kubeconfig: created.kubeconfig,
      env: labEnv(baseEnv, tools, created.kubeconfig, created.clusters, lab, repoDir),
      versions,
    };
  }

  async function installAddons(
    addons: readonly ResolvedAddon[],
    clusters: readonly ClusterHandle[],
    host: HostContext,
    started: HostAddon[],
  ): Promise<void> {
    // Host addons first: one for every cluster of the machine, before anything creates a LoadBalancer Service.
    for (const a of addons) {
      const addon = addonOf(a);
      if (addon.scope !== 'host') continue;
      if (a.implicit) host.status(`Adding ${a.name}: ${a.implicit}`);
      if ((await addon.start(host, a.settings, machine)).started) started.push(addon);
    }

    const names = clusters.map((c) => c.name);
    const perCluster = clusters.map((c) => ({ cluster: c, list: addons.filter((a) => addonOf(a).scope === 'cluster' && addonClusters(a, names).includes(c.name)) }));
    const busy = perCluster.filter((p) => p.list.length > 0);
    if (busy.length === 0) return;

    // What installs in several clusters share (MetalLB's address pools), worked out once.
    const prepared = new Map<string, unknown>();
    for (const a of addons) {
      const addon = addonOf(a);
      if (addon.scope !== 'cluster' || !addon.prepare) continue;
      const kindNames = perCluster.filter((p) => p.list.includes(a)).map((p) => p.cluster.kindName);
      if (kindNames.length > 0) prepared.set(a.name, await addon.prepare(host, kindNames, machine));
    }

    const kinds = [...new Set(busy.flatMap((p) => p.list.map((a) => a.name)))];
    host.status(`${PHASE_ADDONS}: ${kinds.join(', ')}${busy.length > 1 ? ` (${busy.length} clusters in parallel)` : ''}`);
    const abort = new AbortController();
    const signal = host.signal ? AbortSignal.any([host.signal, abort.signal]) : abort.signal;
    let firstError: unknown;
    await Promise.allSettled(
      busy.map(async ({ cluster, list }) => {
        const ctx: ClusterContext = {
          ...host,
          signal,
          clusterName: cluster.name,
          kindName: cluster.kindName,
          access: { kubeconfig: labKubeconfigPath(host.stateDir), context: cluster.context },
          kube: deps.kube(labKubeconfigPath(host.stateDir), cluster.context),
        };
        try {
          for (const a of list) {
            const addon = addonOf(a);
            if (addon.scope === 'cluster') await addon.install(ctx, a.settings, prepared.get(a.name));
          }
        } catch (err) {
          firstError ??= err;
          abort.abort();
        }
      }),
    );
    if (firstError !== undefined) {
      if (firstError instanceof KindlabError) throw firstError;
      throw phaseError(PHASE_ADDONS, toMessage(firstError), { cause: firstError });
    }
  }

  /** After a failed addon install: delete the clusters this run created, unless asked to keep them. */
  async function undo(created: readonly string[], started: readonly HostAddon[], opts: ProvisionOptions, tools: PlatformTools, err: unknown): Promise<void> {
    const notes: string[] = [];
    if (opts.keepOnFailure) {
      if (created.length > 0) notes.push(`kept ${created.join(', ')} for inspection (delete with: kindlab down)`);
    } else {
      for (const kindName of created) {
        const r = await deps.runner.run(tools.paths.kind, ['delete', 'cluster', '--name', kindName, '--kubeconfig', clusterKubeconfigPath(opts.stateDir, kindName)], {
          env: baseEnv,
        });
        notes.push(r.exitCode === 0 ? `deleted ${kindName}, created by this run` : `could not delete ${kindName}`);
      }
      if (started.length > 0) {
        const left = (await listKindClusters({ runner: deps.runner, tools: tools.paths, env: baseEnv }, PHASE_ADDONS).catch(() => ['?'])).filter(hasKindlabPrefix);
        if (left.length === 0) for (const addon of started) notes.push(await addon.stop({ runner: deps.runner, tools: tools.paths, env: baseEnv }));
      }
    }
    if (err instanceof KindlabError) err.details.push(...notes);
  }

  async function attach(lab: Lab, opts: Pick<ProvisionOptions, 'stateDir' | 'overrides'>): Promise<ProvisionedLab> {
    const pins = pinsFor(opts.overrides);
    const plans = planLab(lab.meta, pins.nodeImage, false);
    const req: ToolRequest = { overrides: opts.overrides, tools: labTools(lab), status: () => undefined };
    const tools = (deps.locateTools ? await deps.locateTools(req) : undefined) ?? (await deps.ensureTools(req));
    const existing = new Set(await listKindClusters({ runner: deps.runner, tools: tools.paths, env: baseEnv }, 'Attaching to the lab'));
    const missing = plans.filter((p) => !existing.has(p.kindName));
    if (missing.length > 0) {
      throw new KindlabError('state', `lab ${lab.meta.id} is not running; start it with kindlab start ${lab.meta.id}`, {
        details: missing.length < plans.length ? [`missing: ${missing.map((p) => p.kindName).join(', ')}`] : [],
      });
    }
    const kubeconfig = labKubeconfigPath(opts.stateDir);
    const have = await contextsIn(kubeconfig);
    if (!plans.every((p) => have.includes(p.context))) {
      // The lab's kubeconfig is gone or stale (e.g. state directory cleaned): rebuild it from kind.
      await mkdir(opts.stateDir, { recursive: true });
      const files: string[] = [];
      for (const p of plans) {
        const file = clusterKubeconfigPath(opts.stateDir, p.kindName);
        const r = await deps.runner.run(tools.paths.kind, ['export', 'kubeconfig', '--name', p.kindName, '--kubeconfig', file], { env: baseEnv });
        if (r.exitCode !== 0) throw phaseError('Attaching to the lab', `could not read the kubeconfig of ${p.kindName}`, { result: r });
        files.push(file);
      }
      await writeMergedKubeconfig(kubeconfig, files);
    }
    return {
      clusters: plans.map(toLabCluster),
      kubeconfig,
      env: labEnv(baseEnv, tools, kubeconfig, plans, lab, repoDir),
      versions: { ...tools.versions, nodeImage: pins.nodeImage },
    };
  }

  async function down(labId: string | 'all', opts: { status: (m: string) => void }): Promise<TeardownResult> {
    const req: ToolRequest = { overrides: {}, tools: ['kind', 'kubectl'], status: () => undefined };
    // Never download anything to delete something: without a cached kind, Docker alone suffices.
    const tools = deps.locateTools ? await deps.locateTools(req).catch(() => undefined) : undefined;
    return teardown(labId, {
      runner: deps.runner,
      tools: { docker: tools?.paths.docker ?? 'docker', ...(tools?.paths.kind ? { kind: tools.paths.kind } : {}) },
      env: baseEnv,
      status: opts.status,
      labsDir,
    });
  }

  return { up, attach, down };
}
