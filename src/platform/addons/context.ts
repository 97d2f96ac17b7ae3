/** What an addon installer gets: one cluster of the lab, the tools, and the seams. */
import type { Clock, KubeClient, ProcessRunner } from '../../core/seams.js';
import type { ClusterAccess } from '../kind/run.js';
import type { ToolPaths } from '../kind/tools.js';

export interface AddonPins {
  cloudProviderKindImage: string;
  ingressNginx: { chart: string };
  metallb: string;
  gatewayApi: string;
}

export interface HostContext {
  runner: ProcessRunner;
  clock: Clock;
  tools: ToolPaths;
  /** Environment for child processes: PATH with the pinned tools first, KUBECONFIG = the lab's file. */
  env: Record<string, string | undefined>;
  status: (message: string) => void;
  signal?: AbortSignal;
  pins: AddonPins;
  /** The lab's state directory (values files, rendered operators). */
  stateDir: string;
  /** Directory of lab.md, for files a lab ships (an IstioOperator). */
  labDir: string;
  /** ISTIO_HOME: the unpacked Istio release. */
  istioHome?: string;
  timeouts?: { addonMs?: number; istioMs?: number };
}

export interface ClusterContext extends HostContext {
  /** Front-matter name ("" for an unnamed cluster). */
  clusterName: string;
  kindName: string;
  access: ClusterAccess;
  kube: KubeClient;
}

export const DEFAULT_ADDON_TIMEOUT_MS = 5 * 60_000;
