/**
 * Commands the labs run inside pods and node containers that are real programs talking HTTP:
 * `curl ...`, `sh -c "for ...; do curl ...; done"`, `python3 - <script`. They run for real on this
 * machine, in a scratch directory per pod or node (its /tmp), with a PATH of a few harmless tools,
 * and with http_proxy pointing at a forward proxy in this process that hands every request to the
 * mesh from that pod or node. So shell loops, cookie jars, `-w '%{http_code}'` and the lab's Python
 * script behave as written, while what answers is the simulated cluster.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { delimiter, join } from 'node:path';
import type { ExecOutput } from '../../exec.js';
import { isResponse, type Mesh, type Origin } from './mesh.js';

const TOOLS = ['sh', 'bash', 'curl', 'seq', 'grep', 'sort', 'uniq', 'cat', 'head', 'tail', 'wc', 'sleep', 'echo', 'printf', 'tr', 'sed', 'awk', 'cut', 'env', 'true', 'false', 'test', 'date', 'mktemp', 'rm', 'mkdir', 'ls', 'tee', 'xargs', 'basename', 'dirname'];

function which(name: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

let python: Promise<string | undefined> | undefined;

/** The real Python executable (a pyenv shim would need the user's HOME, which pods do not have). */
function pythonExecutable(path: string): Promise<string | undefined> {
  const shim = which('python3', path);
  if (!shim) return Promise.resolve(undefined);
  python ??= new Promise((done) => execFile(shim, ['-c', 'import sys; print(sys.executable)'], (err, stdout) => done(err ? undefined : stdout.trim() || undefined)));
  return python;
}

export class ProcessRunner {
  private server: Server | undefined;
  private port = 0;
  private readonly origins = new Map<string, Origin>();
  private seq = 0;
  private readonly binDir: string;

  constructor(
    private readonly mesh: Mesh,
    private readonly dir: string,
    private readonly systemPath: string,
  ) {
    this.binDir = join(dir, 'bin');
  }

  async start(): Promise<void> {
    mkdirSync(this.binDir, { recursive: true });
    for (const tool of TOOLS) {
      const p = which(tool, this.systemPath);
      if (p && !existsSync(join(this.binDir, tool))) symlinkSync(p, join(this.binDir, tool));
    }
    const python = await pythonExecutable(this.systemPath);
    if (python) {
      symlinkSync(python, join(this.binDir, 'python3'));
      symlinkSync(python, join(this.binDir, 'python'));
    }
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const auth = /^Basic (.+)$/.exec(req.headers['proxy-authorization'] ?? '')?.[1];
        const token = auth ? Buffer.from(auth, 'base64').toString().split(':')[0] : undefined;
        const origin = token ? this.origins.get(token) : undefined;
        if (!origin || !/^http:\/\//.test(req.url ?? '')) {
          res.writeHead(407, { 'content-type': 'text/plain' });
          res.end('sim proxy: unknown origin or not an http:// URL\n');
          return;
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (!/^(proxy-|connection$)/i.test(k) && v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
        const out = this.mesh.request(origin, { method: req.method ?? 'GET', url: req.url!, headers, body: Buffer.concat(chunks).toString() });
        if (!isResponse(out)) {
          // No answer from the cluster: the connection just ends (curl: empty reply / reset).
          req.socket.destroy();
          return;
        }
        const h: Record<string, string> = {};
        for (const [k, v] of Object.entries(out.headers)) if (!/^(content-length|transfer-encoding|connection)$/i.test(k)) h[k] = v;
        res.writeHead(out.status, h);
        res.end(out.body);
      });
    });
    await new Promise<void>((done) => this.server!.listen(0, '127.0.0.1', done));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((done) => (this.server ? this.server.close(() => done()) : done()));
  }

  /** `command` run as if in the pod or node of `origin`. */
  run(origin: Origin, command: string[], stdin?: string): Promise<ExecOutput> {
    const token = `o${++this.seq}`;
    this.origins.set(token, origin);
    const where = origin.pod ? `pod-${origin.pod.metadata.namespace}-${origin.pod.metadata.name}` : `node-${origin.node}`;
    const home = join(this.dir, 'fs', where);
    const tmp = join(home, 'tmp');
    mkdirSync(tmp, { recursive: true });
    // Each pod and node has its own /tmp.
    const argv = command.map((a) => a.replace(/(^|[\s'"=:])\/tmp\//g, `$1${tmp}/`));
    const [exe, ...args] = argv as [string, ...string[]];
    const resolved = exe.includes('/') ? exe : join(this.binDir, exe);
    if (!existsSync(resolved)) {
      this.origins.delete(token);
      return Promise.resolve({ stderr: `exec: "${exe}": executable file not found in $PATH\n`, exitCode: 127 });
    }
    const proxy = `http://${token}:x@127.0.0.1:${this.port}`;
    return new Promise<ExecOutput>((done) => {
      const child = spawn(resolved, args, {
        cwd: home,
        env: { PATH: this.binDir, HOME: home, TMPDIR: tmp, http_proxy: proxy, HTTP_PROXY: proxy, LANG: 'C.UTF-8', HOSTNAME: origin.pod?.metadata.name ?? origin.node ?? 'sim' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.on('error', (e) => {
        clearTimeout(timer);
        this.origins.delete(token);
        done({ stderr: `${e.message}\n`, exitCode: 126 });
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        this.origins.delete(token);
        done({ stdout, stderr, exitCode: code ?? 137 });
      });
      child.stdin.end(stdin ?? '');
    });
  }
}
