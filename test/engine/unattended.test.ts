import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envError } from '../../src/core/errors.js';
import { renderSummary, toJUnit } from '../../src/engine/report.js';
import { runLab } from '../../src/engine/unattended.js';
import { commandCheck, engineDeps, fakePlatform, makeLab, makeStep, manualClock } from './helpers.js';

async function tmp() {
  return mkdtemp(join(tmpdir(), 'kl-run-'));
}

const provisionOpts = (dir: string) => ({ stateDir: dir, overrides: {}, registryMirrors: {}, keepOnFailure: false, status: () => {} });

describe('runLab (unattended)', () => {
  it('runs every step in order with the lab environment, captures variables for later steps, and tears down', async () => {
    const dir = await tmp();
    const lab = makeLab(dir, [
      makeStep(1, {
        commands: [{ code: 'echo "$KUBECONFIG|$KINDLAB_CLUSTER|$GREETING" > "$TMPDIR_OUT/one"', line: 5 }],
        checks: [{ ...commandCheck('cat "$TMPDIR_OUT/one"'), options: { consecutive: 1, capture: { FIRST: 'stdout' } } }],
      }),
      makeStep(2, { checks: [commandCheck('test "$FIRST" = "/nonexistent/kubeconfig|kindlab-demo|hello-world"')] }),
    ]);
    lab.meta.env.TMPDIR_OUT = dir;
    const calls: string[] = [];
    const report = await runLab(lab, engineDeps(), { platform: fakePlatform(calls), provision: provisionOpts(dir), keep: false, kindlabVersion: '0.0.0' });
    expect(report.outcome).toBe('passed');
    expect(report.steps.map((s) => s.status)).toEqual(['passed', 'passed']);
    // The user's own KUBECONFIG (/home/user/.kube/config) never reaches a lab command.
    expect(report.steps[0]?.checks[0]?.found).toContain('/nonexistent/kubeconfig|kindlab-demo|hello-world');
    expect(calls).toEqual(['up demo', 'down demo']);
  });

  it('stops at the first failing step, marks the rest skipped, and reports expected vs found', async () => {
    const dir = await tmp();
    const lab = makeLab(dir, [
      makeStep(1, { checks: [commandCheck('true')] }),
      makeStep(2, { commands: [{ code: 'echo broken >&2; exit 4', line: 22 }], checks: [commandCheck('true')] }),
      makeStep(3, { checks: [commandCheck('true')] }),
    ]);
    const calls: string[] = [];
    const report = await runLab(lab, engineDeps(), { platform: fakePlatform(calls), provision: provisionOpts(dir), keep: true, kindlabVersion: '0.0.0' });
    expect(report.outcome).toBe('failed');
    expect(report.steps.map((s) => s.status)).toEqual(['passed', 'failed', 'skipped']);
    expect(report.steps[1]?.reason).toBe('command at lab.md:22 exited with 4');
    expect(report.steps[1]?.commands[0]?.stderr).toBe('broken\n');
    expect(calls).toEqual(['up demo']); // --keep: no teardown
    const junit = toJUnit([report]);
    expect(junit).toMatch(/<testsuite name="demo" tests="\d+" failures="1" skipped="1"/);
    expect(junit).toContain('command exited with 4');
    expect(renderSummary(report, { color: false })).toMatch(/FAIL {2}2\. Step number 2/);
  });

  it('--until stops after the named step', async () => {
    const dir = await tmp();
    const lab = makeLab(dir, [makeStep(1, { checks: [commandCheck('true')] }), makeStep(2, { checks: [commandCheck('false')] })]);
    const report = await runLab(lab, engineDeps(), { platform: fakePlatform([]), provision: provisionOpts(dir), keep: true, until: 'step-1', kindlabVersion: '0.0.0' });
    expect(report.steps.map((s) => s.id)).toEqual(['step-1']);
    expect(report.outcome).toBe('passed');
  });

  it('a failing checkpoint fails the run and the JUnit failure carries expected and found', async () => {
    const dir = await tmp();
    const lab = makeLab(dir, [makeStep(1, { checks: [commandCheck('echo nope; exit 1')] })]);
    const report = await runLab(lab, engineDeps(), { platform: fakePlatform([]), provision: provisionOpts(dir), keep: true, kindlabVersion: '0.0.0' });
    expect(report.outcome).toBe('failed');
    expect(report.steps[0]?.reason).toMatch(/expected exit code 0, found exit code 1: nope/);
    expect(toJUnit([report])).toMatch(/<failure message="echo nope; exit 1">expected: exit code 0\nfound: exit code 1: nope<\/failure>/);
  });

  it('a provisioning failure is reported as an error, still tears down, and runs no step', async () => {
    const dir = await tmp();
    const clock = manualClock();
    const lab = makeLab(dir, [makeStep(1, { checks: [commandCheck('true')] })]);
    const calls: string[] = [];
    const report = await runLab(lab, engineDeps(clock), {
      platform: fakePlatform(calls, { failUp: envError('creating clusters failed: kind exited with 1') }),
      provision: provisionOpts(dir),
      keep: false,
      kindlabVersion: '0.0.0',
    });
    expect(report.outcome).toBe('error');
    expect(report.error).toContain('creating clusters failed');
    expect(report.steps).toEqual([]);
    expect(calls).toEqual(['up demo', 'down demo']);
  });
});
