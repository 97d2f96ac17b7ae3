/**
 * The end-to-end suite's pieces (test/e2e/harness.ts) with a fake runner: the suite itself needs
 * Docker and internet and never runs here, but what it concludes from each command must be right.
 */
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/engine/report.js';
import { createProcessRunner } from '../../src/platform/exec.js';
import { TOOLS } from '../../src/platform/tools/catalog.js';
import { hostPlatform } from '../../src/platform/tools/host.js';
import { toolDir } from '../../src/platform/tools/install.js';
import { resolvePins, toolVersion } from '../../src/platform/tools/versions.js';
import { FakeRunner } from '../checks/fake-runner.js';
import { findLeftovers, labDeadlineMs, pinnedKind, runLabSelfTest } from '../e2e/harness.js';

const KIND = '/cache/tools/kind/v0.31.0/linux-amd64/kind';

/** A Docker engine and kindlab's kind, as `docker ps --filter label=...` and `kind get clusters` answer. */
function engine(state: { clusters: string[]; containers: Array<{ name: string; labels: Record<string, string> }> }) {
  return new FakeRunner((command, args) => {
    if (command === KIND && args.join(' ') === 'get clusters') {
      return state.clusters.length ? { stdout: state.clusters.join('\n') + '\n' } : { stderr: 'No kind clusters found.\n' };
    }
    if (command !== 'docker' || args[0] !== 'ps') return { exitCode: 127, stderr: `${command}: not found` };
    const filters = args.flatMap((a, i) => (args[i - 1] === '--filter' ? [a.replace(/^label=/, '')] : []));
    const format = args[args.indexOf('--format') + 1] ?? '';
    const hits = state.containers.filter((c) =>
      filters.every((f) => {
        const [k = '', v] = f.split('=');
        return v === undefined ? k in c.labels : c.labels[k] === v;
      }),
    );
    const render = (c: (typeof hits)[number]) => format.replace(/\{\{\.Label "([^"]+)"\}\}/g, (_, k: string) => c.labels[k] ?? '').replace('{{.Names}}', c.name);
    return { stdout: hits.map(render).join('\n') + (hits.length ? '\n' : '') };
  });
}

const tools = (runner: FakeRunner) => ({ runner, kind: KIND, docker: 'docker' });
const cpk = { name: 'kindlab-cloud-provider-kind', labels: { 'dev.kindlab.owned': 'true', 'dev.kindlab.scope': 'shared' } };

describe('findLeftovers', () => {
  it('finds nothing when the lab is gone, and keeps the shared cloud-provider-kind while another kindlab cluster runs', async () => {
    const runner = engine({
      clusters: ['kindlab-other-lab', 'kind'],
      containers: [cpk, { name: 'kindlab-other-lab-control-plane', labels: { 'io.x-k8s.kind.cluster': 'kindlab-other-lab' } }],
    });
    expect(await findLeftovers('canary-l4', tools(runner))).toEqual([]);
  });

  it("names every kind of leftover: clusters, node, load balancer and lab containers, and a shared container with no cluster left", async () => {
    const runner = engine({
      clusters: [],
      containers: [
        cpk,
        { name: 'kindlab-mc-east-worker', labels: { 'io.x-k8s.kind.cluster': 'kindlab-mc-east' } },
        { name: 'kindccm-abc', labels: { 'io.x-k8s.cloud-provider-kind.cluster': 'kindlab-mc-east' } },
        { name: 'kindccm-other', labels: { 'io.x-k8s.cloud-provider-kind.cluster': 'someone-else' } },
        { name: 'kindlab-mc-vm', labels: { 'dev.kindlab.owned': 'true', 'dev.kindlab.lab': 'mc' } },
      ],
    });
    expect(await findLeftovers('mc', tools(runner))).toEqual([
      'node container kindlab-mc-east-worker (cluster kindlab-mc-east)',
      'load balancer container kindccm-abc (cluster kindlab-mc-east)',
      'lab container kindlab-mc-vm',
      'shared container kindlab-cloud-provider-kind with no kindlab cluster left',
    ]);
  });

  it('lists the clusters kindlab\'s own kind reports for the lab', async () => {
    const runner = engine({ clusters: ['kindlab-mc-east', 'kindlab-mc-west', 'kindlab-mcx'], containers: [] });
    expect(await findLeftovers('mc', tools(runner))).toEqual(['kind cluster kindlab-mc-east', 'kind cluster kindlab-mc-west']);
  });

  it('fails when kind cannot list clusters, instead of reading that as "no clusters"', async () => {
    const runner = engine({ clusters: [], containers: [] });
    const inner = runner.handler;
    runner.handler = (command, args, opts) => (command === KIND ? { exitCode: 1, stderr: 'ERROR: failed to list clusters: command "docker ps" failed' } : inner(command, args, opts));
    await expect(findLeftovers('mc', tools(runner))).rejects.toThrow(/kind get clusters failed \(exit 1\): ERROR: failed to list clusters/);
  });

  it('fails when docker cannot list containers', async () => {
    const runner = engine({ clusters: [], containers: [] });
    const inner = runner.handler;
    runner.handler = (command, args, opts) => (command === 'docker' ? { exitCode: 1, stderr: 'Cannot connect to the Docker daemon' } : inner(command, args, opts));
    await expect(findLeftovers('mc', tools(runner))).rejects.toThrow(/Cannot connect to the Docker daemon/);
  });
});

function report(over: Partial<RunReport> = {}): RunReport {
  return {
    kindlab: '0.0.0',
    lab: { id: 'demo', title: 'Demo', source: 'tests' },
    startedAt: '2026-12-03T10:00:00.000Z',
    durationMs: 1,
    outcome: 'passed',
    host: { os: 'linux', release: '6', arch: 'x64', node: 'v24' },
    versions: {},
    provisionMs: 0,
    steps: [{ id: 'one', title: 'One', index: 1, status: 'passed', durationMs: 1, before: [], commands: [], checks: [] }],
    selfTest: {
      beforeDeadlineMs: { check: 5000, sample: 60000 },
      summary: { checkpoints: 1, shownFailing: 1, unevaluable: 0, passedBefore: 0, holdsBefore: 0, failedAfter: 0, notRun: 0 },
      checkpoints: [{ step: 'one', line: 12, kind: 'resource', title: 'ns exists', verdict: 'shown-failing', failedBefore: true, before: 'fail', passedAfter: true }],
    },
    ...over,
  };
}

/** kindlab as a fake: `run` writes the given report (or none) and exits as told; `down` exits as told. */
function kindlabFake(run: { report?: RunReport; exitCode?: number; timedOut?: boolean }, down = { exitCode: 0 }) {
  return new FakeRunner(async (_command, args) => {
    if (args[1] === 'run') {
      const file = args[args.indexOf('--report') + 1] as string;
      if (run.report) await writeFile(file, JSON.stringify(run.report));
      return { exitCode: run.exitCode ?? 0, stderr: 'progress on stderr\n', ...(run.timedOut ? { timedOut: true } : {}) };
    }
    if (args[1] === 'down') return { exitCode: down.exitCode, stderr: 'Removed 1 cluster(s)\n' };
    return { exitCode: 2 };
  });
}

const cliOf = (runner: FakeRunner) => ({ runner, argv: ['node', 'bin/kindlab.js'], cwd: '/repo' });
const subcommands = (runner: FakeRunner) => runner.calls.map((c) => c.args.slice(1, 3).join(' '));

describe('runLabSelfTest', () => {
  it('runs the self-test with its reports in the output directory, and leaves a passing lab to its own teardown', async () => {
    const out = await mkdtemp(join(tmpdir(), 'kl-e2e-'));
    const runner = kindlabFake({ report: report() });
    const outcome = await runLabSelfTest('demo', out, cliOf(runner), 60_000);
    expect(outcome.problems).toEqual([]);
    expect(outcome.teardown).toBeUndefined();
    expect(subcommands(runner)).toEqual(['run demo']);
    expect(runner.calls[0]?.args).toEqual(expect.arrayContaining(['--self-test', '--yes', '--junit', join(out, 'junit.xml')]));
    expect(runner.calls[0]?.opts.timeoutMs).toBe(60_000);
    expect(await readFile(join(out, 'run.log'), 'utf8')).toContain('progress on stderr');
  });

  it('tears down a lab that was stopped at its deadline and keeps its output', async () => {
    const out = await mkdtemp(join(tmpdir(), 'kl-e2e-'));
    const runner = kindlabFake({ exitCode: 124, timedOut: true });
    const outcome = await runLabSelfTest('demo', out, cliOf(runner), 20 * 60_000);
    expect(outcome.timedOut).toBe(true);
    expect(outcome.problems).toEqual(["stopped after 20 min, the lab's deadline", 'kindlab exited with 124 without writing a report (see run.log)']);
    expect(subcommands(runner)).toEqual(['run demo', 'down demo']);
    expect(outcome.teardown).toEqual({ exitCode: 0 });
    expect(await readFile(join(out, 'run.log'), 'utf8')).toContain('stopped at its deadline');
    expect(await readFile(join(out, 'down.log'), 'utf8')).toContain('Removed 1 cluster(s)');
  });

  it('reports a checkpoint that passed before its solution, tears the lab down, and says when down failed', async () => {
    const out = await mkdtemp(join(tmpdir(), 'kl-e2e-'));
    const bad = report({ outcome: 'failed' });
    bad.selfTest?.checkpoints.splice(0, 1, { step: 'one', line: 12, kind: 'resource', title: 'ns exists', verdict: 'passed-before', failedBefore: false, before: 'pass', passedAfter: true, reason: 'passed before its solution ran' });
    const runner = kindlabFake({ report: bad, exitCode: 1 }, { exitCode: 3 });
    const outcome = await runLabSelfTest('demo', out, cliOf(runner), 60_000);
    expect(outcome.problems).toEqual(['checkpoint one lab.md:12 "ns exists": passed before its solution ran', 'kindlab down demo exited with 3 (see down.log)']);
    expect(subcommands(runner)).toEqual(['run demo', 'down demo']);
  });

  it('does not take a report without its self-test part for a pass', async () => {
    const out = await mkdtemp(join(tmpdir(), 'kl-e2e-'));
    const plain = report();
    delete plain.selfTest;
    const outcome = await runLabSelfTest('demo', out, cliOf(kindlabFake({ report: plain })), 60_000);
    expect(outcome.problems).toEqual(['the report has no self-test part (was --self-test passed?)']);
  });
});

describe('labDeadlineMs', () => {
  it('gives a lab twice its stated duration, and at least 20 minutes', () => {
    expect(labDeadlineMs('5m')).toBe(20 * 60_000);
    expect(labDeadlineMs('25m')).toBe(50 * 60_000);
    expect(labDeadlineMs('1h15m')).toBe(150 * 60_000);
  });
});

describe('pinnedKind', () => {
  it("finds kindlab's cached kind of the pinned version, not a different kind on PATH", async () => {
    const root = await mkdtemp(join(tmpdir(), 'kl-kind-'));
    const pins = resolvePins({});
    const host = hostPlatform();
    const cache = join(root, 'cache');
    for (const name of ['kind', 'kubectl'] as const) {
      const dir = toolDir(join(cache, 'kindlab'), TOOLS[name], toolVersion(pins, name), host);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, TOOLS[name].command), '#!/bin/sh\nexit 0\n');
      await chmod(join(dir, TOOLS[name].command), 0o755);
    }
    const path = join(root, 'path');
    await mkdir(path);
    await writeFile(join(path, 'kind'), '#!/bin/sh\necho "kind v0.1.0 go1.20 linux/amd64"\n');
    await chmod(join(path, 'kind'), 0o755);
    const env = { PATH: `${path}:/usr/bin:/bin`, HOME: root, XDG_CACHE_HOME: cache };
    const kind = await pinnedKind(createProcessRunner(), env);
    expect(kind).toBe(join(toolDir(join(cache, 'kindlab'), TOOLS.kind, toolVersion(pins, 'kind'), host), 'kind'));
  });

  it('fails when kindlab has no pinned kind, rather than falling back to another', async () => {
    const root = await mkdtemp(join(tmpdir(), 'kl-kind-'));
    const env = { PATH: '/usr/bin:/bin', HOME: root, XDG_CACHE_HOME: join(root, 'cache') };
    await expect(pinnedKind(createProcessRunner(), env)).rejects.toThrow(/pinned kind is not installed/);
  });
});
