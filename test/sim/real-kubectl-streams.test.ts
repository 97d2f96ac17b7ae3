/**
 * The real kubectl v1.35.2 (real-clients.ts) against the sim: the watches behind `rollout status`,
 * `wait` and `get -w` (client-go's WatchList), `exec` with stdin over WebSocket v5 and the SPDY
 * fallback, `cp` into a pod, and `port-forward` over the WebSocket-tunnelled SPDY and plain SPDY,
 * answered by `sim.onPortForward`. kubectl reaches the sim through tls-front.ts (it sends no bearer
 * token over plain http).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Parser as TarParser } from 'tar';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/seams.js';
import { startSimCluster, type Sim } from './apiserver.js';
import { realClients } from './real-clients.js';
import { startTlsFront, type TlsFront } from './tls-front.js';

let sim: Sim;
let front: TlsFront;
let dir: string;
let kubectlPath: string;
let stopControllers = () => {};

beforeAll(async () => {
  kubectlPath = (await realClients()).kubectl;
  dir = await mkdtemp(join(tmpdir(), 'kindlab-real-kubectl-'));
  sim = await startSimCluster({ nodes: [{ name: 'kind-control-plane', role: 'control-plane' }] });
  front = await startTlsFront(sim);
  await front.writeKubeconfig(join(dir, 'kubeconfig'), 'kind-sim');
  // Fills kubectl's discovery cache (under HOME), so the timed commands below start quickly.
  expect((await kubectl(['get', 'deployments'])).code).toBe(0);
});
afterAll(async () => {
  await front?.stop();
  await sim?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  stopControllers();
  stopControllers = () => {};
  for (const d of sim.store.list('apps/v1', 'Deployment', 'default')) sim.store.delete('apps/v1', 'Deployment', d.metadata.name, 'default');
  for (const p of sim.store.list('v1', 'Pod', 'default')) sim.store.delete('v1', 'Pod', p.metadata.name, 'default');
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** When the process exited (Date.now()). */
  endedAt: number;
}

function kubectl(args: string[], opts: { stdin?: string | Buffer; env?: Record<string, string> } = {}): Promise<Run> & { child: ReturnType<typeof spawn> } {
  // HOME in the temp dir: kubectl keeps its discovery cache there between calls.
  const child = spawn(kubectlPath, args, { env: { PATH: process.env.PATH ?? '', HOME: dir, KUBECONFIG: join(dir, 'kubeconfig'), ...opts.env }, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += String(c)));
  child.stderr.on('data', (c: Buffer) => (stderr += String(c)));
  child.stdin.end(opts.stdin ?? '');
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr, endedAt: Date.now() })));
  return Object.assign(done, { child });
}

/** Resolves once `read()` matches `pattern` (polling the child's collected output). */
async function waitForOutput(read: () => string, pattern: RegExp, ms = 5000): Promise<RegExpMatchArray> {
  const until = Date.now() + ms;
  for (;;) {
    const m = read().match(pattern);
    if (m) return m;
    if (Date.now() > until) throw new Error(`no ${pattern} in output:\n${read()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function deployment(name: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', labels: { app: name } },
    spec: { replicas: 2, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 8080, name: 'http' }] }] } } },
  };
}

/** The watch-list requests for a resource made from now on (client-go's reflector asks with sendInitialEvents). */
function watchRequests(plural: string): () => unknown[] {
  const from = sim.requests.length;
  return () => sim.requests.slice(from).filter((r) => r.path.endsWith(`/${plural}`) && r.query.watch && r.query.sendInitialEvents === 'true');
}

/** Resolves with the time the Deployment first reports Available. */
function availableAt(name: string): Promise<number> {
  return new Promise((resolve) => {
    const stop = sim.store.objects.subscribe((e) => {
      const conditions = (e.object.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? [];
      if (e.object.kind === 'Deployment' && e.object.metadata.name === name && conditions.some((c) => c.type === 'Available' && c.status === 'True')) {
        stop();
        resolve(Date.now());
      }
    });
  });
}

function runningPod(name: string, phase = 'Running', nodeName: string | null = 'kind-control-plane'): KubeObject {
  return sim.store.create(
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', labels: { app: name } },
      spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'main', image: 'busybox', ports: [{ containerPort: 8080, name: 'http' }] }] },
      status: { phase },
    },
    { keepStatus: true },
  );
}

describe('real kubectl watches', () => {
  it('rollout status and wait return as soon as the controllers make the Deployment available', async () => {
    sim.store.create(deployment('web'));
    const watching = watchRequests('deployments');
    const rollout = kubectl(['rollout', 'status', 'deployment/web', '--timeout=8s']);
    const wait = kubectl(['wait', '--for=condition=Available', 'deployment/web', '--timeout=8s']);
    // Both are waiting on their watch before anything becomes ready; then the controllers act.
    await waitForOutput(() => String(watching().length), /^2$/);
    const ready = availableAt('web');
    stopControllers = sim.controllers.all({ delayMs: 100 });
    const readyAt = await ready;
    const [rolledOut, waited] = await Promise.all([rollout, wait]);
    expect(rolledOut).toMatchObject({ code: 0, stdout: expect.stringContaining('deployment "web" successfully rolled out') });
    expect(waited).toMatchObject({ code: 0, stdout: 'deployment.apps/web condition met\n' });
    // Promptly: the watch delivered the change, kubectl did not sit out its timeout.
    expect(rolledOut.endedAt - readyAt).toBeLessThan(1000);
    expect(waited.endedAt - readyAt).toBeLessThan(1000);
  });

  it('rollout status and wait time out with kubectl\'s own message when nothing makes it ready', async () => {
    sim.store.create(deployment('stuck'));
    const [rollout, wait] = await Promise.all([
      kubectl(['rollout', 'status', 'deployment/stuck', '--timeout=1s']),
      kubectl(['wait', '--for=condition=Available', 'deployment/stuck', '--timeout=1s']),
    ]);
    expect(rollout).toMatchObject({ code: 1, stderr: expect.stringContaining('error: timed out waiting for the condition') });
    expect(wait).toMatchObject({ code: 1, stderr: 'error: timed out waiting for the condition on deployments/stuck\n' });
  });

  it('get -w prints the object again when it changes', async () => {
    sim.store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched', namespace: 'default' }, data: { v: 'one' } });
    const from = sim.requests.length;
    const watchOpen = () => sim.requests.slice(from).some((r) => r.path.endsWith('/configmaps') && r.query.watch);
    const run = kubectl(['get', 'configmap', 'watched', '-w', '-o', 'jsonpath={.data.v}{"\\n"}']);
    let out = '';
    run.child.stdout!.on('data', (c: Buffer) => (out += String(c)));
    await waitForOutput(() => out, /^one\n/);
    // For one named object kubectl GETs it, then watches from "0" and drops the first (synthetic
    // ADDED) event, so a change made before its watch starts is never printed — real kubectl too.
    await waitForOutput(() => String(watchOpen()), /true/);
    sim.store.mergePatch({ apiVersion: 'v1', kind: 'ConfigMap', name: 'watched', namespace: 'default' }, { data: { v: 'two' } });
    await waitForOutput(() => out, /^one\ntwo\n/);
    run.child.kill();
    await run;
  });
});

describe('real kubectl exec', () => {
  beforeEach(() => {
    runningPod('box');
    sim.onExec = (req) => ({ stdout: `${req.command.join(' ')}: ${(req.stdin ?? '<none>').toUpperCase()}`, stderr: 'some warning\n', exitCode: 3 });
  });

  for (const [transport, env] of [
    ['WebSocket v5', {}],
    ['SPDY/3.1', { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' }],
  ] as const) {
    it(`passes stdin to the command and exits with its exit code (${transport})`, async () => {
      const r = await kubectl(['exec', '-i', 'box', '--', 'tr', 'a-z', 'A-Z'], { stdin: 'hello\nworld\n', env });
      expect(r.stdout).toBe('tr a-z A-Z: HELLO\nWORLD\n');
      expect(r.stderr).toBe('some warning\ncommand terminated with exit code 3\n');
      expect(r.code).toBe(3);
      const withoutStdin = await kubectl(['exec', 'box', '--', 'true'], { env });
      expect(withoutStdin.stdout).toBe('true: <NONE>');
    });
  }

  it('kubectl cp sends the file as a tar stream on stdin', async () => {
    const files = new Map<string, string>();
    const commands: string[] = [];
    sim.onExec = async (req) => {
      commands.push(req.command.join(' '));
      if (req.command[0] === 'test') return { exitCode: 1 }; // `test -d <dest>`: not a directory
      const tarball = req.stdinBytes;
      if (req.command[0] !== 'tar' || !tarball) return { stderr: 'unexpected\n', exitCode: 1 };
      const parser = new TarParser({ onReadEntry: (entry) => {
        let body = '';
        entry.on('data', (c: Buffer) => (body += String(c)));
        entry.on('end', () => files.set(entry.path, body));
      } });
      await new Promise<void>((resolve) => parser.end(tarball, resolve));
      return { exitCode: 0 };
    };
    await writeFile(join(dir, 'notes.txt'), 'copied into the pod\n');
    const r = await kubectl(['cp', join(dir, 'notes.txt'), 'box:/tmp/notes.txt']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(files.get('notes.txt')).toBe('copied into the pod\n');
    expect(commands).toEqual(['test -d /tmp/notes.txt', 'tar -xmf - -C /tmp']);
  });
});

describe('real kubectl port-forward', () => {
  let echo: Server;
  beforeAll(async () => {
    // A TCP service "in the pod" on port 7000: it answers each line upper-cased.
    echo = createServer((socket) => socket.on('data', (c: Buffer) => socket.write(String(c).toUpperCase())));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => echo.close(() => resolve())));
  beforeEach(() => {
    sim.onPortForward = ({ pod, port }) => {
      if (port === 8080) return { http: (req, res) => res.end(`${pod}:${port} answered ${req.method} ${req.url}`) };
      if (port === 7000) return connect((echo.address() as AddressInfo).port, '127.0.0.1');
      return undefined;
    };
  });

  /** Starts kubectl port-forward and resolves with the local port it reports. */
  async function forward(args: string[], lastRemotePort: number, env: Record<string, string> = {}) {
    const run = kubectl(['port-forward', '--address', '127.0.0.1', ...args], { env });
    let out = '';
    let err = '';
    run.child.stdout!.on('data', (c: Buffer) => (out += String(c)));
    run.child.stderr!.on('data', (c: Buffer) => (err += String(c)));
    const [, local] = await waitForOutput(() => out + err, new RegExp(`Forwarding from 127\\.0\\.0\\.1:(\\d+) -> ${lastRemotePort}\n`));
    const [, first] = (out + err).match(/Forwarding from 127\.0\.0\.1:(\d+) -> /)!;
    return { run, port: Number(first), last: Number(local), output: () => out + err };
  }

  const get = async (port: number, path: string) => (await fetch(`http://127.0.0.1:${port}${path}`)).text();

  it('forwards HTTP and raw TCP to the onPortForward handler over the WebSocket tunnel, and reports a refused port', async () => {
    runningPod('app');
    const pf = await forward(['pod/app', ':8080', ':7000', ':9090'], 9090);
    expect(await get(pf.port, '/one')).toBe('app:8080 answered GET /one');
    expect(await get(pf.port, '/two')).toBe('app:8080 answered GET /two');
    const ws = sim.requests.filter((q) => q.path.endsWith('/pods/app/portforward'));
    expect(ws.map((q) => q.method)).toEqual(['GET']); // the WebSocket upgrade worked, no SPDY fallback

    const [, echoPort] = pf.output().match(/Forwarding from 127\.0\.0\.1:(\d+) -> 7000/)!;
    const tcp = connect(Number(echoPort), '127.0.0.1');
    tcp.write('raw bytes\n');
    const [reply] = (await once(tcp, 'data')) as [Buffer];
    expect(String(reply)).toBe('RAW BYTES\n');
    tcp.end();

    await expect(get(pf.last, '/')).rejects.toThrow();
    const r = await pf.run;
    expect(r.stderr).toMatch(/an error occurred forwarding \d+ -> 9090: error forwarding port 9090 to pod [0-9a-f]{64}, uid : .*connect: connection refused/);
    expect(r.stderr).toContain('error: lost connection to pod');
    expect(r.code).toBe(1);
  });

  it('falls back to plain SPDY and forwards svc/<name> to the port its targetPort names', async () => {
    runningPod('api');
    sim.store.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'api', namespace: 'default' },
      spec: { selector: { app: 'api' }, ports: [{ port: 80, targetPort: 'http' }] },
    });
    const pf = await forward(['svc/api', ':80'], 8080, { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' });
    expect(await get(pf.port, '/health')).toBe('api:8080 answered GET /health');
    expect(sim.requests.filter((q) => q.path.endsWith('/pods/api/portforward')).map((q) => q.method)).toEqual(['POST']);
    pf.run.child.kill();
    await pf.run;
  });

  it('refuses pods that are not running, in kubectl and in the server', async () => {
    runningPod('pending', 'Pending');
    const r = await kubectl(['port-forward', 'pod/pending', ':8080']);
    expect(r).toMatchObject({ code: 1, stderr: 'error: unable to forward port because pod is not running. Current status=Pending\n' });

    // Clients that do not check first get the kubelet's refusal (or the API server's, without a node).
    runningPod('unscheduled', 'Pending', null);
    const upgrade = (pod: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(`${sim.url}/api/v1/namespaces/default/pods/${pod}/portforward`, {
          method: 'POST',
          headers: { authorization: 'Bearer t', connection: 'Upgrade', upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'portforward.k8s.io' },
        });
        req.on('response', (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += String(c)));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('upgrade', () => reject(new Error(`${pod}: upgraded`)));
        req.on('error', reject);
        req.end();
      });
    expect(await upgrade('pending')).toEqual({ status: 500, body: 'pod not found ("pending_default")' });
    const unscheduled = await upgrade('unscheduled');
    expect(unscheduled.status).toBe(400);
    expect(JSON.parse(unscheduled.body)).toMatchObject({ reason: 'BadRequest', message: 'pod unscheduled does not have a host assigned' });
  });
});
