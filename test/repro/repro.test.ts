/**
 * `kindlab repro` below the CLI: the lab's commands and checkpoints really run (bash, through the
 * engine), the platform is a fake that "provisions" by putting fake tools on the lab's PATH, and
 * the kubectl/istioctl/docker calls of the cluster dump are answered by a recording fake runner.
 * The report directory and the Markdown summary are then read back.
 */
import { chmod, mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProcessRunner, RunOptions, RunResult } from '../../src/core/seams.js';
import type { Lab } from '../../src/model/lab.js';
import { createProcessRunner } from '../../src/platform/exec.js';
import type { Platform, ProvisionedLab } from '../../src/platform/types.js';
import { resolvePins } from '../../src/platform/tools/versions.js';
import { buildMatrix, renderMatrixMarkdown, renderMatrixText } from '../../src/repro/matrix.js';
import { SUMMARY_LIMIT, renderReproMarkdown } from '../../src/repro/markdown.js';
import { combinations, reproduce, reproduceMatrix } from '../../src/repro/run.js';
import { commandCheck, engineDeps, makeLab, makeStep, manualClock } from '../engine/helpers.js';

const DOCKER_INFO = JSON.stringify({ ServerVersion: '28.2.2', MemTotal: 16 * 1024 ** 3, NCPU: 8, OSType: 'linux', Architecture: 'x86_64', CgroupVersion: '2', CgroupDriver: 'systemd', OperatingSystem: 'Debian GNU/Linux 12', KernelVersion: '6.1.0', SecurityOptions: [] });

const POD = (name: string, restarts: number, sidecar: boolean) => ({
  metadata: { name, namespace: 'demo' },
  spec: { containers: [{ name: 'app' }, ...(sidecar ? [{ name: 'istio-proxy' }] : [])] },
  status: {
    containerStatuses: [
      { name: 'app', image: 'docker.io/library/nginx:1.27', imageID: `docker.io/library/nginx@sha256:${'1'.repeat(64)}`, restartCount: restarts },
      ...(sidecar ? [{ name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.31.1', imageID: `docker.io/istio/proxyv2@sha256:${'2'.repeat(64)}`, restartCount: 0 }] : []),
    ],
  },
});

/**
 * Scripts (lab blocks, command checkpoints) run in real bash; tool calls are answered here and
 * recorded in `log`, so the order of run, dump and teardown can be checked.
 */
function recordingRunner(log: string[], answer: (tool: string, args: string[], opts: RunOptions) => Partial<RunResult> | undefined): ProcessRunner {
  const real = createProcessRunner();
  return {
    async run(command, args, opts = {}) {
      const a = answer(command, args, opts);
      if (a === undefined) return real.run(command, args, opts);
      log.push(`${command} ${args.join(' ')}`);
      return { argv: [command, ...args], exitCode: 0, stdout: '', stderr: '', durationMs: 3, ...a };
    },
    runScript: (script, opts) => real.runScript(script, opts),
  };
}

function clusterAnswers(tool: string, args: string[]): Partial<RunResult> | undefined {
  const line = args.join(' ');
  if (tool === 'docker' && args[0] === 'info') return { stdout: DOCKER_INFO };
  if (tool === 'docker') return { stdout: 'client 28.2.2, server 28.2.2' };
  if (tool === 'kind') return { stdout: 'kind v0.33.0 go1.25.1 linux/amd64' };
  if (tool === 'helm') return { exitCode: 127, stderr: 'helm: command not found' };
  if (tool === 'kubectl') {
    if (line === 'version --client') return { stdout: 'Client Version: v1.35.8' };
    if (line.includes('get namespaces')) return { stdout: 'default demo kube-system kube-public kube-node-lease local-path-storage' };
    if (line.includes('api-resources')) return { stdout: 'configmaps\nevents\npods\nsecrets\nservices\ndeployments.apps\nevents.events.k8s.io\n' };
    if (line.includes('get pods -n demo -o json')) return { stdout: JSON.stringify({ items: [POD('web-1', 2, true), POD('web-2', 0, false)] }) };
    if (line.includes('get pods -n default -o json')) return { stdout: '{"items":[]}' };
    if (line.includes('-o yaml --ignore-not-found')) return { stdout: `apiVersion: v1\nkind: List\nitems: []  # ${args[args.indexOf('-n') + 1]}\n` };
    if (line.includes('get secrets')) return { stdout: 'NAME   TYPE     DATA\ntls    Opaque   2\n' };
    if (line.includes('get events')) return { stdout: 'LAST SEEN   TYPE      REASON    OBJECT\n1m          Warning   BackOff   pod/web-1\n' };
    if (line.includes(' logs ')) return { stdout: `2026-11-21T00:00:00Z [pod/${args[args.indexOf('-n') + 2]}/app] hello${line.includes('--previous') ? ' (previous run)' : ''}\n` };
    if (line.includes('get nodes')) return { stdout: 'NAME   STATUS\nkindlab-demo-control-plane   Ready\n' };
    return { stdout: `kubectl ${line}\n` };
  }
  if (tool === 'istioctl') {
    if (args[0] === 'proxy-status') return { stdout: 'NAME   CDS   LDS\nweb-1.demo   SYNCED   SYNCED\n' };
    if (args[0] === 'proxy-config') return { stdout: `CLUSTER config of ${args[2]}\n` };
    if (args[0] === 'analyze') return { stdout: 'No validation issues found\n' };
    return { stdout: `client version: 1.31.1` };
  }
  return undefined;
}

function platformFor(events: string[], provisioned: (overrides: Record<string, unknown>) => Promise<ProvisionedLab>): Platform {
  return {
    async up(lab, opts) {
      events.push(`up ${lab.meta.id}`);
      return provisioned(opts.overrides as Record<string, unknown>);
    },
    async attach() {
      throw new Error('not running');
    },
    async down(id) {
      events.push(`down ${id}`);
      return { removedClusters: [], removedContainers: [] };
    },
  };
}

function demoLab(dir: string): Lab {
  const lab = makeLab(dir, [
    makeStep(1, {
      id: 'deploy',
      title: 'Deploy the app',
      commands: [{ code: 'echo "deployed with $KINDLAB_CLUSTER"\necho "a warning" >&2', line: 12 }],
      checks: [commandCheck('true')],
    }),
    makeStep(2, {
      id: 'route',
      title: 'Route the traffic',
      commands: [{ code: 'echo routing', line: 30 }],
      checks: [{ ...commandCheck('echo "503 from v2"; exit 1'), options: { consecutive: 1, name: 'v2 answers 200' } }],
    }),
    makeStep(3, { id: 'cleanup', title: 'Clean up', commands: [{ code: 'echo never', line: 50 }] }),
  ]);
  lab.meta.addons = [{ istio: { profile: 'demo' } }];
  return lab;
}

describe('kindlab repro', () => {
  it('runs to the failing step, dumps the cluster before teardown, and writes a complete report directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kl-repro-'));
    const events: string[] = [];
    const deps = { ...engineDeps(manualClock()), runner: recordingRunner(events, clusterAnswers) };
    const lab = demoLab(dir);
    const out = join(dir, 'report');
    const r = await reproduce({
      lab,
      deps,
      platform: platformFor(events, async () => ({
        clusters: [{ name: '', kindName: 'kindlab-demo', context: 'kind-kindlab-demo' }],
        kubeconfig: join(dir, 'kubeconfig'),
        env: { KUBECONFIG: join(dir, 'kubeconfig') },
        versions: { kind: 'v0.33.0', istioctl: '1.31.1', nodeImage: 'kindest/node:v1.35.8@sha256:abc' },
      })),
      stateDir: join(dir, 'state'),
      overrides: {},
      registryMirrors: {},
      keep: false,
      outDir: out,
      kindlabVersion: '0.1.0',
      pins: resolvePins({}),
      command: 'kindlab repro demo --yes',
      status: () => undefined,
    });

    expect(r.report.outcome).toBe('failed');
    expect(r.report.steps.map((s) => s.status)).toEqual(['passed', 'failed', 'skipped']);
    // Cluster state is read while the cluster exists: every dump command comes before the teardown.
    const down = events.indexOf('down demo');
    expect(events[0]).toBe('up demo');
    expect(events.findIndex((e) => e.startsWith('istioctl proxy-config'))).toBeLessThan(down);
    expect(down).toBe(events.length - 1);

    const files = (await readdir(out, { recursive: true })).map(String).sort();
    expect(files).toEqual(
      expect.arrayContaining([
        'summary.md',
        'report.json',
        'junit.xml',
        'environment.txt',
        'steps/01-deploy.md',
        'steps/02-route.md',
        'steps/03-cleanup.md',
        'clusters/kindlab-demo/cluster.txt',
        'clusters/kindlab-demo/namespaces/demo/objects.yaml',
        'clusters/kindlab-demo/namespaces/demo/events.txt',
        'clusters/kindlab-demo/namespaces/demo/secrets.txt',
        'clusters/kindlab-demo/namespaces/demo/logs/web-1.log',
        'clusters/kindlab-demo/namespaces/demo/logs/web-1.previous.log',
        'clusters/kindlab-demo/namespaces/demo/logs/web-2.log',
        'clusters/kindlab-demo/istio/proxy-status.txt',
        'clusters/kindlab-demo/istio/demo/analyze.txt',
        'clusters/kindlab-demo/istio/demo/web-1.proxy-config.txt',
      ]),
    );
    // kind's and Kubernetes' own namespaces are left out; Secrets and Events are not dumped as objects.
    expect(files.some((f) => f.includes('namespaces/kube-system'))).toBe(false);
    expect(files.some((f) => f.includes('web-2.proxy-config'))).toBe(false);
    const objectsCall = events.find((e) => e.includes('-n demo -o yaml --ignore-not-found')) as string;
    expect(objectsCall).toContain('get configmaps,pods,services,deployments.apps -n demo');
    expect(await readFile(join(out, 'clusters/kindlab-demo/namespaces/demo/secrets.txt'), 'utf8')).toMatch(/^# names and types only/);
    expect(events.filter((e) => e.startsWith('kubectl') && e !== 'kubectl version --client').every((e) => e.startsWith('kubectl --context kind-kindlab-demo'))).toBe(true);

    const step1 = await readFile(join(out, 'steps/01-deploy.md'), 'utf8');
    expect(step1).toContain('deployed with kindlab-demo');
    expect(step1).toContain('a warning');
    expect(step1).toMatch(/### 1\. lab\.md:12: exit 0 in \d+ms/);
    const step2 = await readFile(join(out, 'steps/02-route.md'), 'utf8');
    expect(step2).toContain('**FAIL** v2 answers 200');
    expect(step2).toContain('found: exit code 1: 503 from v2');

    const env = await readFile(join(out, 'environment.txt'), 'utf8');
    expect(env).toContain('$ kind version\nkind v0.33.0 go1.25.1 linux/amd64');
    expect(env).toContain('$ istioctl version --remote=false\nclient version: 1.31.1');
    expect(env).toContain(`kindlab-demo demo/web-1/istio-proxy: docker.io/istio/proxyv2:1.31.1 -> docker.io/istio/proxyv2@sha256:${'2'.repeat(64)}`);
    expect(env).toMatch(/# images the lab declares or derives\n[\s\S]*docker\.io\/istio\/pilot:1\.31\.1/);

    const json = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(json.repro.hostInfo.docker).toMatchObject({ serverVersion: '28.2.2', cpus: 8, memoryGiB: 16 });
    expect(json.repro.clusters[0].namespaces).toEqual(['default', 'demo']);
    expect(json.teardownMs).toBeGreaterThanOrEqual(0);

    const md = r.summary;
    expect(md).toBe(await readFile(join(out, 'summary.md'), 'utf8'));
    expect(md).toContain('### kindlab repro: `demo` failed at step 2 (route)');
    expect(md).toContain('**Command:** `kindlab repro demo --yes`');
    expect(md).toMatch(/\| Docker \| 28\.2\.2 on Debian GNU\/Linux 12 \(x86_64\), 8 CPUs, 16 GiB, cgroup v2 systemd \|/);
    expect(md).toContain('| ❌ | v2 answers 200 | exit code 0 | exit code 1: 503 from v2 |');
    expect(md).toContain('<details><summary>Step 1: Step number 1 passed</summary>'.replace('Step number 1', 'Deploy the app'));
    expect(md).toContain('| ⏭️ | 3. Clean up | 0ms | – |');
    expect(md.length).toBeLessThan(SUMMARY_LIMIT);
  });

  it('a provisioning failure still yields a report: the error, no steps run, and why there is no cluster state', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kl-repro-'));
    const events: string[] = [];
    const { envError } = await import('../../src/core/errors.js');
    const deps = { ...engineDeps(manualClock()), runner: recordingRunner(events, clusterAnswers) };
    const r = await reproduce({
      lab: demoLab(dir),
      deps,
      platform: platformFor(events, async () => {
        throw envError('Installing Istio failed: istiod did not become ready');
      }),
      stateDir: join(dir, 'state'),
      overrides: {},
      registryMirrors: {},
      keep: true,
      outDir: join(dir, 'r'),
      kindlabVersion: '0.1.0',
      pins: resolvePins({}),
      command: 'kindlab repro demo',
      status: () => undefined,
    });
    expect(r.report.outcome).toBe('error');
    expect(events).not.toContain('down demo'); // --keep
    expect(r.summary).toContain('could not run');
    expect(r.summary).toContain('**Error:** Installing Istio failed: istiod did not become ready');
    expect(r.summary).toMatch(/Not captured: no cluster of the lab is running/);
  });

  it('keeps a huge run under the size of an issue comment, failing step first', () => {
    const big = 'x'.repeat(9000);
    const report = {
      kindlab: '0', lab: { id: 'l', title: 'L', source: 's' }, startedAt: 't', durationMs: 1, outcome: 'failed' as const,
      host: { os: 'linux', release: '', arch: 'x64', node: 'v24' }, versions: {}, provisionMs: 0,
      steps: Array.from({ length: 20 }, (_, i) => ({
        id: `s${i}`, title: `S${i}`, index: i + 1, status: (i === 19 ? 'failed' : 'passed') as 'failed' | 'passed', durationMs: 1, before: [], checks: [],
        commands: [{ script: `echo ${i}`, line: i, exitCode: i === 19 ? 1 : 0, stdout: Array.from({ length: 14 }, () => big).join('\n'), stderr: '', durationMs: 1 }],
      })),
    };
    const md = renderReproMarkdown({ report, overrides: {}, host: { os: 'linux', release: '', arch: 'x64', node: 'v24', cpus: 2, memoryGiB: 4, docker: { error: 'daemon-down: x' } }, tools: [], declaredImages: [], dumps: [], command: 'kindlab repro l' });
    expect(md.length).toBeLessThanOrEqual(SUMMARY_LIMIT);
    expect(md).toContain('#### ❌ Step 20: S19');
    expect(md).toMatch(/\d+ step section\(s\) left out to fit an issue comment/);
  });
});

describe('the version matrix (fake istioctl per version)', () => {
  it('runs the lab on each Istio version and shows the checkpoint that changed side by side', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kl-matrix-'));
    const events: string[] = [];
    // The platform "installs" the requested Istio: a fake istioctl printing that version, first on PATH.
    const provision = async (overrides: Record<string, unknown>): Promise<ProvisionedLab> => {
      const version = String(overrides.istio ?? '1.31.1');
      const bin = join(dir, `istio-${version}`, 'bin');
      await mkdir(bin, { recursive: true });
      await writeFile(join(bin, 'istioctl'), `#!/bin/sh\necho "client version: ${version}"\necho "control plane version: ${version}"\n`);
      await chmod(join(bin, 'istioctl'), 0o755);
      return { clusters: [], kubeconfig: join(dir, 'kc'), env: { PATH: `${bin}:${process.env.PATH}` }, versions: { istioctl: version } };
    };
    const lab = makeLab(dir, [
      makeStep(1, { id: 'install', title: 'Install Istio', commands: [{ code: 'istioctl version', line: 5 }], checks: [{ ...commandCheck('istioctl version | grep -q "control plane version: 1\\.3"'), options: { consecutive: 1, name: 'control plane is 1.3x' } }] }),
      makeStep(2, { id: 'behaviour', title: 'Check the behaviour', checks: [{ ...commandCheck('istioctl version | grep -q "control plane version: 1\\.31\\."'), options: { consecutive: 1, name: 'retries are honoured (1.31 only)' } }] }),
      makeStep(3, { id: 'after', title: 'After', checks: [commandCheck('true')] }),
    ]);
    // Dump tools other than istioctl are answered by the fake; istioctl is the real fake script on PATH.
    const runner = recordingRunner(events, (tool, args) => (tool === 'istioctl' ? undefined : clusterAnswers(tool, args)));
    const deps = { ...engineDeps(manualClock()), runner };
    const out = join(dir, 'matrix');
    const m = await reproduceMatrix(
      { lab, deps, platform: platformFor(events, provision), stateDir: join(dir, 'state'), registryMirrors: {}, keep: false, kindlabVersion: '0.1.0', command: 'kindlab repro demo --istio 1.30.4,1.31.1', status: () => undefined },
      [{ key: 'istio', values: ['1.30.4', '1.31.1'] }],
      out,
      {},
      (o) => resolvePins(o),
    );
    expect(m.runs.map((r) => r.report.outcome)).toEqual(['failed', 'passed']);
    expect(m.matrix.columns.map((c) => c.label)).toEqual(['istio 1.30.4', 'istio 1.31.1']);
    const changed = m.matrix.rows.filter((r) => r.differs).map((r) => [r.what, ...r.cells]);
    expect(changed).toEqual([
      ['retries are honoured (1.31 only)', 'fail', 'pass'],
      ['true', 'skipped', 'pass'],
    ]);
    expect(m.matrix.rows.find((r) => r.what === 'control plane is 1.3x')?.cells).toEqual(['pass', 'pass']);
    // Each version's run has its own full report, with the istioctl it really ran.
    expect(await readFile(join(out, 'istio-1.30.4', 'environment.txt'), 'utf8')).toContain('$ istioctl version --remote=false\nclient version: 1.30.4');
    expect(await readFile(join(out, 'istio-1.31.1', 'environment.txt'), 'utf8')).toContain('client version: 1.31.1');
    const md = await readFile(join(out, 'matrix.md'), 'utf8');
    expect(md).toContain('| step | checkpoint | istio 1.30.4 | istio 1.31.1 |');
    expect(md).toContain('| 2 behaviour | **retries are honoured (1.31 only)** | ❌ | ✅ |');
    expect(md).toContain('- istio 1.30.4: failed, details in `istio-1.30.4/summary.md`');
    expect(JSON.parse(await readFile(join(out, 'matrix.json'), 'utf8')).rows.length).toBe(m.matrix.rows.length);
    expect(renderMatrixText(m.matrix, false)).toMatch(/\* 2\. retries are honoured \(1\.31 only\)\s+FAIL\s+pass/);
    expect(events.filter((e) => e.startsWith('up ') || e.startsWith('down '))).toEqual(['up demo', 'down demo', 'up demo', 'down demo']);
  });

  it('combines axes and marks a column that never ran its steps as errors', () => {
    expect(combinations([{ key: 'istio', values: ['1.30.4', '1.31.1'] }, { key: 'k8s', values: ['v1.34.11'] }]).map((c) => c.dirName)).toEqual(['istio-1.30.4_k8s-v1.34.11', 'istio-1.31.1_k8s-v1.34.11']);
    const base = { kindlab: '0', lab: { id: 'l', title: 'L', source: 's' }, startedAt: 't', durationMs: 1, host: { os: '', release: '', arch: '', node: '' }, versions: {}, provisionMs: 0 };
    const ok = { ...base, outcome: 'passed' as const, steps: [{ id: 'a', title: 'A', index: 1, status: 'passed' as const, durationMs: 1, before: [], commands: [], checks: [{ kind: 'command' as const, title: 'c', status: 'pass' as const, expected: '', found: '', durationMs: 0, line: 1 }] }] };
    const broken = { ...base, outcome: 'error' as const, steps: [] };
    const m = buildMatrix('l', [{ label: 'a', report: ok }, { label: 'b', report: broken }]);
    expect(m.rows[0]?.cells).toEqual(['pass', 'error']);
    expect(renderMatrixMarkdown(m)).toContain('| | **outcome** | passed | error |');
  });
});
