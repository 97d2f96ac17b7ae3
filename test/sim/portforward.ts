/**
 * pods/<name>/portforward as a 1.35 API server and kubelet serve it to the real kubectl:
 *
 * - WebSocket tunnelling SPDY (subprotocol `SPDY/3.1+portforward.k8s.io`, the API server's
 *   PortForwardWebsockets path, on by default since 1.31): SPDY frames ride in binary messages.
 * - Plain SPDY/3.1 upgrade (`Upgrade: SPDY/3.1`, `X-Stream-Protocol-Version: portforward.k8s.io`),
 *   which kubectl falls back to when the WebSocket upgrade fails.
 *
 * Each connection to kubectl's local port becomes a pair of SPDY streams with the headers
 * `streamType` (error | data), `port` and `requestID`. When both are open, `sim.onPortForward`
 * decides what is listening on that port in the pod; the data stream is then piped to it. With no
 * listener the error stream carries the message containerd gives for a refused connection, and
 * kubectl prints it ("an error occurred forwarding 8080 -> 80: ... connection refused").
 *
 * Refusals before the upgrade follow the API server and kubelet: a pod without a node is a 400,
 * a pod whose sandbox is not running (any phase but Running) is the kubelet's 500
 * `pod not found ("<name>_<namespace>")`, which kubectl reports as "unable to upgrade connection".
 */
import { createHash } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type RequestListener } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream, type WebSocket } from 'ws';
import type { KubeObject } from '../../src/core/seams.js';
import type { SimCluster } from './cluster.js';
import { SpdyServerSession, type SpdyStream } from './spdy-session.js';
import { badRequest, notFound, type SimHttpError } from './status.js';
import { acceptSpdyUpgrade, offeredStreamProtocols, podStreamRequest, refuseAsKubelet, refuseProtocols, refuseWithStatus, type UpgradeRoutes } from './upgrade-responses.js';

export interface PortForwardRequest {
  cluster: string;
  namespace: string;
  pod: string;
  port: number;
}

/**
 * What listens on the port: a connected Duplex (e.g. `net.connect(localPort)` to a server the test
 * runs; its bytes go both ways), `{ http: listener }` to answer each forwarded connection with an
 * in-process HTTP server, or `undefined` for nothing listening (connection refused).
 */
export type PortForwardTarget = Duplex | { http: RequestListener } | undefined;

export type PortForwardHandler = (req: PortForwardRequest) => PortForwardTarget | Promise<PortForwardTarget>;

export const refusePortForward: PortForwardHandler = () => undefined;

const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
const TUNNELING_PREFIX = 'SPDY/3.1+';
const TUNNEL_STAND_IN = 'kindlab-sim-spdy-tunnel';
const PORTFORWARD_PATH = /^api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward$/;

export interface PortForwardUpgradeContext extends UpgradeRoutes {
  handler(): PortForwardHandler;
}

/** A stable fake id the way containerd names things, derived from the pod's uid. */
const idFrom = (pod: KubeObject, salt: string) => createHash('sha256').update(`${salt}:${pod.metadata.uid ?? pod.metadata.name}`).digest('hex');

function refusedMessage(pod: KubeObject, port: number): string {
  const sandbox = idFrom(pod, 'sandbox');
  const n = idFrom(pod, 'netns');
  const netns = `/var/run/netns/cni-${n.slice(0, 8)}-${n.slice(8, 12)}-${n.slice(12, 16)}-${n.slice(16, 20)}-${n.slice(20, 32)}`;
  // kubelet: "error forwarding port %d to pod %s, uid %v: %v" around containerd's dial error.
  return (
    `error forwarding port ${port} to pod ${sandbox}, uid : failed to execute portforward in network namespace "${netns}": ` +
    `failed to connect to localhost:${port} inside namespace "${sandbox}", IPv4: dial tcp4 127.0.0.1:${port}: connect: connection refused ` +
    `IPv6 dial tcp6 [::1]:${port}: connect: connection refused `
  );
}

/** The pod to forward into, or the refusal the API server / kubelet would answer with. */
function targetPod(cluster: SimCluster, namespace: string, name: string): { pod: KubeObject } | { status: SimHttpError } | { kubelet: string } {
  const podType = cluster.resource('v1', 'Pod');
  const pod = cluster.objects.get(podType, namespace, name);
  if (!pod) return { status: notFound(podType, name) };
  if (!(pod.spec as { nodeName?: string } | undefined)?.nodeName) return { status: badRequest(`pod ${name} does not have a host assigned`) };
  if ((pod.status as { phase?: string } | undefined)?.phase !== 'Running') return { kubelet: `pod not found ("${name}_${namespace}")` };
  return { pod };
}

/** Joins one forwarded connection's data stream to what the handler says listens on the port. */
async function forward(req: PortForwardRequest, pod: KubeObject, handler: PortForwardHandler, data: SpdyStream, error: SpdyStream): Promise<void> {
  let target: PortForwardTarget;
  try {
    target = await handler(req);
  } catch (err) {
    target = undefined;
    console.error('sim: onPortForward handler failed:', err);
  }
  if (target === undefined) {
    error.end(refusedMessage(pod, req.port));
    data.end();
    return;
  }
  error.end();
  if ('http' in target && typeof target.http === 'function') {
    // One in-process HTTP server per forwarded connection, fed the stream as its socket.
    const server = createHttpServer(target.http);
    server.emit('connection', data);
    data.on('close', () => server.close());
    return;
  }
  const socket = target as Duplex;
  data.pipe(socket);
  socket.pipe(data);
  socket.on('error', () => data.destroy());
  data.on('error', () => socket.destroy());
  data.on('close', () => socket.destroy());
}

/** Pairs the error and data streams of each requestID and forwards once both are there. */
function servePortForward(session: SpdyServerSession, cluster: SimCluster, pod: KubeObject, handler: () => PortForwardHandler): void {
  const namespace = pod.metadata.namespace ?? 'default';
  const podName = pod.metadata.name;
  const pairs = new Map<string, { error?: SpdyStream; data?: SpdyStream }>();
  session.on('stream', (stream: SpdyStream) => {
    const { streamtype: type, port: portText, requestid: requestId = '' } = stream.headers;
    const port = Number(portText);
    if ((type !== 'error' && type !== 'data') || !Number.isInteger(port) || port <= 0 || port > 65535) {
      stream.destroy();
      return;
    }
    const pair = pairs.get(requestId) ?? {};
    pairs.set(requestId, pair);
    pair[type] = stream;
    if (!pair.error || !pair.data) return;
    pairs.delete(requestId);
    const live = targetPod(cluster, namespace, podName);
    if (!('pod' in live) || live.pod.metadata.uid !== pod.metadata.uid) {
      // The sandbox went away while kubectl kept forwarding: containerd no longer knows it.
      const sandbox = idFrom(pod, 'sandbox');
      pair.error.end(`error forwarding port ${port} to pod ${sandbox}, uid : failed to find sandbox "${sandbox}" in store: not found`);
      pair.data.end();
      return;
    }
    void forward({ cluster: cluster.name, namespace, pod: podName, port }, live.pod, handler(), pair.data, pair.error);
  });
}

/** Handles upgrades of pods/<name>/portforward; `matches` tells the server which upgrades are ours. */
export function createPortForwardUpgradeHandler(ctx: PortForwardUpgradeContext) {
  const sessions = new Set<SpdyServerSession>();
  const tunnelProtocol = TUNNELING_PREFIX + PORT_FORWARD_PROTOCOL;
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => (offered.has(TUNNEL_STAND_IN) ? tunnelProtocol : false) });

  const track = (session: SpdyServerSession) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    return session;
  };

  /** Whether an upgrade's path (after the cluster prefix) is ours. */
  const matches = (rest: string) => PORTFORWARD_PATH.test(rest);

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const target = podStreamRequest(ctx, 'portforward', req, socket);
    if (!target) return;
    const live = targetPod(target.cluster, target.namespace, target.pod);
    if ('status' in live) return refuseWithStatus(socket, live.status);
    if ('kubelet' in live) return refuseAsKubelet(socket, 500, live.kubelet);

    const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
    if (upgrade === 'websocket') {
      const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
      if (!offered.includes(tunnelProtocol)) {
        return refuseWithStatus(socket, badRequest(`unable to upgrade: no supported subprotocol in [${offered.join(' ')}], want ${tunnelProtocol}`));
      }
      // `ws` refuses "/" in a subprotocol name (not an RFC 7230 token character; Go's WebSocket
      // library does not check), so it sees a stand-in and answers with the real name.
      req.headers['sec-websocket-protocol'] = TUNNEL_STAND_IN;
      wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
        const session = track(new SpdyServerSession(createWebSocketStream(ws)));
        servePortForward(session, target.cluster, live.pod, ctx.handler);
      });
      return;
    }
    if (upgrade === 'spdy/3.1') {
      // No protocol header at all is the legacy client the kubelet still serves.
      const offered = offeredStreamProtocols(req);
      if (offered.length > 0 && !offered.includes(PORT_FORWARD_PROTOCOL)) return refuseProtocols(socket, offered, [PORT_FORWARD_PROTOCOL]);
      acceptSpdyUpgrade(socket, offered.length ? PORT_FORWARD_PROTOCOL : undefined);
      const session = track(new SpdyServerSession(socket, head));
      servePortForward(session, target.cluster, live.pod, ctx.handler);
      return;
    }
    refuseWithStatus(socket, badRequest('Upgrade request required'));
  };

  const closeAll = () => {
    for (const s of [...sessions]) s.close();
    for (const client of wss.clients) client.terminate();
    wss.close();
  };
  return { matches, onUpgrade, closeAll };
}
