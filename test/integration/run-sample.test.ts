/**
 * `kindlab run <lab> --yes` end to end: the real CLI process, the real KubeClient and checks,
 * against the simulated API server and the fake kind/kubectl/docker/cloud-provider-kind on PATH.
 * The sim's exec hook answers the HTTP sampler like nginx would behind the load balancer.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/engine/report.js';
import { createSimHarness, type SimHarness } from '../sim/harness.js';
import { fixtures, runKindlab, serveNginx } from './kindlab-on-sim.js';

let h: SimHarness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

describe('kindlab run (simulated cluster)', { timeout: 120_000 }, () => {
  it('provisions, runs every step, passes every checkpoint, writes JSON and JUnit reports, tears down', async () => {
    h = await createSimHarness();
    serveNginx(h);
    const report = join(h.dir, 'report.json');
    const junit = join(h.dir, 'junit.xml');
    const r = await runKindlab(h, ['run', 'sample-nginx', '--yes', '--skip-doctor', '--report', report, '--junit', junit]);
    expect(r.stderr, r.stderr).toContain('passed');
    expect(r.exitCode).toBe(0);
    // In a pipe the progress is plain lines: each phase, and what it waits for, once; no escape codes.
    expect(r.stderr).toContain('• Creating cluster kindlab-sample-nginx\n• Waiting for nodes of kindlab-sample-nginx to be Ready\n');
    expect(r.stderr.match(/Preparing tools/g)).toHaveLength(1);
    // eslint-disable-next-line no-control-regex
    expect(r.stderr).not.toMatch(/\u001b\[/);

    const rep = JSON.parse(await readFile(report, 'utf8')) as RunReport;
    expect(rep.outcome).toBe('passed');
    expect(rep.steps.map((s) => [s.id, s.status])).toEqual([
      ['deploy', 'passed'],
      ['scale', 'passed'],
      ['expose', 'passed'],
    ]);
    expect(rep.steps[2]?.checks.map((c) => c.status)).toEqual(['pass', 'pass']);
    expect(await readFile(junit, 'utf8')).toMatch(/<testsuite name="sample-nginx" tests="\d+" failures="0" skipped="0"/);

    // The recorded command sequence: one cluster created with kindlab's name and the lab's own
    // kubeconfig, the lab's kubectl commands with that kubeconfig, the cluster deleted at the end.
    const kind = h.calls('kind').map((c) => c.argv.slice(0, 2).join(' '));
    expect(kind.filter((c) => c === 'create cluster')).toHaveLength(1);
    expect(kind[kind.length - 1]).toBe('delete cluster');
    const create = h.calls('kind').find((c) => c.argv[0] === 'create');
    expect(create?.argv).toContain('kindlab-sample-nginx');
    expect(create?.config).toMatch(/role: worker/);
    const kubectl = h.calls('kubectl').filter((c) => ['apply', 'scale'].includes(c.argv[0] as string));
    expect(kubectl.map((c) => c.argv.slice(0, 2).join(' '))).toEqual(['apply -f', 'scale deployment/nginx', 'apply -f']);
    for (const c of kubectl) expect(c.env.KUBECONFIG).toContain(join('kindlab', 'labs', 'sample-nginx'));
  });

  it('fails the right checkpoint and exits 1 when the app answers with the wrong page', async () => {
    h = await createSimHarness();
    serveNginx(h, 'It works! (apache)');
    const report = join(h.dir, 'report.json');
    const r = await runKindlab(h, ['run', 'sample-nginx', '--yes', '--skip-doctor', '--keep', '--check-timeout', '3s', '--report', report]);
    expect(r.exitCode).toBe(1);
    const rep = JSON.parse(await readFile(report, 'utf8')) as RunReport;
    expect(rep.steps.map((s) => s.status)).toEqual(['passed', 'passed', 'failed']);
    const failed = rep.steps[2]?.checks.find((c) => c.status !== 'pass');
    expect(failed?.kind).toBe('http');
    expect(failed?.expected).toMatch(/Welcome to nginx/);
    expect(failed?.found).toMatch(/It works/);
    // --keep: the cluster stays.
    expect(h.calls('kind').some((c) => c.argv[0] === 'delete')).toBe(false);
  });

  it('a provisioning failure names the phase and the command output, removes what it created, exits 3', async () => {
    h = await createSimHarness();
    h.failWhen({ tool: 'kind', match: 'create cluster', exitCode: 1, stderr: 'ERROR: failed to create cluster: could not find a log line that matches "Reached target .*Multi-User System.*"' });
    const report = join(h.dir, 'report.json');
    const r = await runKindlab(h, ['run', 'sample-nginx', '--yes', '--skip-doctor', '--report', report]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/Creating clusters?/);
    expect(r.stderr).toContain('Multi-User System');
    const rep = JSON.parse(await readFile(report, 'utf8')) as RunReport;
    expect(rep.outcome).toBe('error');
    expect(rep.errorKind).toBe('environment');
    expect(rep.steps).toEqual([]);
    // Nothing of this lab is left behind: no cluster in the fakes' state.
    expect(Object.keys(h.state().clusters ?? {}).filter((c) => c.startsWith('kindlab-sample-nginx'))).toEqual([]);
  });

  it('fails the rollout checkpoint, naming what it found, when pods crash-loop', async () => {
    h = await createSimHarness({ podFate: () => 'crash-loop' });
    // A lab whose command does not itself wait for the rollout, so the checkpoint is what notices.
    const labs = join(h.dir, 'labs');
    await mkdir(join(labs, 'crashy', 'manifests'), { recursive: true });
    await copyFile(join(fixtures, 'sample-nginx/manifests/nginx.yaml'), join(labs, 'crashy/manifests/nginx.yaml'));
    await writeFile(
      join(labs, 'crashy/lab.md'),
      ['---', 'id: crashy', 'title: Crash-looping pods', 'summary: A deployment whose pods never become ready', 'source: {title: test}', 'duration: 5m',
        'requires: {memoryGiB: 1, cpus: 1}', 'clusters: [{workers: 1}]', '---', '', '## Deploy {#deploy}', '', '```sh', 'kubectl apply -f "$LAB_DIR/manifests/nginx.yaml"', '```', '',
        '```sh cleanup', 'kubectl delete -f "$LAB_DIR/manifests/nginx.yaml"', '```', '', '```check', '- rollout: deployment/nginx', '```', '', '> hint: look at the pods', ''].join('\n'),
    );
    const report = join(h.dir, 'report.json');
    const r = await runKindlab(h, ['run', 'crashy', '--yes', '--skip-doctor', '--check-timeout', '2s', '--report', report], labs);
    expect(r.exitCode).toBe(1);
    const rep = JSON.parse(await readFile(report, 'utf8')) as RunReport;
    const check = rep.steps[0]?.checks[0];
    expect(check?.kind).toBe('rollout');
    expect(check?.status).toBe('fail');
    expect(check?.found).toMatch(/0\/2 ready/);
    expect(r.stderr).toContain('expected:');
  });
});
