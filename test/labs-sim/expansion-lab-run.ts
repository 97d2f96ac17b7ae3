/**
 * Runs mesh-expansion or multicluster unattended on the simulated cluster: the Istio lab runner's
 * shape (test/labs-sim/istio-lab-run.ts) with the expansion behaviour (test/sim/behaviour/expansion)
 * in place of the plain Istio one.
 */
import { existsSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { expect } from 'vitest';
import type { CheckResult } from '../../src/checks/types.js';
import type { RunReport, StepReport } from '../../src/engine/report.js';
import { createProcessRunner } from '../../src/platform/exec.js';
import { installExpansionBehaviour, type ExpansionBehaviour, type ExpansionMisbehaviour } from '../sim/behaviour/expansion/index.js';
import { createSimHarness, type SimHarness } from '../sim/harness.js';

const bin = join(resolve(import.meta.dirname, '../..'), 'bin/kindlab.js');

export interface ExpansionLabRun {
  h: SimHarness;
  behaviour: ExpansionBehaviour;
  report: RunReport;
  exitCode: number;
  stderr: string;
  step(id: string): StepReport;
  check(stepId: string, title: string | RegExp): CheckResult;
  dispose(): Promise<void>;
}

export async function runExpansionLab(lab: string, opts: { misbehave?: ExpansionMisbehaviour; until?: string; checkTimeout?: string } = {}): Promise<ExpansionLabRun> {
  const h = await createSimHarness();
  const behaviour = await installExpansionBehaviour(h, opts.misbehave ? { misbehave: opts.misbehave } : {});
  const real = (h.env.PATH ?? '').split(delimiter).map((d) => join(d, 'sleep')).find((p) => !p.startsWith(h.binDir) && existsSync(p)) ?? '/bin/sleep';
  await writeFile(join(h.binDir, 'sleep'), `#!/bin/sh\nexec ${real} 0.05\n`);
  await chmod(join(h.binDir, 'sleep'), 0o755);
  const reportPath = join(h.dir, 'report.json');
  const args = ['run', lab, '--yes', '--skip-doctor', '--report', reportPath, '--check-timeout', opts.checkTimeout ?? '20s', ...(opts.until ? ['--until', opts.until] : [])];
  const r = await createProcessRunner().run(process.execPath, [bin, ...args], { env: { ...h.env, NO_COLOR: '1' }, cwd: h.dir, timeoutMs: 240_000 });
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
      await behaviour.stop();
      await h.cleanup();
    },
  };
}

/** A one-line summary per step and failing check, for assertion messages. */
export function summary(run: ExpansionLabRun): string {
  return run.report.steps.map((s) => `${s.id} ${s.status}${s.reason ? `: ${s.reason}` : ''}${s.checks.filter((c) => c.status !== 'pass').map((c) => `\n  ${c.status} ${c.kind} ${c.title}: ${c.found ?? ''}`).join('')}`).join('\n');
}
