/** Argument fragments and helpers shared by several commands. */
import { parseDuration } from '../../core/duration.js';
import { KindlabError } from '../../core/errors.js';
import type { Lab } from '../../model/lab.js';
import { ProgressStore, type Progress } from '../../engine/progress.js';
import type { LabRuntime } from '../../engine/runtime.js';
import { LabSession } from '../../engine/session.js';
import { PINS } from '../../platform/tools/pins.js';
import type { ProvisionedLab, ToolOverrides } from '../../platform/types.js';
import type { Cli } from '../context.js';

export const labOption = {
  lab: { type: 'string', description: 'Lab id (default: the lab last started)', valueHint: 'id' },
} as const;

export const jsonOption = { json: { type: 'boolean', description: 'Print JSON on stdout' } } as const;

// pins.ts imports nothing, so the help text can show the real pins without loading the platform.
export const versionOptions = {
  istio: { type: 'string', description: `Istio release instead of the pinned ${PINS.istio}`, valueHint: 'version' },
  k8s: {
    type: 'string',
    description: `Kubernetes version of the kind node image instead of the pinned ${PINS.defaultK8s} (one of ${PINS.nodeImages.map((n) => n.k8s).join(', ')})`,
    valueHint: 'version',
  },
  kind: { type: 'string', description: `kind instead of the pinned ${PINS.kind}`, valueHint: 'version' },
  kubectl: { type: 'string', description: 'kubectl instead of the one matching the node image (pinned: the same version as --k8s)', valueHint: 'version' },
  helm: { type: 'string', description: `helm instead of the pinned ${PINS.helm}`, valueHint: 'version' },
  'registry-mirror': {
    type: 'string',
    description: 'Pull the images of a registry through a mirror, e.g. docker.io=https://mirror.example (repeatable)',
    valueHint: 'registry=url',
  },
  'load-balancer': {
    type: 'string',
    description: 'What gives LoadBalancer Services an IP: cloud-provider-kind (the default) or metallb (when the Docker socket cannot be shared)',
    valueHint: 'name',
  },
  context: {
    type: 'string',
    description: 'Run against this existing kube context instead of creating clusters (asks before destructive steps)',
    valueHint: 'name',
  },
} as const;

export function overridesFrom(args: Record<string, unknown>): ToolOverrides {
  const o: ToolOverrides = {};
  for (const k of ['istio', 'k8s', 'kind', 'kubectl', 'helm'] as const) {
    const v = args[k];
    if (typeof v === 'string' && v) o[k] = v;
  }
  return o;
}

/** `--registry-mirror` may be given several times; citty keeps only the last, so read the raw args. */
export function mirrorsFrom(rawArgs: string[]): Record<string, string> {
  const mirrors: Record<string, string> = {};
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i] as string;
    const value = a === '--registry-mirror' ? rawArgs[++i] : a.startsWith('--registry-mirror=') ? a.slice('--registry-mirror='.length) : undefined;
    if (value === undefined) continue;
    const m = /^([a-z0-9.-]+(?::\d+)?)=(https?:\/\/\S+)$/i.exec(value);
    if (!m) {
      throw new KindlabError('usage', `--registry-mirror "${value}" is not of the form <registry>=<url>`, {
        fix: 'Example: --registry-mirror docker.io=https://mirror.example.com',
      });
    }
    mirrors[m[1] as string] = m[2] as string;
  }
  return mirrors;
}

export async function loadLab(id: string): Promise<Lab> {
  const { findLab } = await import('../../lab/catalog.js');
  return findLab(id);
}

/** The lab as this run provisions it: --load-balancer may swap cloud-provider-kind for MetalLB. */
export async function loadLabForRun(id: string, args: Record<string, unknown>): Promise<Lab> {
  const [lab, { withLoadBalancer }] = await Promise.all([loadLab(id), import('../../platform/addons/load-balancer-choice.js')]);
  const choice = args['load-balancer'];
  return withLoadBalancer(lab, typeof choice === 'string' ? choice : undefined);
}

/** The lab a one-shot command acts on: --lab, else the one last started. */
export async function targetLabId(cli: Cli, lab: unknown): Promise<string> {
  if (typeof lab === 'string' && lab) return lab;
  const current = await cli.currentLab();
  if (!current) {
    throw new KindlabError('usage', 'no lab is in progress', { fix: 'Start one with `kindlab start <lab>` (see `kindlab list`), or name it with --lab.' });
  }
  return current;
}

/**
 * A lab `start` provisioned, with its saved progress. A lab never started (or torn down since) is a
 * usage error, found before anything is attached or downloaded.
 */
export async function startedLab(cli: Cli, labArg: unknown): Promise<{ lab: Lab; store: ProgressStore; progress: Progress }> {
  const id = await targetLabId(cli, labArg);
  const lab = await loadLab(id);
  const store = new ProgressStore(cli.labDir(id), { labId: id, steps: lab.steps.length });
  const progress = await store.load();
  if (!progress || !progress.provisioned) {
    throw new KindlabError('usage', `lab "${id}" has not been started`, { fix: `Run \`kindlab start ${id}\` first.` });
  }
  return { lab, store, progress };
}

/** Opens the session of a lab that `start` already provisioned, without creating anything. */
export async function openSession(cli: Cli, labArg: unknown): Promise<LabSession> {
  const { lab, store, progress } = await startedLab(cli, labArg);
  const deps = await cli.engineDeps();
  const env = await attachStarted(cli, lab, progress.context);
  const rt: LabRuntime = { lab, env, vars: {}, deps };
  return new LabSession(rt, store, progress);
}

/**
 * The environment of a lab `start` brought up, from any terminal: the context the user named with
 * --context (read again, as start does, never kindlab's clusters or tools), else the lab's own kind
 * clusters.
 */
export async function attachStarted(cli: Cli, lab: Lab, context: string | undefined): Promise<ProvisionedLab> {
  if (context) {
    const [{ attachExplicitContext }, deps] = await Promise.all([import('../../platform/explicit-context.js'), cli.engineDeps()]);
    return attachExplicitContext(context, cli.labDir(lab.meta.id), deps.runner, cli.env);
  }
  return (await cli.platform()).attach(lab, { stateDir: cli.labDir(lab.meta.id), overrides: {} });
}

export function durationArg(text: string, flag: string): number {
  try {
    return parseDuration(text);
  } catch {
    throw new KindlabError('usage', `${flag} "${text}" is not a duration`, { fix: 'Use e.g. 500ms, 30s or 2m.' });
  }
}

/** Parses a step argument (1-based number or step id) into an index. */
export function stepArg(session: LabSession, step: unknown): number | undefined {
  if (typeof step !== 'string' || !step) return undefined;
  const lab = session.lab;
  const n = /^\d+$/.test(step) ? Number(step) - 1 : lab.steps.findIndex((s) => s.id === step);
  if (n < 0 || n >= lab.steps.length) {
    throw new KindlabError('usage', `lab "${lab.meta.id}" has no step "${step}"`, {
      fix: `Steps: ${lab.steps.map((s) => `${s.index} (${s.id})`).join(', ')}.`,
    });
  }
  return n;
}
