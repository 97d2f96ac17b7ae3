import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../support/requirements.js';
import type { ProcessRunner, RunResult } from '../../src/core/seams.js';
import { buildSamplerScript, parseSamplerOutput, sendRequests, type HttpRequestSpec, type SamplerPlan } from '../../src/checks/sampler.js';
import { fixture, makeCtx, samplingRunner } from './helpers.js';
import { isSamplerCommand, simulateSamplerScript, type SimRequest, type SimResponse } from './sampler-sim.js';
import { FakeKube } from './fake-kube.js';

describe('parsing the request script output', () => {
  it('reads a recorded run: responses, a timeout and a refused connection', () => {
    const { samples, login } = parseSamplerOutput(fixture('curl-sampler-output.txt'), '@@kindlab-0123456789abcdef@@');
    expect(login).toBeUndefined();
    expect(samples.map((s) => [s.index, s.curlExit, s.status])).toEqual([
      [1, 0, 200],
      [2, 0, 503],
      [3, 28, 0],
      [4, 0, 200],
      [5, 7, 0],
    ]);
    expect(samples[0]).toMatchObject({ body: 'old\n', headers: { 'x-served-by': 'old', 'content-type': 'text/html' } });
    expect(samples[0]?.timeMs).toBeCloseTo(8.339, 3);
    expect(samples[1]?.body).toBe('fault filter abort');
    expect(samples[2]?.error).toMatch(/^curl: \(28\) Operation timed out/);
    expect(samples[4]?.error).toMatch(/Couldn't connect to server/);
  });

  it('ignores records of another marker and unfinished records', () => {
    const text = fixture('curl-sampler-output.txt');
    expect(parseSamplerOutput(text, '@@other@@').samples).toEqual([]);
    const cut = text.slice(0, text.indexOf(':end', text.indexOf(':begin 2')));
    expect(parseSamplerOutput(cut, '@@kindlab-0123456789abcdef@@').samples).toHaveLength(1);
  });
});

/** Runs commands on this machine, for the tests that use the real sh and curl. */
const localRunner: ProcessRunner = {
  run: (command, args, opts = {}) =>
    new Promise<RunResult>((resolve) => {
      const started = Date.now();
      execFile(command, args, { encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
        const code = err && typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code as number) : err ? 1 : 0;
        resolve({ argv: [command, ...args], exitCode: code, stdout, stderr, durationMs: Date.now() - started });
      });
    }),
  runScript: (script, opts) => localRunner.run('bash', ['-c', script], opts),
};

const haveTools = existsSync('/bin/sh') && ['/usr/bin/curl', '/bin/curl', '/usr/local/bin/curl'].some((p) => existsSync(p));

describe.skipIf(skipWithout({ name: 'curl', available: haveTools, install: 'apt-get install curl' }))('the real script, run by sh with curl against a loopback server', () => {
  let port = 0;
  let connections = 0;
  const seen: Array<{ method: string; url: string; host: string; cookie: string; body: string; extra: string }> = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host ?? '', cookie: req.headers.cookie ?? '', body, extra: String(req.headers['x-extra'] ?? '') });
      if (req.url === '/login') {
        res.writeHead(302, { 'set-cookie': 'session=jason-session; Path=/', location: '/productpage' });
        res.end();
      } else if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 1500);
      } else {
        res.writeHead(req.url === '/fail' ? 503 : 200, { 'x-version': connections % 2 ? 'v1' : 'v2' });
        res.end(req.method === 'HEAD' ? undefined : `hello ${req.headers.cookie ?? 'anonymous'}`);
      }
    });
  });
  server.on('connection', () => connections++);

  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const ctx = () => makeCtx({ runner: localRunner as never });

  it('opens a fresh connection per request and keeps the login cookie', async () => {
    connections = 0;
    seen.length = 0;
    const req: HttpRequestSpec = {
      url: `http://bookinfo.lab.local:${port}/productpage`,
      method: 'GET',
      headers: { 'X-Extra': "it's fine" },
      timeoutMs: 5000,
      resolve: '127.0.0.1',
      login: { url: `http://bookinfo.lab.local:${port}/login`, form: { username: 'jason', passwd: 'any thing' } },
    };
    const samples = await sendRequests(ctx(), { type: 'host', label: 'this machine' }, req, 5);
    expect(samples.map((s) => s.status)).toEqual([200, 200, 200, 200, 200]);
    expect(connections).toBe(6); // the login + one per request
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/login', body: 'username=jason&passwd=any+thing' });
    expect(seen.slice(1).every((s) => s.cookie === 'session=jason-session' && s.host === `bookinfo.lab.local:${port}` && s.extra === "it's fine")).toBe(true);
    expect(samples[0]?.body).toBe('hello session=jason-session');
    expect(samples.map((s) => s.index)).toEqual([1, 2, 3, 4, 5]);
  });

  it('sends bodies with quotes, does not hang on HEAD, and reports timeouts', async () => {
    seen.length = 0;
    const post = await sendRequests(ctx(), { type: 'host', label: 'h' }, { url: `http://127.0.0.1:${port}/echo`, method: 'POST', body: `{"q": "it's"}`, timeoutMs: 5000 }, 1);
    expect(seen[0]?.body).toBe(`{"q": "it's"}`);
    expect(post[0]?.status).toBe(200);
    const head = await sendRequests(ctx(), { type: 'host', label: 'h' }, { url: `http://127.0.0.1:${port}/`, method: 'HEAD', timeoutMs: 3000 }, 1);
    expect(head[0]).toMatchObject({ status: 200, curlExit: 0 });
    const slow = await sendRequests(ctx(), { type: 'host', label: 'h' }, { url: `http://127.0.0.1:${port}/slow`, method: 'GET', timeoutMs: 300 }, 1);
    expect(slow[0]).toMatchObject({ status: 0, curlExit: 28 });
    expect(slow[0]?.timeMs).toBeGreaterThanOrEqual(250);
  });

  it('prints exactly what the simulator prints for the same answers', async () => {
    const plan: SamplerPlan = { v: 1, marker: '@@kindlab-sim-check@@', start: 0, count: 3, bodyLimit: 1000, request: { url: `http://127.0.0.1:${port}/fail`, method: 'GET', timeoutMs: 5000 } };
    const script = buildSamplerScript(plan);
    const real = await localRunner.run('sh', ['-c', script]);
    const sim = simulateSamplerScript(['sh', '-c', script], () => ({ status: 503, body: 'hello anonymous', headers: { 'x-version': 'v1' } }));
    const pick = (stdout: string) => parseSamplerOutput(stdout, plan.marker).samples.map((s) => ({ index: s.index, status: s.status, exit: s.curlExit, body: s.body, hasVersion: 'x-version' in s.headers }));
    expect(pick(sim.stdout)).toEqual(pick(real.stdout));
    expect(pick(real.stdout)).toHaveLength(3);
  });
});

describe('sending requests', () => {
  it('runs one process per batch from the control-plane node, numbering requests across batches', async () => {
    const runner = samplingRunner((req) => ({ status: 200, body: `#${req.index}` }));
    const ctx = makeCtx({ runner });
    const samples = await sendRequests(ctx, { type: 'docker', container: 'kindlab-lab1-control-plane', label: 'node' }, { url: 'http://10.96.0.10/', method: 'GET', timeoutMs: 1000 }, 250);
    expect(runner.calls).toHaveLength(3);
    expect(runner.calls.every((c) => c.command === 'docker' && c.args[0] === 'exec' && c.args[1] === 'kindlab-lab1-control-plane' && c.args[2] === 'sh')).toBe(true);
    expect(samples.map((s) => s.index)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(samples[249]?.body).toBe('#250');
  });

  it('runs in a pod through the API exec', async () => {
    const kube = new FakeKube();
    kube.execHandler = (_pod, command) => (isSamplerCommand(command) ? simulateSamplerScript(command, () => ({ status: 204 })) : { stdout: '', stderr: '', exitCode: 1 });
    const samples = await sendRequests(makeCtx({ kube }), { type: 'pod', namespace: 'default', name: 'curl-1', container: 'curl', label: 'pod' }, { url: 'http://httpbin:8000/status/204', method: 'GET', timeoutMs: 1000 }, 2);
    expect(samples.map((s) => s.status)).toEqual([204, 204]);
    expect(kube.execCalls[0]?.pod).toEqual({ namespace: 'default', name: 'curl-1', container: 'curl' });
    expect(kube.execCalls[0]?.command.slice(0, 2)).toEqual(['sh', '-c']);
  });

  it('explains a vantage point without curl, and a failed login', async () => {
    const noCurl = makeCtx({ runner: samplingRunner(() => ({ status: 200 })) });
    noCurl.fakeRunner.handler = () => ({ exitCode: 127, stderr: 'sh: curl: not found' });
    await expect(sendRequests(noCurl, { type: 'docker', container: 'vm1', label: 'container vm1' }, { url: 'http://x/', method: 'GET', timeoutMs: 1000 }, 1)).rejects.toThrow(
      /no response records from container vm1 \(exit 127\): sh: curl: not found — is curl installed there\?/,
    );
    const respond = (req: SimRequest): SimResponse => (req.index === 0 ? { status: 500, body: 'oops' } : { status: 200 });
    const ctx = makeCtx({ runner: samplingRunner(respond) });
    await expect(
      sendRequests(ctx, { type: 'docker', container: 'n', label: 'n' }, { url: 'http://gw/productpage', method: 'GET', timeoutMs: 1000, login: { url: 'http://gw/login', form: { username: 'jason', passwd: 'x' } } }, 1),
    ).rejects.toThrow('login at http://gw/login failed: HTTP 500');
  });
});

describe('the simulator other tests plug into exec hooks', () => {
  const plan = (request: Partial<HttpRequestSpec>, count = 2): string[] => {
    const p: SamplerPlan = { v: 1, marker: '@@m@@', start: 0, count, bodyLimit: 4, request: { url: 'http://gw/', method: 'GET', timeoutMs: 1000, ...request } };
    return ['docker', 'exec', 'kindlab-lab1-control-plane', 'sh', '-c', buildSamplerScript(p)];
  };

  it('recognises request scripts in docker exec and API exec argv, and nothing else', () => {
    const argv = plan({});
    expect(isSamplerCommand(argv)).toBe(true);
    expect(isSamplerCommand(argv.slice(3))).toBe(true);
    expect(isSamplerCommand(['sh', '-c', 'curl http://gw/'])).toBe(false);
    expect(() => simulateSamplerScript(['sh', '-c', 'echo hi'], () => ({ status: 200 }))).toThrow('not a kindlab request script');
  });

  it('keeps the login cookie, cuts bodies at the limit and turns a throwing handler into a refused connection', () => {
    const seen: SimRequest[] = [];
    const out = simulateSamplerScript(plan({ login: { url: 'http://gw/login', form: { username: 'jason', passwd: 'pw' } }, headers: { Host: 'bookinfo' } }), (req) => {
      seen.push(req);
      if (req.index === 0) return { status: 302, headers: { 'Set-Cookie': 'session=abc; Path=/; HttpOnly' } };
      if (req.index === 2) throw new Error('connection refused');
      return { status: 200, body: 'abcdefgh' };
    });
    const parsed = parseSamplerOutput(out.stdout, '@@m@@');
    expect(seen[0]).toMatchObject({ method: 'POST', body: 'username=jason&passwd=pw', headers: { Host: 'bookinfo', 'content-type': 'application/x-www-form-urlencoded' } });
    expect(seen[1]?.headers).toEqual({ Host: 'bookinfo', cookie: 'session=abc' });
    expect(parsed.login?.status).toBe(302);
    expect(parsed.samples.map((s) => [s.status, s.body, s.curlExit])).toEqual([
      [200, 'abcd', 0],
      [0, '', 7],
    ]);
    expect(parsed.samples[1]?.error).toBe('curl: (7) Failed to connect: connection refused');
  });
});

const haveOpenssl = existsSync('/usr/bin/openssl') || existsSync('/bin/openssl');

describe.skipIf(skipWithout({ name: 'curl and openssl', available: haveTools && haveOpenssl, install: 'apt-get install curl openssl' }))('TLS with the real curl', () => {
  let port = 0;
  let server: HttpsServer;
  const sni: string[] = [];

  beforeAll(async () => {
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'kindlab-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=bookinfo.lab.local',
      '-addext', 'subjectAltName=DNS:bookinfo.lab.local', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
    const https = await import('node:https');
    server = https.createServer({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) }, (req, res) => res.end(`tls ${req.headers.host}`));
    server.on('secureConnection', (s: TLSSocket) => sni.push(String((s as unknown as { servername?: string }).servername)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));

  it('skips verification only when asked, and sends the URL host as the server name', async () => {
    const ctx = makeCtx({ runner: localRunner as never });
    const url = `https://bookinfo.lab.local:${port}/productpage`;
    const [strict] = await sendRequests(ctx, { type: 'host', label: 'h' }, { url, method: 'GET', timeoutMs: 5000, resolve: '127.0.0.1' }, 1);
    expect(strict).toMatchObject({ status: 0, curlExit: 60 });
    const [lax] = await sendRequests(ctx, { type: 'host', label: 'h' }, { url, method: 'GET', timeoutMs: 5000, resolve: '127.0.0.1', insecure: true }, 1);
    expect(lax).toMatchObject({ status: 200, body: `tls bookinfo.lab.local:${port}` });
    expect(sni.at(-1)).toBe('bookinfo.lab.local');
  });
});
