/**
 * The facilitator's and bug reporter's commands through the CLI entry point, against the
 * simulated cluster and the fake kind/kubectl/istioctl/docker/helm of test/sim (no Docker, no
 * network): `run --all --junit`, `doctor --lab --json`, `export`, and `repro` with a version
 * matrix over two fake Istio releases.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { listLabs } from '../../src/lab/catalog.js';
import { createSimHarness, type SimHarness } from '../sim/harness.js';
import { writeFakeIstioRelease } from '../sim/istio-release.js';
import { runInProcess } from './in-process.js';

const MATRIX_LAB = `---
id: matrix-demo
title: Version matrix demo
summary: A one-step lab whose checkpoint depends on the Istio version.
source: {title: kindlab tests}
duration: 5m
requires: {memoryGiB: 1, cpus: 1}
clusters:
  - workers: 0
addons:
  - istio:
      profile: minimal
---

# Version matrix demo

## Check the version {#version}

\`\`\`sh
istioctl version
\`\`\`

\`\`\`check
- command:
    run: istioctl version
    stdout: 'control plane version: 1\\.31\\.'
  name: the control plane is 1.31
  timeout: 2s
\`\`\`
`;

let h: SimHarness | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await h?.cleanup();
  h = undefined;
});

/** Runs the CLI in this process (the sim answers the fakes from here). */
async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  return runInProcess(args, env);
}

describe('facilitator preflight', () => {
  it('`run --all --yes --junit` runs every lab, keeps going after a failure, and writes one JUnit suite per lab', async () => {
    h = await createSimHarness();
    // Every cluster creation fails at once: the point is that all labs are attempted and reported.
    await h.failWhen({ tool: 'kind', match: 'create cluster', exitCode: 1, stderr: 'ERROR: failed to create cluster: simulated' });
    const junit = join(h.dir, 'labs.xml');
    const r = await cli(['run', '--all', '--yes', '--skip-doctor', '--junit', junit], h.env);
    const xml = await readFile(junit, 'utf8');
    const ids = (await listLabs()).map((l) => l.id);
    // A cluster that cannot be created is the machine's problem: exit code 3 (environment), not 1.
    expect(r.code).toBe(3);
    for (const id of ids) expect(xml).toContain(`<testsuite name="${id}"`);
    expect(xml.match(/<testcase classname="[^"]+" name="environment"><failure/g)?.length).toBe(ids.length);
    expect(xml).toMatch(/<testsuites name="kindlab" tests="\d+" failures="\d+"/);
    const created = h.calls('kind').filter((c) => c.argv[0] === 'create').map((c) => c.argv[c.argv.indexOf('--name') + 1] ?? '');
    for (const id of ids) expect(created.some((name) => name === `kindlab-${id}` || name.startsWith(`kindlab-${id}-`)), id).toBe(true);
  }, 120_000);

  it('`doctor --lab <id> --json` gives a pass/fail per lab, the offline finding, and a summary', async () => {
    h = await createSimHarness();
    const r = await cli(['doctor', '--lab', 'canary-l4', '--json'], h.env);
    const doc = JSON.parse(r.out) as { ready: boolean; labs: Array<{ lab: string; ready: boolean; offline: boolean; findings: Array<{ id: string; status: string; message: string }> }>; summary: { canRun: string[]; notReady: string[]; offline: string[] } };
    expect(doc.labs.map((l) => l.lab)).toEqual(['canary-l4']);
    const offline = doc.labs[0]?.findings.find((f) => f.id === 'offline');
    expect(offline).toMatchObject({ status: 'warn' });
    expect(offline?.message).toMatch(/no offline bundle has been imported/);
    expect(doc.labs[0]?.offline).toBe(false);
    expect(doc.summary.offline).toEqual([]);
    expect([...doc.summary.canRun, ...doc.summary.notReady]).toEqual(['canary-l4']);
    expect(r.code).toBe(doc.ready ? 0 : 3);
  }, 60_000);

  it('`doctor --lab` checks the tools each lab runs: helm for ingress-ha, istioctl only for an Istio lab', async () => {
    h = await createSimHarness();
    const r = await cli(['doctor', '--lab', 'ingress-ha', '--lab', 'istio-bookinfo', '--lab', 'canary-l4', '--json'], h.env);
    const doc = JSON.parse(r.out) as { findings: Array<{ id: string }>; labs: Array<{ lab: string; findings: Array<{ id: string }> }> };
    const tools = (findings: Array<{ id: string }>) => findings.map((f) => f.id).filter((id) => id.startsWith('tools.'));
    expect(tools(doc.findings)).toEqual([]);
    expect(Object.fromEntries(doc.labs.map((l) => [l.lab, tools(l.findings)]))).toEqual({
      'ingress-ha': ['tools.kind', 'tools.kubectl', 'tools.helm'],
      'istio-bookinfo': ['tools.kind', 'tools.kubectl', 'tools.istioctl'],
      'canary-l4': ['tools.kind', 'tools.kubectl'],
    });
  }, 60_000);
});

const HUGE_LAB = `---
id: huge-lab
title: A lab no laptop runs
summary: Asks for more memory than the simulated Docker engine has.
source: {title: kindlab tests}
duration: 5m
requires: {memoryGiB: 64, cpus: 2}
clusters:
  - {}
---

# A lab no laptop runs

## Look {#look}

\`\`\`sh
kubectl get nodes
\`\`\`
`;

describe('doctor and the preflight agree', () => {
  it('`doctor --lab` and `run` give the same verdict, and the preflight prints one summary', async () => {
    h = await createSimHarness();
    const labs = join(h.dir, 'labs');
    await mkdir(join(labs, 'huge-lab'), { recursive: true });
    await writeFile(join(labs, 'huge-lab', 'lab.md'), HUGE_LAB);
    const env = { ...h.env, KINDLAB_LABS_PATH: labs };
    vi.stubEnv('KINDLAB_LABS_PATH', labs);

    const doctor = await cli(['doctor', '--lab', 'huge-lab', '--json'], env);
    const doc = JSON.parse(doctor.out) as { labs: Array<{ ready: boolean; findings: Array<{ id: string; status: string }> }>; summary: { notReady: string[] } };
    expect(doc.summary.notReady).toEqual(['huge-lab']);
    expect(doc.labs[0]?.findings.find((f) => f.id === 'docker.memory')?.status).toBe('fail');

    const run = await cli(['run', 'huge-lab', '--yes'], env);
    expect(run.code).toBe(3);
    expect(run.err).toContain('this machine is not ready for lab "huge-lab"');
    // One tally, in the error's first line; no second summary and no blank line inside the block.
    expect(run.err.match(/\d+ ok, \d+ warnings?, \d+ failed/g)).toHaveLength(1);
    const block = run.err.slice(run.err.indexOf('error:'));
    expect(block.trimEnd().split('\n')).not.toContain('');
    expect(h.calls('kind').filter((c) => c.argv[0] === 'create')).toEqual([]);
  }, 60_000);

  it('inotify limits are judged per lab (a three-node lab fails where one node only warns)', async () => {
    h = await createSimHarness();
    const r = await cli(['doctor', '--lab', 'canary-l4', '--json'], h.env);
    const doc = JSON.parse(r.out) as { findings: Array<{ id: string }>; labs: Array<{ ready: boolean; findings: Array<{ id: string; status: string }> }> };
    expect(doc.findings.filter((f) => f.id.startsWith('inotify'))).toEqual([]);
    const inotify = doc.labs[0]?.findings.filter((f) => f.id.startsWith('inotify.')) ?? [];
    expect(inotify.map((f) => f.id).sort()).toEqual(['inotify.max_user_instances', 'inotify.max_user_watches']);
    // canary-l4 has three nodes: a limit below kind's recommendation blocks it, as it blocks start.
    for (const f of inotify) expect(['ok', 'fail']).toContain(f.status);
    if (inotify.some((f) => f.status === 'fail')) expect(doc.labs[0]?.ready).toBe(false);
  }, 60_000);
});

describe('bug reports', () => {
  it('`export` writes an executable standalone script', async () => {
    h = await createSimHarness();
    const file = join(h.dir, 'canary.sh');
    const r = await cli(['export', 'canary-l4', '--until', '2', '--out', file], h.env);
    expect(r.code).toBe(0);
    const script = await readFile(file, 'utf8');
    expect(script).toContain('# Reproduces the kindlab lab "canary-l4"');
    expect(script).toContain('up to step 2');
    const usage = await cli(['export'], h.env);
    expect(usage.code).toBe(2);
  });

  it('`repro --istio a,b` runs the lab on both Istio releases against the sim and prints the matrix', async () => {
    h = await createSimHarness();
    // A second Istio release in kindlab's cache, whose istioctl reports 1.30.4.
    const other = '1.30.4';
    const home = join(h.env.XDG_CACHE_HOME as string, 'kindlab', 'tools', 'istioctl', other, `linux-${process.arch === 'arm64' ? 'arm64' : 'amd64'}`, 'root', `istio-${other}`);
    await mkdir(home, { recursive: true });
    const fake = pathToFileURL(join(import.meta.dirname, '..', 'sim', 'fakes', 'istioctl')).href;
    await writeFakeIstioRelease(home, other, `#!/usr/bin/env node\nprocess.env.KINDLAB_FAKE_ISTIO_VERSION = ${JSON.stringify(other)};\nimport(${JSON.stringify(fake)});\n`);
    await writeFile(join(home, '..', `istio-${other}-linux-amd64.tar.gz`), 'not used: the unpacked tree is there');

    // A small lab (through KINDLAB_LABS_PATH) whose checkpoint depends on the Istio version.
    const labDir = join(h.dir, 'labs', 'matrix-demo');
    await mkdir(labDir, { recursive: true });
    await writeFile(join(labDir, 'lab.md'), MATRIX_LAB);
    const env = { ...h.env, KINDLAB_LABS_PATH: join(h.dir, 'labs') };
    // The lab catalog reads the search path from the process environment.
    vi.stubEnv('KINDLAB_LABS_PATH', env.KINDLAB_LABS_PATH);

    const out = join(h.dir, 'matrix');
    const r = await cli(['repro', 'matrix-demo', '--istio', `${other},1.31.1`, '--yes', '--skip-doctor', '--out', out], env);
    const matrix = JSON.parse(await readFile(join(out, 'matrix.json'), 'utf8')) as { columns: Array<{ label: string; outcome: string }>; rows: Array<{ what: string; cells: string[]; differs: boolean }> };
    expect(matrix.columns).toEqual([
      { label: `istio ${other}`, outcome: 'failed', dir: `istio-${other}` },
      { label: 'istio 1.31.1', outcome: 'passed', dir: 'istio-1.31.1' },
    ]);
    expect(matrix.rows.filter((row) => row.differs).map((row) => [row.what, ...row.cells])).toEqual([['the control plane is 1.31', 'fail', 'pass']]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`| step | checkpoint | istio ${other} | istio 1.31.1 |`);
    expect(r.err).toMatch(/\* 1\. the control plane is 1\.31\s+FAIL\s+pass/);
    expect(await readFile(join(out, `istio-${other}`, 'environment.txt'), 'utf8')).toContain(`client version: ${other}`);
    expect(await readFile(join(out, 'istio-1.31.1', 'environment.txt'), 'utf8')).toContain('client version: 1.31.1');
    const summary = await readFile(join(out, `istio-${other}`, 'summary.md'), 'utf8');
    expect(summary).toContain('### kindlab repro: `matrix-demo` failed at step 1 (version)');
    expect(summary).toMatch(/control plane version: 1\.30\.4/);
    // The cluster was read (istiod's namespace included) before the run tore it down.
    expect(await readFile(join(out, 'istio-1.31.1', 'clusters', 'kindlab-matrix-demo', 'cluster.txt'), 'utf8')).toContain('## nodes');
    expect(await readFile(join(out, 'istio-1.31.1', 'clusters', 'kindlab-matrix-demo', 'istio', 'proxy-status.txt'), 'utf8')).not.toBe('');
    expect(h.calls('kind').filter((c) => c.argv[0] === 'delete').length).toBe(2);
  }, 120_000);
});
