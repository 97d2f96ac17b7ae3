/**
 * `kindlab run <lab> --self-test`: a checkpoint earns trust only once it has been seen to fail on
 * the wrong state. So for each step, after its `check before` baselines and before its commands,
 * every checkpoint of its ```check blocks runs once ("the before pass") and must not pass; then the
 * commands run and the checkpoints must pass as in any unattended run. A checkpoint the author
 * marks `holdsBefore: "<why>"` may pass before; its reason is reported.
 *
 * The before pass is short, and what counts is stated in the report:
 * - watch and poll kinds get `beforeDeadlines.checkMs` (or the check's own shorter timeout, or
 *   `run --check-timeout`); one passing attempt is enough to count as holding (a required run of
 *   `consecutive` passes is for behaviour that settles after a change, and before the solution
 *   nothing is changing);
 * - sample kinds (traffic, latency, errors, load) get one attempt, a fresh sample at the check's
 *   stated power, within `beforeDeadlines.sampleMs`;
 * - a check that errors (its Deployment does not exist yet) has failed, and so has one that cannot
 *   even be evaluated because a ${VAR} it uses is captured only by a check that has not passed
 *   yet: it is counted as failing with that reason, and the summary says how many failed only so.
 * Values captured in the before pass are dropped: the solution and the real checkpoints see the
 * variables they would see without --self-test.
 *
 * The engine only adds a pass to runLab (its `beforeCommands` hook) and judges the results, so
 * `kindlab run`, a simulated cluster or a later `npm run selftest` over every lab can all use it.
 */
import { interpolateDeep, makeLookup, UnknownVariableError } from '../checks/interpolate.js';
import { loadImplementation } from '../checks/registry.js';
import type { CheckSpec } from '../model/check-schema.js';
import type { CheckContext, CheckResult } from '../checks/types.js';
import { parseDuration } from '../core/duration.js';
import type { Lab, Step } from '../model/lab.js';
import type { RunReport, StepReport } from './report.js';
import type { EngineDeps, LabRuntime } from './runtime.js';
import { selfTestFailed, summarize, type BeforeOutcome, type CheckpointSelfTest, type SelfTestReport } from './self-test-report.js';
import { runCheckList, type Baseline } from './steps.js';
import { runLab, type RunOptions } from './unattended.js';

/** How long a checkpoint may take to pass before its solution before it counts as failing. */
export const beforeDeadlines = { checkMs: 5_000, sampleMs: 60_000 };
export type BeforeDeadlines = typeof beforeDeadlines;

export interface BeforeRecord {
  result: CheckResult;
  outcome: BeforeOutcome;
  /** The variables it uses that were not set, when it could not be evaluated. */
  missing?: string[];
}

/** A lab run in which every step's checkpoints are run before its commands too; see the module comment. */
export async function runSelfTest(lab: Lab, deps: EngineDeps, opts: RunOptions, limits: BeforeDeadlines = beforeDeadlines): Promise<RunReport> {
  // `run --check-timeout` caps every checkpoint, so the before pass too.
  const cap = deps.checkTimeoutCapMs ?? Infinity;
  const deadlines = { checkMs: Math.min(limits.checkMs, cap), sampleMs: Math.min(limits.sampleMs, cap) };
  const seen = new Map<string, BeforeRecord>();
  const report = await runLab(lab, deps, {
    ...opts,
    beforeCommands: async (rt, step, baseline, startedAt) => {
      const onResult = (result: CheckResult) => {
        const holdsBefore = step.checks.find((c) => c.line === result.line)?.options.holdsBefore;
        opts.onEvent?.({ type: 'check-before', result, ...(holdsBefore !== undefined ? { holdsBefore } : {}) });
      };
      const records = await checkBefore(rt, step, baseline, startedAt, deadlines, onResult, opts.signal);
      for (const r of records) seen.set(keyOf(step.id, r.result.line), r);
    },
  });
  report.selfTest = judge(lab, report.steps, seen, deadlines);
  if (report.outcome === 'passed' && selfTestFailed(report.selfTest)) report.outcome = 'failed';
  return report;
}

const keyOf = (step: string, line: number) => `${step}\u0000${line}`;

/** The before pass of one step: its checkpoints, shortened as the module comment says, on a copy of the variables. */
export async function checkBefore(
  rt: LabRuntime,
  step: Step,
  baseline: Baseline,
  startedAt: number,
  deadlines: BeforeDeadlines,
  onResult?: (r: CheckResult) => void,
  signal?: AbortSignal,
): Promise<BeforeRecord[]> {
  const missing = new Map<number, string[]>();
  const probe: LabRuntime = {
    ...rt,
    vars: { ...rt.vars },
    deps: {
      ...rt.deps,
      runCheck: async (check, ctx) => {
        const unset = unsetVariables(check, ctx);
        if (unset.length) missing.set(check.line, unset);
        return rt.deps.runCheck(await shortened(check, deadlines), ctx);
      },
    },
  };
  const { results } = await runCheckList(probe, step.checks, baseline, startedAt, onResult, signal);
  return results.map((result) => {
    const unset = missing.get(result.line);
    if (unset && result.status !== 'pass') return { result, outcome: 'unevaluable', missing: unset };
    return { result, outcome: result.status };
  });
}

/** The check as the before pass runs it: one passing attempt counts, within the short deadline. */
export async function shortened(check: CheckSpec, deadlines: BeforeDeadlines): Promise<CheckSpec> {
  let strategy = 'poll';
  let defaultMs = Infinity;
  try {
    const impl = await loadImplementation(check.kind);
    strategy = impl.strategy ?? 'poll';
    defaultMs = impl.defaultTimeoutMs;
  } catch {
    // runCheck reports a kind that cannot be loaded as the check's error.
  }
  const sample = strategy === 'sample';
  const own = check.options.timeout ? parseDuration(check.options.timeout) : defaultMs;
  const timeoutMs = Math.min(own, sample ? deadlines.sampleMs : deadlines.checkMs);
  const options = { ...check.options, consecutive: 1, timeout: `${timeoutMs}ms`, ...(sample ? { attempts: 1 } : {}) };
  return { ...check, options } as CheckSpec;
}

/** The ${VAR}s of a check that no variable answers now (runCheck would refuse to run it). */
function unsetVariables(check: CheckSpec, ctx: CheckContext): string[] {
  try {
    // As in runCheck: a command's script keeps unknown references for the shell.
    interpolateDeep(check.spec, makeLookup(ctx.vars, ctx.env), { shellFields: check.kind === 'command' ? ['run'] : [] });
    return [];
  } catch (err) {
    return err instanceof UnknownVariableError ? err.names : [];
  }
}

const expectedFound = (r: CheckResult) => `expected ${r.expected || '(see details)'}, found ${r.found}`;

/** Puts the before pass and the real run of every checkpoint side by side. */
export function judge(lab: Lab, steps: StepReport[], seen: ReadonlyMap<string, BeforeRecord>, deadlines: BeforeDeadlines): SelfTestReport {
  const checkpoints: CheckpointSelfTest[] = [];
  for (const sr of steps) {
    const step = lab.steps.find((s) => s.id === sr.id);
    if (!step) continue;
    for (const check of step.checks) {
      const before = seen.get(keyOf(step.id, check.line));
      const after = sr.checks.find((r) => r.line === check.line);
      const marked = check.options.holdsBefore;
      const entry: CheckpointSelfTest = {
        step: step.id,
        line: check.line,
        kind: check.kind,
        title: after?.title ?? before?.result.title ?? check.options.name ?? `${check.kind} check`,
        verdict: 'shown-failing',
        failedBefore: before !== undefined && before.outcome !== 'pass',
        ...(before ? { before: before.outcome, foundBefore: before.result.found } : {}),
        passedAfter: after?.status === 'pass',
        ...(marked !== undefined ? { holdsBefore: marked } : {}),
      };
      const passedBefore = before?.outcome === 'pass';
      if (!before || !after) {
        entry.verdict = 'not-run';
        entry.reason = sr.status === 'skipped' ? `not run: ${sr.reason ?? 'the step was skipped'}` : "not checked after: the step's commands failed";
      } else if (!entry.passedAfter) {
        entry.verdict = 'failed-after';
        entry.reason = `failed after its solution: ${expectedFound(after)}${passedBefore && marked === undefined ? '; it also passed before its solution' : ''}`;
      } else if (marked !== undefined) {
        entry.verdict = 'holds-before';
        entry.reason = passedBefore ? marked : `${marked} (marked as holding before, but it did not pass before: ${before.result.found}; is the mark still needed?)`;
      } else if (passedBefore) {
        entry.verdict = 'passed-before';
        entry.reason = `passed before its solution ran (found ${before.result.found}), so it cannot tell the solution's effect from the state before it: make it stricter, or mark it holdsBefore: "<why>"`;
      } else if (before.outcome === 'unevaluable') {
        entry.reason = `could not be evaluated before: ${(before.missing ?? []).map((n) => '${' + n + '}').join(', ')} not captured yet`;
      }
      checkpoints.push(entry);
    }
  }
  return { beforeDeadlineMs: { check: deadlines.checkMs, sample: deadlines.sampleMs }, summary: summarize(checkpoints), checkpoints };
}
