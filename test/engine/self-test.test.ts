/**
 * The self-test engine in process: real lab documents, the real check runner and `command` checks
 * that really run bash in the lab folder, a fake platform and a clock 20 times faster than real
 * time (a 5 s deadline takes 250 ms, while a bash run still takes far less than a retry delay).
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/checks/run.js';
import type { CheckSpec } from '../../src/model/check-schema.js';
import { renderSummary, toJUnit } from '../../src/engine/report.js';
import { beforeDeadlines, runSelfTest, shortened } from '../../src/engine/self-test.js';
import type { RunEvent } from '../../src/engine/unattended.js';
import { loadLab } from '../../src/lab/parse.js';
import { fastClock } from '../checks/test-clock.js';
import { engineDeps, fakePlatform } from './helpers.js';

const front = ['---', 'id: demo', 'title: Demo lab', 'summary: A lab for the self-test tests.', 'source: { title: tests }', 'duration: 5m', 'requires: { memoryGiB: 1, cpus: 1 }', 'clusters: [{}]', '---', ''];

async function labWith(body: string) {
  const root = await mkdtemp(join(tmpdir(), 'kl-selftest-'));
  const dir = join(root, 'labs', 'demo');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'lab.md'), [...front, body].join('\n'));
  return { lab: await loadLab(dir), dir };
}

const fence = (info: string, text: string) => ['```' + info, text.trim(), '```', ''].join('\n');

async function selfTest(body: string, events: RunEvent[] = []) {
  const { lab, dir } = await labWith(body);
  const deps = { ...engineDeps(fastClock(20)), runCheck };
  const report = await runSelfTest(lab, deps, {
    platform: fakePlatform([]),
    provision: { stateDir: dir, overrides: {}, registryMirrors: {}, keepOnFailure: false, status: () => {} },
    keep: true,
    kindlabVersion: '0.0.0',
    onEvent: (e) => events.push(e),
  });
  return { report, dir };
}

describe('run --self-test (engine)', () => {
  it('shows each checkpoint failing before its solution and passing after; a check using a capture not made yet counts as failing, with that reason', async () => {
    const { report } = await selfTest(
      [
        '## Make the file {#make}',
        fence('sh', 'echo ready > "$LAB_DIR/state"'),
        fence('check', `
- command: { run: cat state, stdout: "^ready$" }
  capture: { STATE: stdout }
- command: { run: cat state, stdout: "^\${STATE}$" }
`),
      ].join('\n'),
    );
    expect(report.outcome).toBe('passed');
    const st = report.selfTest;
    expect(st?.summary).toEqual({ checkpoints: 2, shownFailing: 2, unevaluable: 1, passedBefore: 0, holdsBefore: 0, failedAfter: 0, notRun: 0 });
    expect(st?.checkpoints.map((c) => [c.verdict, c.failedBefore, c.before, c.passedAfter])).toEqual([
      ['shown-failing', true, 'fail', true],
      ['shown-failing', true, 'unevaluable', true],
    ]);
    expect(st?.checkpoints[0]?.foundBefore).toMatch(/exit 1/);
    expect(st?.checkpoints[0]?.reason).toBeUndefined();
    expect(st?.checkpoints[1]?.reason).toBe('could not be evaluated before: ${STATE} not captured yet');
    // The real run still captured the value and used it.
    expect(report.steps[0]?.checks.map((c) => c.status)).toEqual(['pass', 'pass']);
    expect(renderSummary(report, { color: false })).toContain('self-test: 2 of 2 checkpoints failed before their solution and passed after (1 of them only because a variable was not captured yet)');
  });

  it('reports a checkpoint that passes before its solution and fails the run; accepts a marked one with its reason', async () => {
    const events: RunEvent[] = [];
    const { report } = await selfTest(
      [
        '## Touch it {#touch}',
        fence('sh', 'touch "$LAB_DIR/made"'),
        fence('check', `
- command: { run: test -d . }
  name: the lab folder exists
- command: { run: test -f lab.md }
  name: the lab document is there
  holdsBefore: the lab document exists before any step
- command: { run: test -f made }
  name: the file was made
`),
      ].join('\n'),
      events,
    );
    // The step itself passed: only the self-test makes the run fail.
    expect(report.steps[0]?.status).toBe('passed');
    expect(report.outcome).toBe('failed');
    const [loose, marked, good] = report.selfTest?.checkpoints ?? [];
    expect(loose).toMatchObject({ title: 'the lab folder exists', verdict: 'passed-before', failedBefore: false, before: 'pass', passedAfter: true });
    expect(loose?.reason).toMatch(/^passed before its solution ran .*mark it holdsBefore/);
    expect(marked).toMatchObject({ verdict: 'holds-before', failedBefore: false, passedAfter: true, holdsBefore: 'the lab document exists before any step', reason: 'the lab document exists before any step' });
    expect(good).toMatchObject({ verdict: 'shown-failing', failedBefore: true, passedAfter: true });
    expect(report.selfTest?.summary).toMatchObject({ shownFailing: 1, passedBefore: 1, holdsBefore: 1 });

    const junit = toJUnit([report]);
    expect(junit).toMatch(/<testcase classname="demo.touch" name="the lab folder exists fails before its solution"><properties><property name="verdict" value="passed-before"\/><property name="failedBefore" value="false"\/><property name="passedAfter" value="true"\/>.*<failure message="passed before its solution ran/);
    expect(junit).toContain('<skipped message="holds before its solution: the lab document exists before any step"/>');
    expect(junit).toMatch(/name="the file was made fails before its solution"><properties>.*<property name="failedBefore" value="true"\/>.*<\/properties><\/testcase>/);
    expect(junit).toMatch(/<testsuite name="demo" tests="7" failures="1" skipped="1"/);

    const text = renderSummary(report, { color: false });
    expect(text).toMatch(/FAIL touch: the lab folder exists \(lab\.md:\d+\) — passed before, passed after/);
    expect(text).toMatch(/MARK touch: the lab document is there .*\n {7}the lab document exists before any step/);
    // Progress: each checkpoint's before run is shown as it happens.
    expect(events.filter((e) => e.type === 'check-before').map((e) => e.type === 'check-before' && [e.result.status, e.holdsBefore])).toEqual([
      ['pass', undefined],
      ['pass', 'the lab document exists before any step'],
      ['fail', undefined],
    ]);
  });

  it('drops what the before run captured: the solution sees the variables it would see without --self-test', async () => {
    const { report, dir } = await selfTest(
      [
        '## Read it {#read}',
        fence('sh', 'echo "value during the commands: ${V:-unset}" > "$LAB_DIR/seen"'),
        fence('check', `
- command: { run: cat lab.md }
  capture: { V: exitCode }
  holdsBefore: the lab document exists before any step
`),
      ].join('\n'),
    );
    expect(report.outcome).toBe('passed');
    expect(await readFile(join(dir, 'seen'), 'utf8')).toBe('value during the commands: unset\n');
  });

  it('gives poll checks a short deadline before the solution: one that would pass later counts as failing', async () => {
    // Passes from its 8th attempt on: within its own 30 s, but not within the before deadline (5 s;
    // the retry delays are 0.5, 0.8, 1.3, 2 s, ...), so it fails before; after, it passes.
    const { report } = await selfTest(
      [
        '## Slow {#slow}',
        fence('sh', 'true'),
        fence('check', `
- command: { run: 'echo x >> attempts; test "$(wc -l < attempts)" -ge 8' }
  timeout: 30s
`),
      ].join('\n'),
    );
    const c = report.selfTest?.checkpoints[0];
    expect(c).toMatchObject({ verdict: 'shown-failing', before: 'fail', passedAfter: true });
    expect(c?.foundBefore).toMatch(/exit 1/);
    expect(report.outcome).toBe('passed');
  });

  it('lists the checkpoints of a step whose commands failed and of skipped steps as not run, with the reason', async () => {
    const { report } = await selfTest(
      [
        '## Broken {#broken}',
        fence('sh', 'exit 3'),
        fence('check', '- command: { run: test -f never }'),
        '## Later {#later}',
        fence('sh', 'true'),
        fence('check', '- command: { run: test -f never }'),
      ].join('\n'),
    );
    expect(report.outcome).toBe('failed');
    expect(report.selfTest?.checkpoints.map((c) => [c.step, c.verdict, c.failedBefore, c.passedAfter, c.reason])).toEqual([
      ['broken', 'not-run', true, false, "not checked after: the step's commands failed"],
      ['later', 'not-run', false, false, 'not run: an earlier step failed'],
    ]);
    expect(toJUnit([report])).toContain(`<skipped message="not run: an earlier step failed"/>`);
  });

  it('reports a checkpoint that fails after its solution as failed-after', async () => {
    const { report } = await selfTest(['## Wrong {#wrong}', fence('sh', 'true'), fence('check', '- command: { run: test -f never }\n  timeout: 2s')].join('\n'));
    expect(report.outcome).toBe('failed');
    expect(report.selfTest?.checkpoints[0]).toMatchObject({ verdict: 'failed-after', failedBefore: true, passedAfter: false });
    expect(report.selfTest?.checkpoints[0]?.reason).toMatch(/^failed after its solution: expected exit code 0, found exit 1/);
  });
});

describe('the before run of one check', () => {
  const check = (kind: string, spec: unknown, options: Record<string, unknown> = {}) => ({ kind, spec, options: { consecutive: 1, ...options }, line: 1 }) as CheckSpec;

  it('caps watch and poll kinds at the before deadline and lets one passing attempt count', async () => {
    const s = await shortened(check('rollout', 'deployment/web', { consecutive: 3, timeout: '2m' }), beforeDeadlines);
    expect(s.options).toMatchObject({ consecutive: 1, timeout: `${beforeDeadlines.checkMs}ms` });
    expect(s.options.attempts).toBeUndefined();
  });

  it('keeps a shorter timeout of the check', async () => {
    const s = await shortened(check('resource', { kind: 'Pod' }, { timeout: '1s' }), beforeDeadlines);
    expect(s.options.timeout).toBe('1000ms');
  });

  it('gives sample kinds one attempt, one fresh sample, within the sample deadline', async () => {
    const s = await shortened(check('traffic', { url: 'http://x/' }, { consecutive: 2 }), beforeDeadlines);
    expect(s.options).toMatchObject({ consecutive: 1, attempts: 1, timeout: `${beforeDeadlines.sampleMs}ms` });
  });
});
