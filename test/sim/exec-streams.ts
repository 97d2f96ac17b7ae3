/**
 * The streaming transports of pods/<name>/exec, as kubectl 1.35 uses them:
 *
 * - WebSocket, subprotocol v5.channel.k8s.io (or v4): each binary message starts with a channel
 *   byte — 0 stdin, 1 stdout, 2 stderr, 3 the final Status, 4 resize. In v5 the client ends stdin
 *   with the CLOSE signal [255, 0], so a command reading stdin (`cat`, `tar -x`) gets its EOF.
 *   v4 has no such signal: with stdin attached, the command only runs when the client closes the
 *   connection — too late for its output, as a command waiting on stdin would hang for real.
 * - SPDY/3.1 (kubectl's fallback when the WebSocket upgrade fails, or with
 *   KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false), protocol v4.channel.k8s.io: one stream per channel,
 *   named by its `streamType` header (error, stdin, stdout, stderr, resize); the command runs once
 *   every expected stream is open and stdin has ended.
 *
 * Either way the Status on the error channel says Success or NonZeroExitCode with the exit code in
 * details.causes, and kubectl exits with that code. With tty=true, stderr joins stdout (a terminal
 * has one output) and resize messages are ignored.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SimCluster } from './cluster.js';
import { execStatus, resolveContainer, runExec, type ExecHandler, type ExecOutput, type ExecRequest } from './exec.js';
import { SpdyServerSession, type SpdyStream } from './spdy-session.js';
import { badRequest, SimHttpError } from './status.js';
import { acceptSpdyUpgrade, offeredStreamProtocols, podStreamRequest, refuseProtocols, refuseWithStatus, type UpgradeRoutes } from './upgrade-responses.js';
import { queryFlag } from './watch-options.js';

const WEBSOCKET_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const SPDY_PROTOCOL = 'v4.channel.k8s.io';
const Channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

export interface ExecUpgradeContext extends UpgradeRoutes {
  handler(): ExecHandler;
}

interface ExecCall {
  request: Omit<ExecRequest, 'stdin' | 'stdinBytes'>;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** Reads the exec options and the target container, with the API server's and kubelet's refusals. */
function execCall(cluster: SimCluster, namespace: string, pod: string, query: URLSearchParams): ExecCall {
  const command = query.getAll('command');
  if (command.length === 0) throw badRequest('you must specify at least 1 command');
  const flags = { stdin: queryFlag(query, 'stdin') ?? false, stdout: queryFlag(query, 'stdout') ?? false, stderr: queryFlag(query, 'stderr') ?? false, tty: queryFlag(query, 'tty') ?? false };
  if (!flags.stdin && !flags.stdout && !flags.stderr) throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
  const { container } = resolveContainer(cluster, namespace, pod, query.get('container') || undefined);
  return { request: { cluster: cluster.name, namespace, pod, container, command }, ...flags };
}

async function run(handler: ExecHandler, call: ExecCall, stdin: Buffer | undefined): Promise<Required<ExecOutput>> {
  const req: ExecRequest = { ...call.request, ...(stdin ? { stdin: stdin.toString('utf8'), stdinBytes: stdin } : {}) };
  let out: Required<ExecOutput>;
  try {
    out = await runExec(handler, req);
  } catch (err) {
    out = { stdout: '', stderr: `sim exec handler failed: ${(err as Error).message}\n`, exitCode: 1 };
  }
  return call.tty ? { stdout: out.stdout + out.stderr, stderr: '', exitCode: out.exitCode } : out;
}

const frame = (channel: number, data: string | Buffer) => Buffer.concat([Buffer.from([channel]), Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8')]);

function serveWebSocket(ws: WebSocket, call: ExecCall, handler: ExecHandler): void {
  const chunks: Buffer[] = [];
  const stdin = !call.stdin
    ? Promise.resolve(undefined)
    : new Promise<Buffer>((resolve) => {
        ws.on('message', (data: Buffer) => {
          if (data[0] === Channel.stdin) chunks.push(data.subarray(1));
          else if (data[0] === Channel.close && data[1] === Channel.stdin && ws.protocol !== 'v4.channel.k8s.io') resolve(Buffer.concat(chunks));
        });
        ws.on('close', () => resolve(Buffer.concat(chunks)));
      });
  void stdin.then(async (input) => {
    const out = await run(handler, call, input);
    if (ws.readyState !== ws.OPEN) return;
    if (out.stdout && call.stdout) ws.send(frame(Channel.stdout, out.stdout));
    if (out.stderr && call.stderr) ws.send(frame(Channel.stderr, out.stderr));
    ws.send(frame(Channel.error, JSON.stringify(execStatus(call.request.command, out.exitCode))), () => ws.close(1000));
  });
}

function serveSpdy(session: SpdyServerSession, call: ExecCall, handler: ExecHandler): void {
  const expected = ['error', ...(call.stdin ? ['stdin'] : []), ...(call.stdout ? ['stdout'] : []), ...(call.stderr && !call.tty ? ['stderr'] : []), ...(call.tty ? ['resize'] : [])];
  const streams = new Map<string, SpdyStream>();
  const input: Buffer[] = [];
  let stdinEnded: Promise<void> = Promise.resolve();
  session.on('stream', (stream: SpdyStream) => {
    const type = stream.headers.streamtype ?? '';
    if (!expected.includes(type) || streams.has(type)) return void stream.destroy();
    streams.set(type, stream);
    if (type === 'stdin') {
      stdinEnded = new Promise((resolve) => {
        stream.on('data', (chunk: Buffer) => input.push(chunk));
        stream.on('end', resolve);
        stream.on('close', resolve);
      });
    } else {
      stream.resume(); // nothing to read on the other channels
    }
    if (streams.size < expected.length) return;
    void stdinEnded.then(async () => {
      const out = await run(handler, call, call.stdin ? Buffer.concat(input) : undefined);
      if (call.stdout) streams.get('stdout')?.end(out.stdout);
      if (call.stderr && !call.tty) streams.get('stderr')?.end(out.stderr);
      streams.get('resize')?.end();
      streams.get('stdin')?.end();
      streams.get('error')?.end(JSON.stringify(execStatus(call.request.command, out.exitCode)));
      session.close(); // the kubelet closes the connection when the command is done
    });
  });
}

/** Handles streaming upgrades of pods/<name>/exec; refuses any other upgrade path with a 404. */
export function createExecUpgradeHandler(ctx: ExecUpgradeContext) {
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => WEBSOCKET_PROTOCOLS.find((p) => offered.has(p)) ?? false });
  const sessions = new Set<SpdyServerSession>();

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const target = podStreamRequest(ctx, 'exec', req, socket);
    if (!target) return;
    let call: ExecCall;
    try {
      call = execCall(target.cluster, target.namespace, target.pod, target.url.searchParams);
    } catch (err) {
      if (err instanceof SimHttpError) return refuseWithStatus(socket, err);
      throw err;
    }
    const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
    if (upgrade === 'spdy/3.1') {
      const offered = offeredStreamProtocols(req);
      if (!offered.includes(SPDY_PROTOCOL)) return refuseProtocols(socket, offered, [SPDY_PROTOCOL]);
      acceptSpdyUpgrade(socket, SPDY_PROTOCOL);
      const session = new SpdyServerSession(socket, head);
      sessions.add(session);
      session.on('close', () => sessions.delete(session));
      return serveSpdy(session, call, ctx.handler());
    }
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => serveWebSocket(ws, call, ctx.handler()));
  };

  const closeAll = () => {
    for (const s of [...sessions]) s.close();
    for (const client of wss.clients) client.terminate();
    wss.close();
  };
  return { onUpgrade, closeAll };
}
