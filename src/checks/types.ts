/** What a check receives and returns. The engine builds the context; checks never start processes directly. */
import type { Clock, KubeClient, ProcessRunner } from '../core/seams.js';
import type { CheckKind, CheckSpec } from './schema.js';

/** A cluster of the running lab, as checks need to know it. */
export interface LabCluster {
  /** Name in the lab's front matter ("" for the single unnamed cluster). */
  name: string;
  /** The kind cluster name (kindlab-<lab>[-<name>]); node containers are <kindName>-control-plane, <kindName>-worker, ... */
  kindName: string;
  /** kubeconfig context for this cluster in the lab's kubeconfig (kind-<kindName>). */
  context: string;
}

export interface CheckContext {
  /** Kubernetes client of a lab cluster (default: the first). */
  kube(cluster?: string): KubeClient;
  clusters: LabCluster[];
  runner: ProcessRunner;
  clock: Clock;
  /** Environment for commands: lab kubeconfig, PATH with pinned tools first, lab variables. */
  env: Record<string, string | undefined>;
  /** Lab variables (front matter env, captured values); checks read ${VAR} from here. */
  vars: Record<string, string>;
  /** Directory of lab.md (custom check modules, manifests). */
  labDir: string;
  /** Values observed by this step's `check before` blocks, keyed by check line (e.g. a certificate's NotAfter). */
  baseline: Map<string, unknown>;
  /** Time the current step began (ms since epoch). */
  stepStartedAt: number;
  signal?: AbortSignal;
}

export type CheckStatus = 'pass' | 'fail' | 'error';

export interface CheckResult {
  kind: CheckKind;
  /** Human description, e.g. "deployment default/new-nginx rolled out (4/4 ready)". */
  title: string;
  status: CheckStatus;
  /** What was expected, in a sentence or a small table. */
  expected: string;
  /** What was found (the last observation before giving up). */
  found: string;
  /** Where to look next ("kubectl describe deployment new-nginx", "kubectl logs ..."). */
  hint?: string;
  /** Extra lines: field-level differences, an observed share table. */
  details?: string[];
  durationMs: number;
  /** Data the check observed, for `capture` paths and reports. */
  data?: unknown;
  /** Values captured into lab variables. */
  captured?: Record<string, string>;
  /** Line of the check in lab.md. */
  line: number;
}

/** One implementation per kind in src/checks/kinds/<kind>.ts, loaded lazily by the registry. */
export interface CheckImplementation<K extends CheckKind = CheckKind> {
  kind: K;
  /** Default timeout in ms when the check does not set one. */
  defaultTimeoutMs: number;
  /**
   * One attempt. Throwing means an error (e.g. API unreachable) and is retried like a failure until
   * the timeout. Implementations that can wait on a watch may block until the deadline in `signal`.
   */
  attempt(spec: Extract<CheckSpec, { kind: K }>['spec'], ctx: CheckContext, signal: AbortSignal): Promise<AttemptOutcome>;
}

export interface AttemptOutcome {
  ok: boolean;
  title: string;
  expected: string;
  found: string;
  details?: string[];
  hint?: string;
  data?: unknown;
}
