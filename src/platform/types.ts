/** What the engine asks of the platform layer to bring a lab's environment up and down. */
import type { Lab } from '../model/lab.js';
import type { LabCluster } from '../checks/types.js';

export interface ToolOverrides {
  kind?: string;
  kubectl?: string;
  istio?: string;
  helm?: string;
  /** Kubernetes version of the node image, e.g. v1.35.8 (the digest comes from the pins file). */
  k8s?: string;
}

export interface ProvisionOptions {
  /** Where kubeconfig and other lab files go (labStateDir). */
  stateDir: string;
  overrides: ToolOverrides;
  /** upstream registry → mirror URL, e.g. docker.io → https://mirror.example */
  registryMirrors: Record<string, string>;
  /** Leave what was created in place when provisioning fails. */
  keepOnFailure: boolean;
  /** Status lines for the user (stderr). */
  status: (message: string) => void;
  signal?: AbortSignal;
}

export interface ProvisionedLab {
  clusters: LabCluster[];
  /** The lab's own kubeconfig (all of its clusters' contexts). */
  kubeconfig: string;
  /** Environment for every command of the lab: KUBECONFIG, PATH with pinned tools first, ISTIO_HOME, CTX_* vars. */
  env: Record<string, string>;
  /** Versions actually used, for reports. */
  versions: Record<string, string>;
}

export interface TeardownResult {
  removedClusters: string[];
  removedContainers: string[];
  /** Clusters named like kindlab's that kindlab did not create: left alone, with how to delete them by hand. */
  notOurs?: Array<{ name: string; why: string; fix: string }>;
}

export interface Platform {
  /** Creates (or reuses) the lab's clusters and addons. Throws a KindlabError naming the failed phase. */
  up(lab: Lab, opts: ProvisionOptions): Promise<ProvisionedLab>;
  /** The environment of an already provisioned lab, without creating anything (for `check` from another terminal). */
  attach(lab: Lab, opts: Pick<ProvisionOptions, 'stateDir' | 'overrides'>): Promise<ProvisionedLab>;
  /** Deletes what kindlab created for the lab (or every lab), and only that. Idempotent. */
  down(labId: string | 'all', opts: { status: (m: string) => void }): Promise<TeardownResult>;
}
