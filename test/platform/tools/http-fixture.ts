/**
 * A local HTTP server standing in for the release sites. Each path maps to a handler; handlers
 * can misbehave on purpose (truncate, stall, 404). Every request is recorded so tests can assert
 * what was (not) fetched.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface FixtureServer {
  url: string;
  /** Paths requested, in order. */
  requests: string[];
  count(path: string): number;
  route(path: string, handler: Handler): void;
  close(): Promise<void>;
}

export async function startServer(routes: Record<string, Handler> = {}): Promise<FixtureServer> {
  const table = new Map(Object.entries(routes));
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(path);
    const h = table.get(path);
    if (h) h(req, res);
    else res.writeHead(404).end('not found');
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    count: (p) => requests.filter((r) => r === p).length,
    route: (p, h) => table.set(p, h),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

export const serve =
  (body: Buffer | string, type = 'application/octet-stream'): Handler =>
  (_req, res) => {
    const buf = Buffer.from(body);
    res.writeHead(200, { 'content-type': type, 'content-length': buf.length });
    res.end(buf);
  };

/** Announces the full length, sends only the first `sent` bytes, then drops the connection. */
export const truncate =
  (body: Buffer | string, sent: number): Handler =>
  (_req, res) => {
    const buf = Buffer.from(body);
    res.writeHead(200, { 'content-length': buf.length });
    res.write(buf.subarray(0, sent), () => setTimeout(() => res.socket?.destroy(), 10));
  };

/** Sends headers and a first chunk, then nothing (the socket stays open). */
export const stall =
  (body: Buffer | string): Handler =>
  (_req, res) => {
    const buf = Buffer.from(body);
    res.writeHead(200, { 'content-length': buf.length });
    res.write(buf.subarray(0, 1));
  };

/** Never answers at all. */
export const silence: Handler = () => undefined;

export const status =
  (code: number): Handler =>
  (_req, res) =>
    res.writeHead(code).end(`status ${code}`);

/** Uses the handlers in turn, repeating the last one. */
export function sequence(...handlers: Handler[]): Handler {
  let i = 0;
  return (req, res) => {
    const h = handlers[Math.min(i++, handlers.length - 1)] as Handler;
    h(req, res);
  };
}

/**
 * Announces the full length, then sends one byte every `everyMs`: always just in time for a stall
 * watchdog, never finished in any reasonable time.
 */
export const drip =
  (body: Buffer | string, everyMs: number): Handler =>
  (_req, res) => {
    const buf = Buffer.from(body);
    res.writeHead(200, { 'content-length': buf.length });
    let sent = 0;
    const timer = setInterval(() => {
      if (res.destroyed || sent >= buf.length) return clearInterval(timer);
      res.write(buf.subarray(sent, ++sent));
    }, everyMs);
    res.on('close', () => clearInterval(timer));
  };

/** Sends `chunk` again and again without a Content-Length, until the client hangs up; counts bytes sent. */
export function endless(chunk: Buffer | string): Handler & { sent: () => number } {
  let total = 0;
  const handler = ((_req: IncomingMessage, res: ServerResponse) => {
    const buf = Buffer.from(chunk);
    res.writeHead(200, { 'content-type': 'text/plain' });
    const pump = () => {
      while (!res.destroyed && total < 1024 * 1024 * 1024) {
        total += buf.length;
        if (!res.write(buf)) return void res.once('drain', pump);
      }
    };
    pump();
  }) as Handler & { sent: () => number };
  handler.sent = () => total;
  return handler;
}
