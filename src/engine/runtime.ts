/**
 * The running lab as the engine sees it: the lab, its provisioned environment, its variables,
 * and the injected seams. Everything a step does goes through here, so every command gets the
 * lab's own kubeconfig and pinned tools, never the user's current context.
 */
import { dirname } from 'node:path';
import type { CheckContext, CheckRunner } from '../checks/types.js';
import type { Clock, KubeClient, KubeClientFactory, ProcessRunner } from '../core/seams.js';
import type { Lab } from '../model/lab.js';
import type { ProvisionedLab } from '../platform/types.js';

export interface EngineDeps {
  runner: ProcessRunner;
  kube: KubeClientFactory;
  clock: Clock;
  runCheck: CheckRunner;
  /** The environment kindlab itself was started with (process.env in production). */
  baseEnv: Record<string, string | undefined>;
  /** Upper bound for every checkpoint's timeout (`run --check-timeout`), to fail fast in CI. */
  checkTimeoutCapMs?: number;
}

export interface LabRuntime {
  lab: Lab;
  env: ProvisionedLab;
  /** Captured and front-matter variables; mutated as checks capture values. */
  vars: Record<string, string>;
  deps: EngineDeps;
}

/** The directory commands run in: the checkout (or package) holding labs/ and manifests/. */
export function repoDirOf(lab: Lab): string {
  return dirname(dirname(lab.dir));
}

/** Replaces ${VAR} from vars; unknown variables are left as they are for the shell to report. */
export function interpolate(text: string, vars: Record<string, string | undefined>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => vars[name] ?? whole);
}

/**
 * Environment for a lab command. Starts from the user's environment (so proxies, HOME and
 * Docker settings keep working) but drops anything that could point kubectl at the user's own
 * clusters, then layers the lab's kubeconfig, tools and variables on top.
 */
export function commandEnv(rt: LabRuntime): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...rt.deps.baseEnv };
  delete env.KUBECONFIG;
  delete env.KUBECTL_CONTEXT;
  const first = rt.env.clusters[0];
  Object.assign(env, {
    LAB_DIR: rt.lab.dir,
    REPO_DIR: repoDirOf(rt.lab),
    KINDLAB_LAB: rt.lab.meta.id,
    ...(first ? { KINDLAB_CLUSTER: first.kindName } : {}),
  });
  Object.assign(env, rt.env.env);
  for (const [k, v] of Object.entries(rt.lab.meta.env)) env[k] = interpolate(v, { ...env, ...rt.vars } as Record<string, string>);
  Object.assign(env, rt.vars);
  return env;
}

export function checkContext(rt: LabRuntime, baseline: Map<string, unknown>, stepStartedAt: number, signal?: AbortSignal): CheckContext {
  const clients = new Map<string, KubeClient>();
  const env = commandEnv(rt);
  return {
    kube(cluster?: string) {
      const c = cluster === undefined ? rt.env.clusters[0] : rt.env.clusters.find((x) => x.name === cluster || x.kindName === cluster);
      if (!c) throw new Error(`the lab has no cluster named "${cluster}"`);
      let client = clients.get(c.context);
      if (!client) {
        client = rt.deps.kube(rt.env.kubeconfig, c.context);
        clients.set(c.context, client);
      }
      return client;
    },
    clusters: rt.env.clusters,
    runner: rt.deps.runner,
    clock: rt.deps.clock,
    env,
    vars: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
    labDir: rt.lab.dir,
    baseline,
    stepStartedAt,
    ...(signal ? { signal } : {}),
  };
}
