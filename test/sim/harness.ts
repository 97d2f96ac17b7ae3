/**
 * Everything an integration test of kindlab needs to run without Docker or a network: a simulated
 * API server, and fake kind/kubectl/istioctl/docker/helm/cloud-provider-kind on PATH that record
 * their calls and act on the sim.
 *
 * ```ts
 * const h = await createSimHarness();              // sim started, controllers on, fakes on PATH
 * const r = await createProcessRunner().run('node', [kindlabBin, 'run', 'canary-l4', '--yes'], { env: h.env });
 * expect(h.calls('kind').map((c) => c.argv.slice(0, 2))).toContainEqual(['create', 'cluster']);
 * expect(h.sim.cluster('kindlab-canary-l4').list('apps/v1', 'Deployment', 'default')).toHaveLength(2);
 * await h.cleanup();
 * ```
 *
 * API
 * - `createSimHarness(opts?)`:
 *     opts.controllers  true (default) turns on every sim controller (rollouts, pods, jobs, load
 *                       balancers, endpoint slices, sidecar injection) with opts.delayMs (default 5);
 *                       false leaves them off (objects then never become Ready by themselves).
 *     opts.podFate      passed to the controllers: decide per pod 'ready' | 'crash-loop' | ...
 *     opts.tools        which fakes to put on PATH (default: all six).
 *     opts.istioVersion version of the fake Istio release and istioctl (default 1.31.1).
 *     opts.env          extra environment variables for `env`.
 * - `h.sim`         the Sim (see apiserver.ts): h.sim.cluster(name) for the state of a kind cluster
 *                   created through the fake kind, h.sim.onExec for exec output, h.sim.requests.
 * - `h.env`         the complete environment for child processes (not merged with process.env):
 *                   PATH = fakes, then node_modules/.bin (Node 24), then the system tools except the
 *                   ones faked (a real docker or kubectl on the machine is never reached); HOME and
 *                   XDG_{CONFIG,STATE,CACHE,DATA}_HOME inside the temp dir; TMPDIR; ISTIO_HOME of the
 *                   fake release; KINDLAB_SIM_URL, KINDLAB_FAKE_LOG/STATE/RULES. No KUBECONFIG.
 * - `h.dir`, `h.home`, `h.binDir`, `h.istioHome`: the temp directory and the places inside it.
 * - `h.calls(tool?)` the recorded calls, in order: {tool, argv, cwd, env, time, config?} (`config` is
 *                   the kind config text of `kind create cluster`; `env` holds KUBECONFIG and the
 *                   other variables worth checking).
 * - `h.state()`     the fakes' shared state: {clusters: {name: {nodes}}, containers: [...]}.
 * - `h.failWhen({tool, match?, exitCode?, stdout?, stderr?, times?})` makes the next calls of a
 *                   fake whose argv (joined with spaces) contains `match` fail instead (times: how
 *                   many calls; default every call).
 * - `h.removeTool(name)` takes a fake off PATH (a "not installed" tool).
 * - `h.sh(script, extraEnv?)` runs a bash script with `env` (cwd: h.dir) and resolves to
 *                   {code, stdout, stderr}: the quick way to drive the fakes from a test.
 * - `h.kubeconfig(cluster)` writes a kubeconfig for a sim cluster (context kind-<cluster>) and
 *                   returns its path, for tests that talk to a cluster without going through kind.
 * - `h.cleanup()`   stops the sim and deletes the temp directory.
 *
 * Kubeconfigs written by the fakes and by sim.writeKubeconfig are what kind writes, as JSON (valid
 * YAML): the https server, certificate-authority-data of the sim's CA and a user with the admin
 * client certificate — the real kubectl and helm work with them as with a kind cluster.
 *
 * Run child processes asynchronously (the ProcessRunner, execFile, spawn): the sim answers the
 * fakes from this test process, so execFileSync/spawnSync would wait forever on a blocked loop.
 *
 * The fakes also read: KINDLAB_FAKE_KIND_VERSION, KINDLAB_FAKE_KUBECTL_VERSION,
 * KINDLAB_FAKE_ISTIO_VERSION, KINDLAB_FAKE_HELM_VERSION, KINDLAB_FAKE_CPK_VERSION (versions they
 * report), KINDLAB_FAKE_DOCKER_INFO (a JSON file `docker info` prints instead of its default
 * Linux engine with 16 GiB and 8 CPUs), KINDLAB_FAKE_ANALYZE (istioctl analyze's output: plain
 * text, or JSON {"output": "...", "exitCode": N}), KINDLAB_FAKE_ISTIO_READY_MS and
 * KINDLAB_FAKE_HELM_WAIT_MS (how long install/--wait waits for rollouts, default 15 s),
 * KINDLAB_FAKE_PORT_FORWARD_MS (how long port-forward runs) and KINDLAB_FAKE_PORT_FORWARD=exec
 * (port-forward relays each request into the pod as an exec of `curl -i`, for sim.onExec to answer).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startSimCluster, type PodFateFn, type Sim } from './apiserver.js';
import { writeFakeIstioRelease } from './istio-release.js';

export type FakeTool = 'kind' | 'kubectl' | 'istioctl' | 'docker' | 'helm' | 'cloud-provider-kind';
export const FAKE_TOOLS: readonly FakeTool[] = ['kind', 'kubectl', 'istioctl', 'docker', 'helm', 'cloud-provider-kind'];

export interface FakeCall {
  tool: FakeTool;
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  time: string;
  /** kind create cluster: the text of the --config file (null without one). */
  config?: string | null;
  /** Set when a failWhen rule answered the call. */
  rule?: string;
}

export interface FakeContainer {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  state: 'running' | 'exited';
  created: string;
  network: string;
  ip: string;
  ports: Array<{ hostIp: string; hostPort: number; containerPort: number; protocol: string }>;
}

export interface FakeState {
  clusters: Record<string, { nodes: string[]; created: string }>;
  containers: FakeContainer[];
}

export interface FailRule {
  tool: FakeTool;
  /** Substring of the argv joined with spaces; absent matches every call. */
  match?: string;
  exitCode?: number;
  stdout?: string;
  stderr?: string;
  /** How many calls the rule answers; absent: all. */
  times?: number;
}

export interface SimHarnessOptions {
  controllers?: boolean;
  delayMs?: number;
  podFate?: PodFateFn;
  tools?: readonly FakeTool[];
  istioVersion?: string;
  env?: Record<string, string>;
}

export interface ShResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface SimHarness {
  sim: Sim;
  dir: string;
  home: string;
  binDir: string;
  istioHome: string;
  env: Record<string, string>;
  calls(tool?: FakeTool): FakeCall[];
  state(): FakeState;
  failWhen(rule: FailRule): Promise<void>;
  removeTool(name: FakeTool): Promise<void>;
  sh(script: string, extraEnv?: Record<string, string>): Promise<ShResult>;
  kubeconfig(cluster?: string): Promise<string>;
  cleanup(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const FAKES_DIR = join(here, 'fakes');
const REPO_ROOT = resolve(here, '..', '..');
const NODE_BIN = join(REPO_ROOT, 'node_modules', '.bin');

let systemBin: string | undefined;

/**
 * A directory of links to the system's tools, minus the ones the harness fakes, so a real docker
 * or kubectl on this machine can never be reached from a test. Made once per test process.
 */
function systemBinDir(): string {
  if (systemBin && existsSync(systemBin)) return systemBin;
  const dir = mkdtempSync(join(tmpdir(), 'kindlab-sysbin-'));
  const skip = new Set<string>([...FAKE_TOOLS, 'node', 'npm', 'npx', 'kubectl-convert']);
  const seen = new Set<string>();
  for (const pathDir of (process.env.PATH ?? '').split(delimiter)) {
    if (!pathDir || pathDir.startsWith(REPO_ROOT)) continue;
    let names: string[];
    try {
      names = readdirSync(pathDir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (skip.has(name) || seen.has(name)) continue;
      seen.add(name);
      try {
        symlinkSync(join(pathDir, name), join(dir, name));
      } catch {
        // a name that cannot be linked is simply not available
      }
    }
  }
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  systemBin = dir;
  return dir;
}

/**
 * A launcher for a fake: a tiny script that imports it, so tools can be placed or removed per test.
 */
function launcher(tool: FakeTool): string {
  return [
    '#!/usr/bin/env node',
    `import(${JSON.stringify(pathToFileURL(join(FAKES_DIR, tool)).href)});`,
    '',
  ].join('\n');
}

function parseLines<T>(text: string): T[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

export async function createSimHarness(opts: SimHarnessOptions = {}): Promise<SimHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'kindlab-sim-'));
  const home = join(dir, 'home');
  const binDir = join(dir, 'bin');
  const istioVersion = opts.istioVersion ?? '1.31.1';
  const istioHome = join(dir, `istio-${istioVersion}`);
  for (const d of [home, binDir, join(dir, 'tmp'), join(home, '.config'), join(home, '.local', 'state'), join(home, '.cache'), join(home, '.local', 'share')]) {
    mkdirSync(d, { recursive: true });
  }
  const log = join(dir, 'calls.jsonl');
  const stateFile = join(dir, 'fake-state.json');
  const rules = join(dir, 'fake-rules.json');
  await writeFile(log, '');
  await writeFile(rules, '[]');

  const sim = await startSimCluster();
  if (opts.controllers !== false) sim.controllers.all({ delayMs: opts.delayMs ?? 5, ...(opts.podFate ? { podFate: opts.podFate } : {}) });

  await writeFakeIstioRelease(istioHome, istioVersion, launcher('istioctl'));
  for (const tool of opts.tools ?? FAKE_TOOLS) {
    // istioctl is the one in the release tree, so ISTIO_HOME detection (bin/../samples) works.
    if (tool === 'istioctl') await symlink(join(istioHome, 'bin', 'istioctl'), join(binDir, tool));
    else await writeFile(join(binDir, tool), launcher(tool));
    await chmod(join(binDir, tool), 0o755);
  }

  const env: Record<string, string> = {
    PATH: [binDir, NODE_BIN, systemBinDir()].join(delimiter),
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    TMPDIR: join(dir, 'tmp'),
    LANG: 'C.UTF-8',
    ISTIO_HOME: istioHome,
    KINDLAB_SIM_URL: sim.url,
    KINDLAB_FAKE_LOG: log,
    KINDLAB_FAKE_STATE: stateFile,
    KINDLAB_FAKE_RULES: rules,
    KINDLAB_FAKE_ISTIO_VERSION: istioVersion,
    ...opts.env,
  };

  return {
    sim,
    dir,
    home,
    binDir,
    istioHome,
    env,
    calls(tool) {
      const all = parseLines<FakeCall>(readFileSyncSafe(log));
      return tool ? all.filter((c) => c.tool === tool) : all;
    },
    state() {
      const text = readFileSyncSafe(stateFile);
      return { clusters: {}, containers: [], ...(text.trim() ? (JSON.parse(text) as Partial<FakeState>) : {}) };
    },
    async failWhen(rule) {
      const current = JSON.parse((await readFile(rules, 'utf8')) || '[]') as FailRule[];
      await writeFile(rules, JSON.stringify([...current, rule], null, 2));
    },
    async removeTool(name) {
      await unlink(join(binDir, name)).catch(() => undefined);
    },
    sh(script, extraEnv = {}) {
      return new Promise<ShResult>((done) => {
        execFile('bash', ['-c', script], { env: { ...env, ...extraEnv }, cwd: dir, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
          const code = err ? Number((err as { code?: unknown }).code ?? 1) : 0;
          done({ code: Number.isNaN(code) ? 1 : code, stdout, stderr });
        });
      });
    },
    async kubeconfig(cluster = 'default') {
      const path = join(dir, 'kubeconfigs', cluster);
      await mkdir(dirname(path), { recursive: true });
      await sim.writeKubeconfig(path, `kind-${cluster}`, { cluster });
      return path;
    },
    async cleanup() {
      await sim.stop();
      // A child that was just killed may still be writing (e.g. Node's compile cache): retry briefly.
      await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    },
  };
}

/** Synchronous on purpose: tests call calls()/state() inline in expectations. */
function readFileSyncSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
