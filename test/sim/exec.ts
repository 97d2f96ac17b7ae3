/**
 * Exec into pods (and, for the fake `docker exec`, into nodes): a scriptable handler decides the
 * output. Clients reach it over pods/<name>/exec as a 1.35 API server and kubelet serve it —
 * exec-streams.ts: WebSocket v5/v4.channel.k8s.io (kubectl's default) and the SPDY/3.1 fallback
 * (v4.channel.k8s.io) — or over the plain JSON endpoint POST /_sim/exec the fake executables use.
 * The handler runs once the command's stdin is complete (when the client attached stdin).
 */
import type { KubeObject } from '../../src/core/seams.js';
import type { SimCluster } from './cluster.js';
import { badRequest, notFound } from './status.js';

export interface ExecRequest {
  /** Name of the sim cluster ("default" for the root URL). */
  cluster: string;
  namespace?: string;
  pod?: string;
  container?: string;
  /** Set for `docker exec <node-container>`; pod fields are then unset. */
  node?: string;
  /**
   * Set for `docker run --network container:<node-container> <image> ...`: the command runs from
   * that image, in the node container's network namespace (`node` is set as well).
   */
  image?: string;
  command: string[];
  /** What was piped in (`docker exec -i`, `kubectl exec -i`), as UTF-8, when stdin was attached. */
  stdin?: string;
  /** The same bytes unchanged (binary input such as the tar stream of `kubectl cp`). */
  stdinBytes?: Buffer;
}

export interface ExecOutput {
  stdout?: string;
  stderr?: string;
  exitCode?: number;
}

export type ExecHandler = (req: ExecRequest) => ExecOutput | Promise<ExecOutput>;

export const defaultExecHandler: ExecHandler = () => ({ stderr: 'no exec handler\n', exitCode: 126 });

/** The container to exec in: the named one, or the only/default one, with the API server's errors. */
export function resolveContainer(
  cluster: SimCluster,
  namespace: string,
  podName: string,
  container: string | undefined,
  purpose: 'exec' | 'log' = 'exec',
): { pod: KubeObject; container: string } {
  const podType = cluster.resource('v1', 'Pod');
  const pod = cluster.objects.get(podType, namespace, podName);
  if (!pod) throw notFound(podType, podName);
  const names = ((pod.spec as { containers?: Array<{ name: string }> } | undefined)?.containers ?? []).map((c) => c.name);
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  if (purpose === 'exec' && (phase === 'Succeeded' || phase === 'Failed')) {
    throw badRequest(`cannot exec into a container in a completed pod; current phase is ${phase}`);
  }
  let chosen = container;
  if (!chosen) {
    if (names.length !== 1) {
      throw badRequest(`a container name must be specified for pod ${podName}, choose one of: [${names.join(' ')}]`);
    }
    chosen = names[0]!;
  }
  if (!names.includes(chosen)) throw badRequest(`container ${chosen} is not valid for pod ${podName}`);
  if (purpose === 'exec' && phase !== 'Running') throw badRequest(`unable to upgrade connection: container not found ("${chosen}")`);
  if (purpose === 'log' && (phase === undefined || phase === 'Pending')) {
    throw badRequest(`container "${chosen}" in pod "${podName}" is waiting to start: ContainerCreating`);
  }
  return { pod, container: chosen };
}

/** The Status a real API server sends on channel 3 when the command ends. */
export function execStatus(command: string[], exitCode: number) {
  if (exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

export async function runExec(handler: ExecHandler, req: ExecRequest): Promise<Required<ExecOutput>> {
  const out = await handler(req);
  return { stdout: out.stdout ?? '', stderr: out.stderr ?? '', exitCode: out.exitCode ?? 0 };
}

