/**
 * `kindlab run <lab> --yes`: provision, every step's solution, every checkpoint, teardown unless
 * --keep. Stops at the first failing step (later steps build on its state) and marks the rest
 * skipped, so the report shows where the lab broke.
 */
import type { CheckResult } from '../checks/types.js';
import { KindlabError, toMessage } from '../core/errors.js';
import type { Lab, Step } from '../model/lab.js';
import type { Platform, ProvisionOptions, ProvisionedLab } from '../platform/types.js';
import { hostFacts, type RunReport, type StepReport } from './report.js';
import type { EngineDeps, LabRuntime } from './runtime.js';
import { commandsSucceeded, runBlocks, runCheckList, takeBaseline, type Baseline } from './steps.js';

export interface RunOptions {
  platform: Platform;
  provision: ProvisionOptions;
  /** Keep the clusters after the run. */
  keep: boolean;
  /** Stop after this step id (or 1-based index). */
  until?: string;
  kindlabVersion: string;
  /** Live progress for the terminal. */
  onEvent?: (e: RunEvent) => void;
  signal?: AbortSignal;
  /** Use this environment instead of provisioning (an explicit --context, or a test). */
  provisioned?: ProvisionedLab;
  /**
   * Called for each step after its `check before` baseline and before its commands: the
   * self-test's "before" pass (src/engine/self-test.ts).
   */
  beforeCommands?: (rt: LabRuntime, step: Step, baseline: Baseline, stepStartedAt: number) => Promise<void>;
}

export type RunEvent =
  | { type: 'provisioned'; ms: number }
  | { type: 'step-start'; index: number; id: string; title: string }
  | { type: 'command'; script: string }
  | { type: 'output'; chunk: string; stream: 'stdout' | 'stderr' }
  | { type: 'check'; result: CheckResult }
  /** A checkpoint run before its step's commands by `run --self-test`. */
  | { type: 'check-before'; result: CheckResult; holdsBefore?: string }
  | { type: 'step-end'; report: StepReport };

export function stepIndexOf(lab: Lab, ref: string): number {
  const byIndex = /^\d+$/.test(ref) ? Number(ref) - 1 : -1;
  const i = byIndex >= 0 && byIndex < lab.steps.length ? byIndex : lab.steps.findIndex((s) => s.id === ref);
  if (i < 0) {
    throw new KindlabError('usage', `lab "${lab.meta.id}" has no step "${ref}"`, {
      fix: `Steps are: ${lab.steps.map((s) => `${s.index} ${s.id}`).join(', ')}.`,
    });
  }
  return i;
}

export async function runLab(lab: Lab, deps: EngineDeps, opts: RunOptions): Promise<RunReport> {
  const started = deps.clock.now();
  const last = opts.until === undefined ? lab.steps.length - 1 : stepIndexOf(lab, opts.until);
  const report: RunReport = {
    kindlab: opts.kindlabVersion,
    lab: { id: lab.meta.id, title: lab.meta.title, source: lab.meta.source.url ?? lab.meta.source.title },
    startedAt: new Date(started).toISOString(),
    durationMs: 0,
    outcome: 'passed',
    host: hostFacts(),
    versions: {},
    provisionMs: 0,
    steps: [],
  };

  let provisioned: ProvisionedLab | undefined = opts.provisioned;
  try {
    if (!provisioned) {
      provisioned = await opts.platform.up(lab, opts.provision);
      report.provisionMs = deps.clock.now() - started;
      opts.onEvent?.({ type: 'provisioned', ms: report.provisionMs });
    }
    report.versions = provisioned.versions;
    const rt: LabRuntime = { lab, env: provisioned, vars: {}, deps };
    let failed = false;
    for (const step of lab.steps.slice(0, last + 1)) {
      if (failed || opts.signal?.aborted) {
        report.steps.push({ id: step.id, title: step.title, index: step.index, status: 'skipped', durationMs: 0, before: [], commands: [], checks: [], reason: opts.signal?.aborted ? 'interrupted' : 'an earlier step failed' });
        continue;
      }
      opts.onEvent?.({ type: 'step-start', index: step.index, id: step.id, title: step.title });
      const stepStart = deps.clock.now();
      const { baseline, results: before } = await takeBaseline(rt, step, stepStart);
      await opts.beforeCommands?.(rt, step, baseline, stepStart);
      const commands = await runBlocks(rt, step.commands, {
        onStart: (b) => opts.onEvent?.({ type: 'command', script: b.code }),
        onOutput: (chunk, stream) => opts.onEvent?.({ type: 'output', chunk, stream }),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      const sr: StepReport = { id: step.id, title: step.title, index: step.index, status: 'passed', durationMs: 0, before, commands, checks: [] };
      if (!commandsSucceeded(commands)) {
        const bad = commands[commands.length - 1];
        sr.status = 'failed';
        sr.reason = `command at lab.md:${bad?.line} exited with ${bad?.timedOut ? 'a timeout' : bad?.exitCode}`;
      } else {
        const { results, passed } = await runCheckList(rt, step.checks, baseline, stepStart, (result) => opts.onEvent?.({ type: 'check', result }), opts.signal);
        sr.checks = results;
        if (!passed) {
          sr.status = 'failed';
          const firstBad = results.find((r) => r.status !== 'pass');
          sr.reason = firstBad ? `checkpoint "${firstBad.title}" failed: expected ${firstBad.expected}, found ${firstBad.found}` : 'a checkpoint failed';
        }
      }
      sr.durationMs = deps.clock.now() - stepStart;
      failed = sr.status === 'failed';
      report.steps.push(sr);
      opts.onEvent?.({ type: 'step-end', report: sr });
    }
    if (failed) report.outcome = 'failed';
  } catch (err) {
    report.outcome = 'error';
    report.error = toMessage(err);
    if (err instanceof KindlabError) {
      report.errorKind = err.kind;
      // The failed command's output: what the user needs to see to fix the machine.
      if (err.details.length) report.error += `\n${err.details.join('\n')}`;
      if (err.fix) report.error += `\n${err.fix}`;
    } else {
      report.errorKind = 'internal';
      report.error = `internal error: ${report.error}`;
    }
  } finally {
    // An explicit --context names a cluster kindlab did not create: never tear that down.
    if (!opts.keep && !opts.provisioned) {
      const t = deps.clock.now();
      try {
        await opts.platform.down(lab.meta.id, { status: opts.provision.status });
      } catch (err) {
        report.error = (report.error ? report.error + '; ' : '') + `teardown failed: ${toMessage(err)}`;
        if (report.outcome === 'passed') report.outcome = 'error';
      }
      report.teardownMs = deps.clock.now() - t;
    }
    report.durationMs = deps.clock.now() - started;
  }
  return report;
}
