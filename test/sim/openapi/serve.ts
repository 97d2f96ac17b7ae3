/**
 * The /openapi/v2 and /openapi/v3 endpoints. v2 is served as JSON only: client-go asks for it as
 * protobuf (application/com.github.proto-openapi.spec.v2@v1.0+protobuf, discovery_client.go
 * OpenAPISchema), which the sim does not encode, so that request gets 406 — client-go then tries
 * the pre-1.10 /swagger-2.0.0.pb-v1 path and gives up with a 404, as against a server without v2.
 * kubectl 1.35 and helm 4 read v3 for validation, apply and explain, and v3 is JSON.
 *
 * v3 documents live at a URL with their content hash; a request with a stale hash is redirected to
 * the current one (301), and a matching hash may be cached for good, as kube-openapi's handler3 does.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimCluster } from '../cluster.js';
import { SimHttpError, pageNotFound } from '../status.js';
import { openApiDocs, v3Discovery } from './documents.js';

function send(res: ServerResponse, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

const accepts = (req: IncomingMessage, type: RegExp) => {
  const accept = req.headers.accept ?? '';
  return accept === '' || /\*\/\*|application\/json/.test(accept) || type.test(accept);
};

/** Answers a request under /openapi; `rest` is the path without the cluster prefix or leading slash. */
export function serveOpenApi(cluster: SimCluster, rest: string, url: URL, prefix: string, req: IncomingMessage, res: ServerResponse): void {
  const docs = openApiDocs(cluster.registry.all(), cluster.kubernetesVersion);
  if (rest === 'openapi/v2') {
    if (!accepts(req, /^$/)) {
      throw new SimHttpError(406, 'NotAcceptable', 'only the following media types are accepted: application/json');
    }
    return send(res, docs.v2);
  }
  if (rest === 'openapi/v3') return send(res, v3Discovery(docs, prefix));
  const doc = docs.v3.get(rest.slice('openapi/v3/'.length));
  if (!doc) throw pageNotFound();
  const hash = url.searchParams.get('hash');
  if (hash && hash !== doc.hash) {
    res.writeHead(301, { Location: `${prefix}/${rest}?hash=${doc.hash}` });
    return void res.end();
  }
  send(res, doc.body, hash ? { 'Cache-Control': 'public, immutable', Expires: new Date(Date.now() + 365 * 86400_000).toUTCString() } : { Etag: `"${doc.hash}"` });
}
