/**
 * Runs a shipped Istio lab unattended on the simulated cluster with the Istio behaviour models
 * (test/sim/behaviour/istio): the real CLI (`kindlab run <lab> --yes --skip-doctor --report ...`),
 * the fakes on PATH, the sim answering every request from the objects the lab created. Returns the
 * JSON report and the harness for assertions on recorded calls; dispose() cleans up (including the
 * background port-forwards a lab leaves running, as a learner's terminal would).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import type { CheckResult } from '../../src/checks/types.js';
import type { RunReport, StepReport } from '../../src/engine/report.js';
import { createProcessRunner } from '../../src/platform/exec.js';
import { installCreditingSleep, labClock } from '../sim/behaviour/lab-clock.js';
import { installIstioBehaviour, type IstioBehaviour, type Misbehaviour } from '../sim/behaviour/istio/index.js';
import { createSimHarness, type SimHarness } from '../sim/harness.js';
import { writeLabVariant, type LabEdits } from './lab-variant.js';

const repo = resolve(import.meta.dirname, '../..');
const bin = join(repo, 'bin/kindlab.js');

export interface IstioLabRun {
  h: SimHarness;
  behaviour: IstioBehaviour;
  report: RunReport;
  exitCode: number;
  stderr: string;
  /** The step of the report (fails the test when absent). */
  step(id: string): StepReport;
  /** A checkpoint by its name (title) in a step. */
  check(stepId: string, title: string | RegExp): CheckResult;
  dispose(): Promise<void>;
}

export interface IstioLabRunOptions {
  misbehave?: Misbehaviour;
  until?: string;
  /** --check-timeout (default 30s: a passing run never waits that long). */
  checkTimeout?: string;
  seed?: number;
  /** Run a copy of the lab with these edits (lab-variant.ts) instead of the shipped lab. */
  variant?: LabEdits;
}

/**
 * `sleep` for the lab's shell blocks: labs wait for real systems to settle (spans sent in
 * batches, scrapes, a LoadBalancer address); in the sim everything is there at once, so a sleep
 * lasts 0.05 s. The time it skipped still passes on the mesh's clock (lab-clock.ts), which time
 * windows (Kiali's graph, PromQL ranges) and istiod's push delay follow.
 */
async function fastSleep(h: SimHarness, clockFile: string): Promise<void> {
  await installCreditingSleep(h.binDir, clockFile, '0.05', 'sim: no need to wait for the simulated cluster');
}

/** Stops the port-forwards a lab started in the background (their pid files are in $TMPDIR). */
function stopPortForwards(h: SimHarness): void {
  const tmp = h.env.TMPDIR;
  if (!tmp || !existsSync(tmp)) return;
  for (const dir of readdirSync(tmp).filter((d) => /^kindlab-.*-port-forwards$/.test(d))) {
    for (const f of readdirSync(join(tmp, dir)).filter((x) => x.endsWith('.pid'))) {
      const pid = Number(readFileSync(join(tmp, dir, f), 'utf8').trim());
      if (pid > 0) {
        try {
          process.kill(pid);
        } catch {
          // already gone
        }
      }
    }
  }
}

export async function runIstioLab(lab: string, opts: IstioLabRunOptions = {}): Promise<IstioLabRun> {
  const h = await createSimHarness();
  const clockFile = join(h.dir, 'lab-clock');
  const behaviour = await installIstioBehaviour(h, {
    ...(opts.misbehave ? { misbehave: opts.misbehave } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    clock: labClock(clockFile),
  });
  await fastSleep(h, clockFile);
  // A forgotten port-forward ends by itself after five minutes (dispose() kills the ones a run leaves).
  // Shorter lifetimes ended them on the wall clock while a loaded machine was still in the step using them.
  h.env.KINDLAB_FAKE_PORT_FORWARD_MS = '300000';
  const reportPath = join(h.dir, 'report.json');
  const args = ['run', lab, '--yes', '--skip-doctor', '--report', reportPath, '--check-timeout', opts.checkTimeout ?? '30s', ...(opts.until ? ['--until', opts.until] : [])];
  const labsPath = opts.variant ? await writeLabVariant(h.dir, lab, opts.variant) : undefined;
  const r = await createProcessRunner().run(process.execPath, [bin, ...args], { env: { ...h.env, NO_COLOR: '1', ...(labsPath ? { KINDLAB_LABS_PATH: labsPath } : {}) }, cwd: h.dir, timeoutMs: 240_000 });
  const report = JSON.parse(await readFile(reportPath, 'utf8')) as RunReport;
  const step = (id: string) => {
    const s = report.steps.find((x) => x.id === id);
    expect(s, `step ${id} in the report`).toBeDefined();
    return s as StepReport;
  };
  return {
    h,
    behaviour,
    report,
    exitCode: r.exitCode,
    stderr: r.stderr,
    step,
    check(stepId, title) {
      const c = step(stepId).checks.find((x) => (typeof title === 'string' ? x.title === title : title.test(x.title)));
      expect(c, `checkpoint "${String(title)}" of step ${stepId}; have: ${step(stepId).checks.map((x) => x.title).join(' | ')}`).toBeDefined();
      return c as CheckResult;
    },
    async dispose() {
      stopPortForwards(h);
      await behaviour.stop();
      await h.cleanup();
    },
  };
}

/**
 * --check-timeout of runs that must fail: the failing checkpoint polls this long, and the passing
 * ones before it must fit, also on a loaded machine (the slowest, the mirroring command, takes
 * about 1 s at a load average of 8). A setup step's request through a Gateway it just created
 * waits for istiod's push (3 s, xds-push.ts), with the checks' backoff on top.
 */
export const MISBEHAVIOUR_CHECK_TIMEOUT = '6s';

/** Per test: a lab run takes 10–20 s alone, longer when the runs of a file go side by side. */
export const TIMEOUT = 150_000;

/** Runs the lab, hands the run to `body`, and always disposes of it. */
export async function withIstioLab(lab: string, optsOrBody: IstioLabRunOptions | ((run: IstioLabRun) => Promise<void>), body?: (run: IstioLabRun) => Promise<void>): Promise<void> {
  const [opts, fn] = typeof optsOrBody === 'function' ? [{}, optsOrBody] : [optsOrBody, body];
  const run = await runIstioLab(lab, opts);
  try {
    await fn?.(run);
  } finally {
    await run.dispose();
  }
}

/** Every step passed; on failure the message names the first failing step and its reason. */
export function expectPassed(run: IstioLabRun): void {
  const bad = run.report.steps.find((s) => s.status !== 'passed');
  expect(bad ? `${bad.id}: ${bad.reason ?? bad.status}` : run.report.outcome, run.stderr.slice(-4000)).toBe('passed');
  expect(run.exitCode).toBe(0);
}

export const data = <T>(c: CheckResult) => c.data as T;
