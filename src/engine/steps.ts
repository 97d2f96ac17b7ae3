/** Running one step's commands, checks and cleanup. Shared by the interactive and unattended flows. */
import type { CheckSpec } from '../model/check-schema.js';
import { parseDuration } from '../core/duration.js';
import { baselineOf, runChecks } from '../checks/run.js';
import type { CheckResult } from '../checks/types.js';
import type { CodeBlock, Step } from '../model/lab.js';
import { checkContext, commandEnv, repoDirOf, type LabRuntime } from './runtime.js';

export interface CommandRecord {
  script: string;
  line: number;
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut?: boolean;
}

export interface CommandOptions {
  onStart?: (block: CodeBlock) => void;
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Runs blocks in order and stops at the first that fails (like a learner would). */
export async function runBlocks(rt: LabRuntime, blocks: CodeBlock[], opts: CommandOptions = {}): Promise<CommandRecord[]> {
  const records: CommandRecord[] = [];
  const env = commandEnv(rt);
  for (const block of blocks) {
    opts.onStart?.(block);
    const r = await rt.deps.runner.runScript(block.code, {
      cwd: repoDirOf(rt.lab),
      env,
      ...(opts.onOutput ? { onOutput: opts.onOutput } : {}),
      timeoutMs: opts.timeoutMs ?? 15 * 60_000,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    records.push({
      script: block.code,
      line: block.line,
      exitCode: r.exitCode,
      stdout: r.stdout,
      stderr: r.stderr,
      durationMs: r.durationMs,
      ...(r.timedOut ? { timedOut: true } : {}),
    });
    if (r.exitCode !== 0) break;
  }
  return records;
}

export const commandsSucceeded = (records: CommandRecord[]) => records.every((r) => r.exitCode === 0);

export interface StepChecks {
  results: CheckResult[];
  passed: boolean;
}

/** What `check before` observed (baselineOf in src/checks/run.ts). */
export type Baseline = Map<string, unknown>;

/**
 * Runs a list of checks (src/checks/run.ts runChecks). What they capture becomes lab variables:
 * for the checks after them in the list, and for the steps that follow.
 */
export async function runCheckList(
  rt: LabRuntime,
  checks: CheckSpec[],
  baseline: Baseline,
  stepStartedAt: number,
  onResult?: (r: CheckResult) => void,
  signal?: AbortSignal,
): Promise<StepChecks> {
  const results = await runChecks(checks, (captured) => checkContext({ ...rt, vars: { ...rt.vars, ...captured } }, baseline, stepStartedAt, signal), {
    run: (check, ctx) => rt.deps.runCheck(capTimeout(check, rt.deps.checkTimeoutCapMs), ctx),
    ...(onResult ? { onResult } : {}),
  });
  for (const r of results) Object.assign(rt.vars, r.captured);
  return { results, passed: results.every((r) => r.status === 'pass') };
}

function capTimeout(check: CheckSpec, capMs: number | undefined): CheckSpec {
  if (capMs === undefined) return check;
  const own = check.options.timeout ? parseDuration(check.options.timeout) : Infinity;
  return own <= capMs ? check : ({ ...check, options: { ...check.options, timeout: `${capMs}ms` } } as CheckSpec);
}

/** The `check before` blocks of a step: observed once when the step begins, kept as its baseline. */
export async function takeBaseline(rt: LabRuntime, step: Step, stepStartedAt: number): Promise<{ baseline: Baseline; results: CheckResult[] }> {
  if (step.before.length === 0) return { baseline: new Map(), results: [] };
  const { results } = await runCheckList(rt, step.before, new Map(), stepStartedAt);
  return { baseline: baselineOf(results), results };
}
