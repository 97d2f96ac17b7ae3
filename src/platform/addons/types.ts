/**
 * What an addon is: one object per addon (src/platform/addons/<name>.ts), listed in registry.ts.
 * It says everything about the addon in one place, so the platform (`up`), `kindlab export`,
 * prefetch, doctor and repro walk the registry and none of them switches on addon names:
 *
 *   settings   the schema of its front-matter settings (checked by resolveAddons)
 *   install    how kindlab installs it (host addons: start/stop)
 *   script     the bash `kindlab export` writes for it: the same steps with plain tools
 *   versions   what it adds to a run's reported versions
 *   images     the images it pulls (prefetch, offline readiness)
 *   downloads  the files it fetches from the internet at install time (`doctor --upstream`)
 *   tools      the pinned tools its install runs, beside kind and kubectl
 */
import { z } from 'zod';
import type { AddonName } from '../../model/frontmatter-schema.js';
import type { Pins, ToolName } from '../tools/versions.js';
import type { AddonPins, ClusterContext, HostContext } from './context.js';

/** The `clusters` setting most addons take: the front-matter names of the clusters that get it (all when omitted). */
export const clustersSetting = z.array(z.string()).min(1).optional();

export type ImagePlace = 'host' | 'cluster';

/** An image the platform itself needs, beside the ones a lab's manifests name. */
export interface PlatformImage {
  ref: string;
  /**
   * `host`: runs in the host's Docker engine (node containers, cloud-provider-kind and its Envoys);
   * `cluster`: pulled by containerd inside the kind nodes, through a registry mirror if any.
   */
  place: ImagePlace;
  why: string;
}

/** A file an addon's install fetches, for `kindlab doctor --upstream` to resolve. */
export interface AddonDownload {
  url: string;
  /** exists: the file answers; chart-index: the Helm repository index lists `entry`. */
  check: 'exists' | 'chart-index';
  entry?: string;
  why: string;
}

/** Facts about the machine that only some addons need; the platform fills them in. */
export interface MachineFacts {
  hostPlatform: NodeJS.Platform;
  /** kindlab's state root (KindlabPaths.state), for tables shared by all labs (MetalLB pools). */
  stateRoot: string;
}

/**
 * Where `kindlab export` writes an addon's bash. Words passed to `command` are quoted for bash;
 * `kubeconfig` and the words `file`/`labFile` return stand for "$KUBECONFIG" and files under
 * "$WORK". The script defines `say`, `die` and `wait_for_value` (src/repro/export/prelude.ts).
 */
export interface ScriptWriter {
  readonly pins: Pins;
  /** The word for the script's "$KUBECONFIG". */
  readonly kubeconfig: string;
  /** Appends lines as they are. */
  lines(...lines: string[]): void;
  /** One command line from words, each quoted for bash. */
  command(words: readonly string[]): string;
  /** One word quoted for bash. */
  word(word: string): string;
  /** Makes the script write `content` to $WORK/<path>; returns the word naming that file. */
  file(path: string, content: string): string;
  /** Makes the script write the lab's own file (relative to lab.md); returns the word naming it. */
  labFile(path: string): Promise<string>;
}

/** One cluster of the lab, as the exported script knows it. */
export interface ScriptTarget {
  context: string;
  kindName: string;
  /** Position among the lab's clusters (0 for the first). */
  index: number;
}

/** Its name is its key in the registry. */
interface AddonBase<S> {
  /** Its front-matter settings; every addon's is a strict object. */
  settings: z.ZodType<S>;
  /** Pinned tools the install runs besides kind and kubectl (helm, istioctl). */
  tools?: readonly ToolName[];
  /** Its entries in a run's reported versions. */
  versions?(pins: AddonPins): Record<string, string>;
  /** Images it pulls that no lab manifest names. */
  images?(settings: S, pins: Pins): PlatformImage[];
  /** Files its install fetches (manifests, chart indexes), whatever its settings. */
  downloads?(pins: Pins): AddonDownload[];
  /** Files of the Istio release it applies (relative to ISTIO_HOME), read for their images. */
  releaseManifests?(settings: S): string[];
  /**
   * Gives LoadBalancer IPs. At most one such addon per lab; `default` is the one kindlab adds when
   * another addon would leave a LoadBalancer Service pending, and `--load-balancer` picks among them.
   */
  loadBalancer?: 'default' | 'alternative';
  /** Why this addon needs a load balancer with these settings (it creates a LoadBalancer Service), if it does. */
  needsLoadBalancer?(settings: S): string | undefined;
  /** Addons that must be listed with it. */
  requires?: readonly AddonName[];
  /** A problem with the settings that the schema cannot express, as a sentence. */
  problem?(settings: S): string | undefined;
}

/** Installed into each cluster it applies to (its `clusters` setting; all by default). */
export interface ClusterAddon<S = object, P = unknown> extends AddonBase<S> {
  scope: 'cluster';
  /** Runs once before the per-cluster installs, with the kind clusters that get the addon. */
  prepare?(host: HostContext, kindNames: readonly string[], machine: MachineFacts): Promise<P>;
  install(ctx: ClusterContext, settings: S, prepared: P): Promise<void>;
  /** Bash written once before the first cluster's lines (shell functions they call). */
  scriptSetup?(w: ScriptWriter): void;
  script(w: ScriptWriter, settings: S, target: ScriptTarget): void | Promise<void>;
}

/** Runs once on the host and serves every kind cluster there (cloud-provider-kind). */
export interface HostAddon<S = object> extends AddonBase<S> {
  scope: 'host';
  /** Starts it unless it already runs; `started` when this run started it. */
  start(host: HostContext, settings: S, machine: MachineFacts): Promise<{ started: boolean }>;
  /** Stops what `start` started (after a failed `up`, when no kindlab cluster is left); returns a note. */
  stop(host: Pick<HostContext, 'runner' | 'tools' | 'env'>): Promise<string>;
  script(w: ScriptWriter, settings: S): void;
  /** Bash for the script's `down`, which deletes the clusters. */
  downScript?(w: ScriptWriter): void;
}

export type Addon<S = object> = ClusterAddon<S> | HostAddon<S>;
