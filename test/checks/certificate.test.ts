import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { createServer, type Server } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../support/requirements.js';
import { baselineOf, runCheck, runChecks } from '../../src/checks/run.js';
import { parsePem } from '../../src/checks/certs.js';
import { FakeRunner } from './fake-runner.js';
import { makeCheck, makeCtx } from './helpers.js';
import { fastClock } from './test-clock.js';

const haveOpenssl = ['/usr/bin/openssl', '/bin/openssl', '/usr/local/bin/openssl'].some((p) => existsSync(p));
const run = promisify(execFile);

/** A self-signed kube-apiserver-like certificate valid for `days`. */
function makeCert(dir: string, name: string, days: number): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', String(days),
    '-subj', '/CN=kube-apiserver', '-addext', 'subjectAltName=DNS:kubernetes,DNS:kubernetes.default.svc,IP:10.96.0.1,IP:127.0.0.1',
    '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' });
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

describe.skipIf(skipWithout({ name: 'openssl', available: haveOpenssl, install: 'apt-get install openssl' }))('certificate', () => {
  let old: { cert: string; key: string };
  let renewed: { cert: string; key: string };
  let server: Server;
  let port = 0;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kindlab-certs-'));
    old = makeCert(dir, 'old', 2);
    renewed = makeCert(dir, 'renewed', 365);
    server = createServer({ cert: renewed.cert, key: renewed.key }, (socket) => socket.end());
    server.on('connection', (socket: Socket) => sockets.add(socket));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  /** A node whose apiserver.crt is whatever `files.current` holds. */
  function node(files: { current: string }) {
    return new FakeRunner((command, args) => {
      if (command === 'docker' && args[0] === 'exec' && args[2] === 'cat') return args[3] === '/etc/kubernetes/pki/apiserver.crt' ? { stdout: files.current } : { exitCode: 1, stderr: `cat: ${args[3]}: No such file or directory` };
      return { exitCode: 127, stderr: 'unexpected' };
    });
  }
  const ctxWith = (runner: FakeRunner) => {
    const ctx = makeCtx({ runner });
    // Real handshakes and processes here: a gentler speed-up keeps timeouts above their real cost.
    ctx.clock = fastClock(10, Date.now());
    return ctx;
  };
  const file = { node: 'control-plane', path: '/etc/kubernetes/pki/apiserver.crt' };

  it('reads NotAfter, subject and SANs from a PEM', () => {
    const info = parsePem(`garbage before\n${renewed.cert}`);
    expect(info.subject).toBe('CN=kube-apiserver');
    expect(info.sans).toEqual(['DNS:kubernetes', 'DNS:kubernetes.default.svc', 'IP:10.96.0.1', 'IP:127.0.0.1']);
    expect(Date.parse(info.notAfter) - Date.now()).toBeGreaterThan(364 * 86_400_000);
  });

  it('NotAfter later than at the start of the step, against a `check before` baseline', async () => {
    const files = { current: old.cert };
    const ctx = ctxWith(node(files));
    const before = await runChecks([makeCheck('certificate', { file }, {}, 40)], () => ctx);
    expect(before[0]?.status).toBe('pass');
    ctx.baseline = baselineOf(before);
    expect(ctx.baseline.get('line:40')).toMatchObject({ target: 'file kindlab-lab1-control-plane:/etc/kubernetes/pki/apiserver.crt' });

    const after = makeCheck('certificate', { file, notAfterAfter: 'stepStart', validFor: '8000h' }, { timeout: '5s' }, 48);
    const stale = await runCheck(after, ctx);
    expect(stale.status).toBe('fail');
    expect(stale.details?.[0]).toMatch(/^NotAfter \S+ is not later than \S+ \(at the start of the step\)$/);
    expect(stale.details?.[1]).toMatch(/^expires \S+, sooner than 8000h from now$/);

    files.current = renewed.cert;
    const fresh = await runCheck(after, ctx);
    expect(fresh.status).toBe('pass');
    expect(fresh.expected).toMatch(/^NotAfter later than \S+ \(at the start of the step\); valid for at least 8000h$/);
    expect(fresh.found).toMatch(/^NotBefore \S+, NotAfter \S+, subject CN=kube-apiserver, SANs DNS:kubernetes, DNS:kubernetes\.default\.svc, IP:10\.96\.0\.1, IP:127\.0\.0\.1$/);
  });

  it('without a baseline, says which check is missing, at once', async () => {
    const r = await runCheck(makeCheck('certificate', { file, notAfterAfter: 'stepStart' }), ctxWith(node({ current: renewed.cert })));
    expect(r.status).toBe('error');
    expect(r.found).toBe('error: "stepStart" needs a `check before` certificate check of the same file (file kindlab-lab1-control-plane:/etc/kubernetes/pki/apiserver.crt) in this step');
    expect(r.details?.at(-1)).toMatch(/^gave up after 1 attempt /);
  });

  it('compares with a captured date and checks the subject', async () => {
    const ctx = ctxWith(node({ current: old.cert }));
    ctx.vars = { OLD_NOT_AFTER: new Date(Date.now() + 30 * 86_400_000).toISOString() };
    const r = await runCheck(makeCheck('certificate', { file, notAfterAfter: '${OLD_NOT_AFTER}', subject: 'CN=kube-apiserver' }, { timeout: '2s' }), ctx);
    expect(r.status).toBe('fail');
    expect(r.details?.[0]).toMatch(/^NotAfter .* is not later than /);
    const missing = await runCheck(makeCheck('certificate', { file: { node: 'worker', path: '/var/lib/kubelet/pki/kubelet.crt' } }, { timeout: '1s' }), ctx);
    expect(missing.found).toBe('error: cannot read /var/lib/kubelet/pki/kubelet.crt on kindlab-lab1-worker: cat: /var/lib/kubelet/pki/kubelet.crt: No such file or directory');
  });

  it('handshakes from this machine (the host vantage point)', async () => {
    const ctx = ctxWith(new FakeRunner());
    const ok = await runCheck(makeCheck('certificate', { endpoint: `127.0.0.1:${port}`, from: 'host', sans: ['127.0.0.1', 'DNS:kubernetes', 'IP Address:10.96.0.1'], validFor: '8000h' }), ctx);
    expect(ok.status).toBe('pass');
    const wrong = await runCheck(makeCheck('certificate', { endpoint: `127.0.0.1:${port}`, from: 'host', sans: ['DNS:api.lab.local'] }, { timeout: '1s' }), ctx);
    expect(wrong.details?.[0]).toBe('no SAN DNS:api.lab.local');
    expect(ctx.fakeRunner.calls).toHaveLength(0);
  });

  it('handshakes from a node with openssl s_client (the script run for real here)', async () => {
    const runner = new FakeRunner(async (command, args) => {
      expect([command, args[0], args[1], args[2], args[3]]).toEqual(['docker', 'exec', 'kindlab-lab1-control-plane', 'sh', '-c']);
      // Run the script on this machine instead of in the node container.
      const out = await run('sh', ['-c', (args[4] as string).replace('127.0.0.1:6443', `127.0.0.1:${port}`)]);
      return { stdout: out.stdout, stderr: out.stderr };
    });
    const r = await runCheck(makeCheck('certificate', { endpoint: '127.0.0.1:6443', sans: ['IP:127.0.0.1'] }), ctxWith(runner));
    expect(r.status).toBe('pass');
    expect((r.data as { notAfter: string }).notAfter).toBe(parsePem(renewed.cert).notAfter);
  });

  it('hints at commands that show the certificate, and that work (openssl, which the kind node image has)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kindlab-cert-hint-'));
    const path = join(dir, 'apiserver.crt');
    execFileSync('sh', ['-c', `cat > '${path}'`], { input: old.cert });
    // A file in a node: openssl x509 in the node container.
    const stale = await runCheck(makeCheck('certificate', { file, validFor: '8000h' }, { timeout: '1s' }), ctxWith(node({ current: old.cert })));
    expect(stale.status).toBe('fail');
    const fileHint = /look at it yourself: (docker exec kindlab-lab1-control-plane )(openssl x509 .*)$/m.exec(stale.hint ?? '');
    expect(fileHint?.[2]).toBe('openssl x509 -noout -dates -subject -ext subjectAltName -in /etc/kubernetes/pki/apiserver.crt');
    const shown = await run('sh', ['-c', fileHint![2]!.replace('/etc/kubernetes/pki/apiserver.crt', path)]);
    expect(shown.stdout).toMatch(/^notBefore=.*\nnotAfter=.*\nsubject=CN ?= ?kube-apiserver\n[\s\S]*DNS:kubernetes/);

    // An endpoint seen from a node: s_client piped into x509, in the node container.
    const runner = new FakeRunner(async (_command, args) => {
      const out = await run('sh', ['-c', (args[4] as string).replace('127.0.0.1:6443', `127.0.0.1:${port}`)]);
      return { stdout: out.stdout, stderr: out.stderr };
    });
    const served = await runCheck(makeCheck('certificate', { endpoint: '127.0.0.1:6443', sans: ['DNS:api.lab.local'] }, { timeout: '1s' }), ctxWith(runner));
    expect(served.status).toBe('fail');
    const endpointHint = /look at it yourself: docker exec kindlab-lab1-control-plane sh -c '([^']+)'\. (.*)$/m.exec(served.hint ?? '');
    expect(endpointHint?.[1]).toBe('openssl s_client -connect 127.0.0.1:6443 </dev/null 2>/dev/null | openssl x509 -noout -dates -subject');
    const handshake = await run('sh', ['-c', endpointHint![1]!.replace('127.0.0.1:6443', `127.0.0.1:${port}`)]);
    expect(handshake.stdout).toMatch(/^notBefore=.*\nnotAfter=.*\nsubject=CN ?= ?kube-apiserver\n$/);
    // No claim that only a restart changes what a server presents: kube-apiserver reloads its own.
    expect(endpointHint?.[2]).toMatch(/kube-apiserver re-reads its serving certificate from disk by itself/);
  });

  it.skipIf(skipWithout({ name: 'curl', available: existsSync('/usr/bin/curl'), install: 'apt-get install curl' }))("the fallback without openssl: curl -w '%{certs}' prints the served chain", async () => {
    const out = await run('curl', ['-ksS', '--max-time', '10', '-o', '/dev/null', '-w', '%{certs}', `https://127.0.0.1:${port}/`]).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
    expect(parsePem(out.stdout).fingerprint256).toBe(parsePem(renewed.cert).fingerprint256);
  });
});
