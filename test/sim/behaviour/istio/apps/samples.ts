/**
 * The small Istio samples: helloworld (`GET /hello` → "Hello version: vN, instance: <pod>"),
 * go-httpbin (/hostname, /get, /status/<code>, /headers, /delay/<s>; it logs every request, which
 * `kubectl logs` shows), and fortio's own server port.
 */
import type { KubeObject } from '../../../../../src/core/seams.js';
import type { AppContext, AppModel, AppRequest, AppResponse } from '../mesh.js';
import { envOf, labelsOf, podIp } from '../view.js';

export const helloworldApp: AppModel = {
  name: 'helloworld',
  serves: (pod, port) => labelsOf(pod).app === 'helloworld' && port === 5000,
  handle(ctx: AppContext, req: AppRequest): AppResponse {
    if (req.path !== '/hello') return { status: 404, headers: { 'content-type': 'text/html; charset=utf-8' }, body: '<!doctype html>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n', timeMs: 1 };
    const version = labelsOf(ctx.pod).version ?? 'v1';
    return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: `Hello version: ${version}, instance: ${ctx.pod.metadata.name}\n`, timeMs: 2 };
  },
};

function httpbinLog(ctx: AppContext, req: AppRequest, status: number, size: number): void {
  const uri = `${req.path}${[...req.query].length ? `?${req.query.toString()}` : ''}`;
  ctx.mesh.logs.append(
    ctx.clusterName,
    ctx.pod,
    'httpbin',
    `time="${new Date().toISOString()}" status=${status} method="${req.method}" uri="${uri}" size_bytes=${size} duration_ms=0.05 user_agent="${req.headers['user-agent'] ?? ''}" client_ip=${req.headers['x-forwarded-for'] ?? '127.0.0.6'}`,
  );
}

const jsonRes = (status: number, body: unknown): AppResponse => ({ status, headers: { 'content-type': 'application/json; charset=utf-8' }, body: `${JSON.stringify(body, null, 2)}\n`, timeMs: 0.5 });

export const httpbinApp: AppModel = {
  name: 'httpbin',
  serves: (pod, port) => labelsOf(pod).app === 'httpbin' && port === 8080,
  handle(ctx: AppContext, req: AppRequest): AppResponse {
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase()), [v]]));
    let res: AppResponse;
    const status = /^\/status\/(\d{3})$/.exec(req.path);
    if (req.path === '/hostname') res = jsonRes(200, { hostname: envOf(ctx.pod, 'USE_REAL_HOSTNAME') === 'true' ? ctx.pod.metadata.name : 'go-httpbin' });
    else if (req.path === '/get') res = jsonRes(200, { args: Object.fromEntries([...req.query].map(([k, v]) => [k, [v]])), headers, method: req.method, origin: '127.0.0.6', url: `http://${req.headers.host ?? 'httpbin'}${req.path}` });
    else if (req.path === '/headers') res = jsonRes(200, { headers });
    else if (req.path === '/ip') res = jsonRes(200, { origin: podIp(ctx.pod) ?? '' });
    else if (status) res = { status: Number(status[1]), body: '', timeMs: 0.5 };
    else if (/^\/delay\/\d+(\.\d+)?$/.test(req.path)) res = { ...jsonRes(200, { args: {}, headers, method: req.method }), timeMs: Number(req.path.split('/')[2]) * 1000 };
    else if (req.path === '/') res = { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: '<!DOCTYPE html><title>go-httpbin</title>\n', timeMs: 0.5 };
    else res = jsonRes(404, { status_code: 404, error: 'Not Found' });
    httpbinLog(ctx, req, res.status, Buffer.byteLength(res.body ?? ''));
    return res;
  },
};

export const fortioServerApp: AppModel = {
  name: 'fortio',
  serves: (pod: KubeObject, port: number) => labelsOf(pod).app === 'fortio' && port === 8080,
  handle: (_ctx, req) => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: req.path.startsWith('/fortio') ? 'Φορτίο dashboard\n' : '', timeMs: 0.3 }),
};
