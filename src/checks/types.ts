/** What a check receives and returns. The engine builds the context; checks never start processes directly. */
import type { Clock, KubeClient, ProcessRunner } from '../core/seams.js';
import type { CheckKind, CheckSpec } from '../model/check-schema.js';

/** A cluster of the running lab, as checks need to know it. */
export interface LabCluster {
  /** Name in the lab's front matter ("" for the single unnamed cluster). */
  name: string;
  /** The kind cluster name (kindlab-<lab>[-<name>]); node containers are <kindName>-control-plane, <kindName>-worker, ... */
  kindName: string;
  /** kubeconfig context for this cluster in the lab's kubeconfig (kind-<kindName>). */
  context: string;
}

/** How many attempts a check makes and how many must pass in a row (see src/checks/sample-plan.ts). */
export interface AttemptPlan {
  /** Most attempts (Infinity for kinds that retry until the timeout). */
  attempts: number;
  /** Passing attempts in a row the check needs. */
  consecutive: number;
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
  /**
   * Data observed by this step's `check before` checks (e.g. a certificate's NotAfter), keyed by
   * check kind (the last such check of that kind) and by "line:<n>". `notAfterAfter: stepStart`
   * compares with baseline.get('certificate').
   */
  baseline: Map<string, unknown>;
  /** Time the current step began (ms since epoch). */
  stepStartedAt: number;
  signal?: AbortSignal;
  /**
   * The cluster a check targets (its `cluster` option). runCheck sets it and makes `kube()` without
   * an argument return that cluster's client; unset means the first cluster.
   */
  cluster?: string;
  /**
   * How many attempts runCheck will make and how many must pass in a row: statistical kinds size
   * each sample so that the whole check keeps its stated power (src/checks/sample-plan.ts).
   */
  attemptPlan?: AttemptPlan;
}

export type CheckStatus = 'pass' | 'fail' | 'error';

/** Runs one check to its verdict (runCheck in run.ts; the engine takes it as a dependency). */
export type CheckRunner = (check: CheckSpec, ctx: CheckContext) => Promise<CheckResult>;

export interface CheckResult {
  kind: CheckKind;
  /** Human description, e.g. "deployment default/new-nginx rolled out (4/4 ready)". */
  title: string;
  status: CheckStatus;
  /** What was expected, in a sentence or a small table. */
  expected: string;
  /** What was found (the last observation before giving up). */
  found: string;
  /** Where to look next ("kubectl describe deployment new-nginx", "kubectl logs ..."), for the learner. */
  hint?: string;
  /** For whoever writes the lab (a variable no step sets): shown by `run` and in reports, never to a learner. */
  authorNote?: string;
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

/**
 * How runCheck repeats attempts:
 * - watch: attempt() waits on KubeClient.watch and returns once the condition holds or the deadline
 *   aborts its signal; it is called again only after a watch error or to count consecutive passes;
 * - poll: attempt() looks once; failures are retried with backoff until the deadline;
 * - sample: attempt() draws a fresh statistical sample; at most `attempts` attempts (default:
 *   `consecutive` + 1).
 */
export type AttemptStrategy = 'watch' | 'poll' | 'sample';

/** One implementation per kind in src/checks/kinds/<kind>.ts, loaded lazily by the registry. */
export interface CheckImplementation<K extends CheckKind = CheckKind> {
  kind: K;
  /** Default timeout in ms when the check does not set one. */
  defaultTimeoutMs: number;
  /** Default: poll. */
  strategy?: AttemptStrategy;
  /** A title for results produced before any attempt finished (errors, interrupts). */
  describe?(spec: Extract<CheckSpec, { kind: K }>['spec']): string;
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

/**
 * A lab's own check (kind `custom`): the default export (or the named `export`) of a module beside
 * lab.md, e.g. labs/mesh-expansion/checks/vm-registered.ts:
 *
 *   import type { CustomCheck } from '../../../src/checks/types.js';
 *   const check: CustomCheck<{ namespace: string }> = async (args, ctx) => {
 *     const entries = await ctx.kube().list({ apiVersion: 'networking.istio.io/v1', kind: 'WorkloadEntry', namespace: args.namespace });
 *     return { ok: entries.length > 0, title: 'VM registered', expected: 'a WorkloadEntry', found: `${entries.length} entries` };
 *   };
 *   export default check;
 *
 * It is called once per attempt and retried like a poll until the check's timeout; `ctx.signal`
 * fires at the deadline. Throwing counts as an error (shown with its message).
 */
export type CustomCheck<Args = Record<string, unknown>> = (
  args: Args,
  ctx: CheckContext & { signal: AbortSignal },
) => AttemptOutcome | Promise<AttemptOutcome>;
