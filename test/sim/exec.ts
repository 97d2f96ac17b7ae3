/**
 * Exec into pods (and, for the fake `docker exec`, into nodes): a scriptable handler decides the
 * output. Clients reach it over the Kubernetes WebSocket exec protocol (v5/v4.channel.k8s.io:
 * channel byte 1 = stdout, 2 = stderr, 3 = the final Status) or over the plain JSON endpoint
 * POST /_sim/exec that the fake executables use.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { KubeObject } from '../../src/core/seams.js';
import type { SimCluster } from './cluster.js';
import { badRequest, notFound, SimHttpError } from './status.js';

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
  /** What was piped in (`docker exec -i`, `kubectl exec -i`), when anything was. */
  stdin?: string;
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

const EXEC_PATH = /^api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/;
const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

function frame(channel: number, data: string | Buffer): Buffer {
  return Buffer.concat([Buffer.from([channel]), Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8')]);
}

function refuse(socket: Duplex, err: SimHttpError): void {
  const body = JSON.stringify(err.body);
  socket.end(
    `HTTP/1.1 ${err.code} ${STATUS_CODES[err.code] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export interface ExecUpgradeContext {
  /** The cluster a URL path belongs to and the rest of the path, or undefined. */
  route(pathname: string): { cluster: SimCluster; rest: string } | undefined;
  authorized(req: IncomingMessage): boolean;
  handler(): ExecHandler;
  onRequest(cluster: SimCluster, url: URL): void;
}

/** Handles WebSocket upgrades for pods/<name>/exec; returns a function that closes open sockets. */
export function createExecUpgradeHandler(ctx: ExecUpgradeContext) {
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => PROTOCOLS.find((p) => offered.has(p)) ?? false,
  });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    const routed = ctx.route(url.pathname);
    const m = routed && EXEC_PATH.exec(routed.rest);
    if (!routed || !m) return refuse(socket, new SimHttpError(404, 'NotFound', 'the server could not find the requested resource'));
    ctx.onRequest(routed.cluster, url);
    if (!ctx.authorized(req)) return refuse(socket, new SimHttpError(401, 'Unauthorized', 'Unauthorized'));
    const namespace = decodeURIComponent(m[1]!);
    const podName = decodeURIComponent(m[2]!);
    const command = url.searchParams.getAll('command');
    let container: string;
    try {
      if (command.length === 0) throw badRequest('you must specify at least 1 command');
      ({ container } = resolveContainer(routed.cluster, namespace, podName, url.searchParams.get('container') || undefined));
    } catch (err) {
      if (err instanceof SimHttpError) return refuse(socket, err);
      throw err;
    }
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      void (async () => {
        let result: Required<ExecOutput>;
        try {
          result = await runExec(ctx.handler(), { cluster: routed.cluster.name, namespace, pod: podName, container, command });
        } catch (err) {
          result = { stdout: '', stderr: `sim exec handler failed: ${(err as Error).message}\n`, exitCode: 1 };
        }
        if (result.stdout) ws.send(frame(1, result.stdout));
        if (result.stderr) ws.send(frame(2, result.stderr));
        ws.send(frame(3, JSON.stringify(execStatus(command, result.exitCode))), () => ws.close(1000));
      })();
    });
  };

  const closeAll = () => {
    for (const client of wss.clients) client.terminate();
    wss.close();
  };
  return { onUpgrade, closeAll };
}
