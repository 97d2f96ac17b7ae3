/**
 * `kindlab run <lab> --self-test` end to end on the simulated cluster: the real CLI, KubeClient and
 * checks. Each step's checkpoints run before its solution (and must fail there), then after it.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/engine/report.js';
import { createSimHarness, type SimHarness } from '../sim/harness.js';
import { runKindlab, serveNginx } from './kindlab-on-sim.js';

let h: SimHarness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

describe('kindlab run --self-test (simulated cluster)', { timeout: 120_000 }, () => {
  it('shows every checkpoint of the sample lab failing before its solution and passing after; JSON and JUnit carry the fields', async () => {
    h = await createSimHarness();
    serveNginx(h);
    const report = join(h.dir, 'report.json');
    const junit = join(h.dir, 'junit.xml');
    // --check-timeout also shortens the before pass (to 3 s instead of 5 s), which keeps this test quick.
    const r = await runKindlab(h, ['run', 'sample-nginx', '--yes', '--skip-doctor', '--self-test', '--check-timeout', '3s', '--report', report, '--junit', junit]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('self-test: 6 of 6 checkpoints failed before their solution and passed after (1 of them only because a variable was not captured yet)');
    expect(r.stderr).toContain('before the commands: Service default/nginx as expected: does not pass, as it should (not found)');

    const rep = JSON.parse(await readFile(report, 'utf8')) as RunReport;
    expect(rep.outcome).toBe('passed');
    const cps = rep.selfTest?.checkpoints ?? [];
    expect(cps.map((c) => [c.step, c.kind, c.verdict, c.failedBefore, c.passedAfter])).toEqual([
      ['deploy', 'rollout', 'shown-failing', true, true],
      ['deploy', 'resource', 'shown-failing', true, true],
      ['scale', 'rollout', 'shown-failing', true, true],
      ['scale', 'resource', 'shown-failing', true, true],
      ['expose', 'resource', 'shown-failing', true, true],
      ['expose', 'http', 'shown-failing', true, true],
    ]);
    // Before the scale step two replicas run, not three: the checkpoints failed on what they found.
    expect(cps[2]?.foundBefore).toMatch(/^2\/3 ready/);
    expect(cps[3]?.foundBefore).toMatch(/^2 objects/);
    expect(rep.selfTest?.beforeDeadlineMs).toEqual({ check: 3000, sample: 3000 });
    expect(cps[5]).toMatchObject({ before: 'unevaluable', reason: 'could not be evaluated before: ${LB_IP} not captured yet' });

    const xml = await readFile(junit, 'utf8');
    expect(xml.match(/fails before its solution"><properties>/g)).toHaveLength(6);
    expect(xml).toContain('<property name="failedBefore" value="true"/><property name="passedAfter" value="true"/>');
    expect(xml).toMatch(/<testsuite name="sample-nginx" tests="\d+" failures="0" skipped="0"/);
  });

  it('reports a checkpoint that holds before its solution and exits 1; accepts a holdsBefore-marked one with its reason', async () => {
    h = await createSimHarness();
    const labs = join(h.dir, 'labs');
    await mkdir(join(labs, 'ns-lab'), { recursive: true });
    await writeFile(
      join(labs, 'ns-lab/lab.md'),
      [
        '---', 'id: ns-lab', 'title: A namespace', 'summary: Creates a namespace.', 'source: {title: test}', 'duration: 5m', 'requires: {memoryGiB: 1, cpus: 1}', 'clusters: [{}]', '---', '',
        '## Create the namespace {#create}', '', '```sh', 'kubectl create namespace team-a', '```', '',
        '```check',
        '- resource: { kind: Namespace, name: default }',
        '  name: the default namespace exists',
        '- resource: { kind: Namespace, name: kube-system }',
        '  name: the system namespace exists',
        '  holdsBefore: kind creates kube-system with the cluster',
        '- resource: { kind: Namespace, name: team-a }',
        '  name: the team namespace exists',
        '```', '',
      ].join('\n'),
    );
    const report = join(h.dir, 'report.json');
    const junit = join(h.dir, 'junit.xml');
    const r = await runKindlab(h, ['run', 'ns-lab', '--yes', '--skip-doctor', '--self-test', '--check-timeout', '2s', '--report', report, '--junit', junit], labs);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/FAIL create: the default namespace exists \(lab\.md:\d+\) — passed before, passed after\n {7}passed before its solution ran/);
    expect(r.stderr).toMatch(/MARK create: the system namespace exists .*\n {7}kind creates kube-system with the cluster/);

    const rep = JSON.parse(await readFile(report, 'utf8')) as RunReport;
    expect(rep.outcome).toBe('failed');
    expect(rep.steps[0]?.status).toBe('passed');
    expect(rep.selfTest?.summary).toMatchObject({ checkpoints: 3, shownFailing: 1, passedBefore: 1, holdsBefore: 1, failedAfter: 0 });
    expect(rep.selfTest?.checkpoints.map((c) => [c.title, c.verdict, c.failedBefore, c.passedAfter, c.holdsBefore])).toEqual([
      ['the default namespace exists', 'passed-before', false, true, undefined],
      ['the system namespace exists', 'holds-before', false, true, 'kind creates kube-system with the cluster'],
      ['the team namespace exists', 'shown-failing', true, true, undefined],
    ]);
    const xml = await readFile(junit, 'utf8');
    expect(xml).toMatch(/name="the default namespace exists fails before its solution">.*<failure message="passed before its solution ran/);
    expect(xml).toContain('<skipped message="holds before its solution: kind creates kube-system with the cluster"/>');
  });
});
