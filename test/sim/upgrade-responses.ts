/**
 * What streaming upgrade requests (exec, port-forward) share, on the socket Node hands over for an
 * `upgrade` event: finding the pod the request is for (route, record, authenticate), raw refusals
 * as a real server sends them (a Status body, or the kubelet's plain-text error), and the 101 of a
 * SPDY/3.1 upgrade.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { SimCluster } from './cluster.js';
import { SimHttpError } from './status.js';

export interface UpgradeRoutes {
  /** The cluster a URL path belongs to and the rest of the path, or undefined. */
  route(pathname: string): { cluster: SimCluster; rest: string } | undefined;
  authorized(req: IncomingMessage): boolean;
  /** Records the request (sim.requests). */
  onRequest(cluster: SimCluster, url: URL, method?: string): void;
}

export interface PodStreamRequest {
  cluster: SimCluster;
  url: URL;
  namespace: string;
  pod: string;
}

/** pods/<name>/<subresource> of a streaming request, or undefined after refusing it (404, 401). */
export function podStreamRequest(routes: UpgradeRoutes, subresource: 'exec' | 'portforward', req: IncomingMessage, socket: Duplex): PodStreamRequest | undefined {
  const url = new URL(req.url ?? '/', 'http://sim');
  const routed = routes.route(url.pathname);
  const m = routed && new RegExp(`^api/v1/namespaces/([^/]+)/pods/([^/]+)/${subresource}$`).exec(routed.rest);
  if (!routed || !m) return void refuseWithStatus(socket, new SimHttpError(404, 'NotFound', 'the server could not find the requested resource'));
  routes.onRequest(routed.cluster, url, req.method);
  if (!routes.authorized(req)) return void refuseWithStatus(socket, new SimHttpError(401, 'Unauthorized', 'Unauthorized'));
  return { cluster: routed.cluster, url, namespace: decodeURIComponent(m[1]!), pod: decodeURIComponent(m[2]!) };
}

export function respond(socket: Duplex, code: number, body: string, contentType: string): void {
  socket.end(
    `HTTP/1.1 ${code} ${STATUS_CODES[code] ?? 'Error'}\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Refuses with a Status, as the API server does before it proxies to the kubelet. */
export const refuseWithStatus = (socket: Duplex, err: SimHttpError) => respond(socket, err.code, JSON.stringify(err.body), 'application/json');

/** Refuses with plain text, as the kubelet's streaming server does. */
export const refuseAsKubelet = (socket: Duplex, code: number, message: string) => respond(socket, code, message, 'text/plain; charset=utf-8');

/** The values of X-Stream-Protocol-Version (sent once per protocol; Node joins repeats with ", "). */
export function offeredStreamProtocols(req: IncomingMessage): string[] {
  return String(req.headers['x-stream-protocol-version'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

/** The kubelet's answer when none of the client's protocols is one it speaks (httpstream.Handshake). */
export function refuseProtocols(socket: Duplex, offered: string[], supported: string[]): void {
  refuseAsKubelet(socket, 403, `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server supports [${supported.join(' ')}]`);
}

export function acceptSpdyUpgrade(socket: Duplex, protocol: string | undefined): void {
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n${protocol ? `X-Stream-Protocol-Version: ${protocol}\r\n` : ''}\r\n`);
}
