/**
 * A minimal HTTP/1.1 client over node:net / node:tls for the fakes' requests to the sim (loopback,
 * one request per connection). fetch() (undici) and node:http each add ~60 ms to a fake's
 * start-up, more than all the rest of what a fake does; and every call of a fake is a new process,
 * so in a simulated lab run (hundreds of `docker exec` and `kubectl` calls) that was most of the
 * time. https: URLs take `tls` ({ca, cert, key, insecure}) from the kubeconfig, as kubectl does.
 *
 *   const { status, ok, text } = await httpRequest('http://127.0.0.1:8080/x', { method: 'POST', headers, body });
 *
 * `timeoutMs` gives up on a server that accepts but does not answer (rejects with code ETIMEDOUT).
 */
import { Buffer } from 'node:buffer';
import { connect, isIP } from 'node:net';

function decodeChunked(buf) {
  const parts = [];
  let i = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', i);
    if (eol < 0) break;
    const size = parseInt(buf.subarray(i, eol).toString('latin1'), 16);
    if (!size) break;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function parseResponse(raw) {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) throw Object.assign(new Error('malformed HTTP response'), { code: 'EPROTO' });
  const [statusLine, ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/\d\.\d (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = decodeChunked(body);
  else if (headers['content-length'] !== undefined) body = body.subarray(0, Number(headers['content-length']));
  return { status, ok: status >= 200 && status <= 299, headers, text: body.toString('utf8') };
}

async function open(url, tls) {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (url.protocol === 'http:') return { socket: connect({ host, port: Number(url.port || 80) }), event: 'connect' };
  const { connect: tlsConnect } = await import('node:tls');
  const socket = tlsConnect({
    host,
    port: Number(url.port || 443),
    ...(isIP(host) ? {} : { servername: host }),
    ...(tls?.ca ? { ca: tls.ca } : {}),
    ...(tls?.cert ? { cert: tls.cert, key: tls.key } : {}),
    rejectUnauthorized: !tls?.insecure,
  });
  return { socket, event: 'secureConnect' };
}

export async function httpRequest(target, { method = 'GET', headers = {}, body, tls, timeoutMs } = {}) {
  const url = new URL(target);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw Object.assign(new Error(`unsupported URL ${target}`), { code: 'EPROTO' });
  const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
  const head = [
    `${method} ${url.pathname}${url.search} HTTP/1.1`,
    `Host: ${url.host}`,
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ...(payload ? [`Content-Length: ${payload.length}`] : []),
    '',
    '',
  ].join('\r\n');
  const { socket, event } = await open(url, tls);
  return new Promise((resolve, reject) => {
    const chunks = [];
    socket.on(event, () => {
      socket.write(head);
      if (payload) socket.write(payload);
    });
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    if (timeoutMs) {
      socket.setTimeout(timeoutMs, () => {
        socket.destroy();
        reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }));
      });
    }
    socket.on('end', () => {
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (e) {
        reject(e);
      }
    });
  });
}
