/**
 * The seams between kindlab and the outside world. Everything above `platform/` receives these
 * as arguments, so tests substitute fakes (a simulated API server, recording executables,
 * scripted prompts, a manual clock) without mocking modules.
 */

// ---------------------------------------------------------------- processes

export interface RunOptions {
  cwd?: string;
  /** Full environment for the child (not merged): build it with `labEnv()`. */
  env?: Record<string, string | undefined>;
  /** Text written to the child's stdin. */
  input?: string;
  timeoutMs?: number;
  /** Called with output as it arrives (for showing a command's output live). */
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
  signal?: AbortSignal;
}

export interface RunResult {
  /** What was run, for messages and reports: the argv, or ['bash', '-c', script]. */
  argv: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** True when the run was stopped by timeoutMs or the abort signal. */
  timedOut?: boolean;
}

/** Runs external programs. Never throws for a non-zero exit: callers inspect exitCode. */
export interface ProcessRunner {
  run(command: string, args: string[], opts?: RunOptions): Promise<RunResult>;
  /** Runs a bash script (a lab's ```sh block) with `set -euo pipefail`. */
  runScript(script: string, opts?: RunOptions): Promise<RunResult>;
}

// ---------------------------------------------------------------- kubernetes

/** A Kubernetes object as plain JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface ListQuery {
  apiVersion: string;
  kind: string;
  /** Omit for cluster-scoped kinds or to list across all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** The API operations kindlab needs, bound to one cluster (one kubeconfig context). */
export interface KubeClient {
  /** Undefined when the object does not exist. */
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  list(query: ListQuery): Promise<KubeObject[]>;
  /** Server-side apply with field manager "kindlab". */
  apply(obj: KubeObject): Promise<KubeObject>;
  /** JSON merge patch. */
  patch(ref: ObjectRef, patch: Record<string, unknown>): Promise<KubeObject>;
  /** True when something was deleted, false when it was already gone. */
  delete(ref: ObjectRef): Promise<boolean>;
  /**
   * Watches objects matching the query; `onEvent` also receives the initial state as ADDED events.
   * Resolves to a function that stops the watch.
   */
  watch(
    query: ListQuery,
    onEvent: (type: WatchEventType, obj: KubeObject) => void,
    onError?: (err: unknown) => void,
  ): Promise<() => void>;
  /** Runs a command in a container of a pod, like `kubectl exec`. */
  exec(pod: { namespace: string; name: string; container?: string }, command: string[]): Promise<ExecResult>;
}

/** Opens a KubeClient for a context of a kubeconfig file. Never uses the user's default kubeconfig implicitly. */
export type KubeClientFactory = (kubeconfigPath: string, context?: string) => KubeClient;

// ---------------------------------------------------------------- people and time

export interface Choice<T extends string> {
  value: T;
  name: string;
  description?: string;
}

export interface Prompter {
  select<T extends string>(message: string, choices: Choice<T>[], defaultValue?: T): Promise<T>;
  confirm(message: string, defaultValue?: boolean): Promise<boolean>;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after ms, or rejects with an AbortError when the signal fires. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Where output goes. Data goes to `out` (stdout), status and progress to `err` (stderr). */
export interface Terminal {
  out(text: string): void;
  err(text: string): void;
  /** True when stderr is an interactive terminal (spinners, progress). */
  isTTY: boolean;
  /** True when a person can answer prompts: stdin and stderr (where prompts draw) are both terminals. */
  interactive: boolean;
  /** False under NO_COLOR, TERM=dumb or when not a TTY. */
  color: boolean;
  columns: number;
  /** The same for stdout, where documents (`show`) go: rendered and paged only on a terminal. */
  stdout: { isTTY: boolean; color: boolean; columns: number; rows: number };
}
