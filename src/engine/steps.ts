/** Running one step's commands, checks and cleanup. Shared by the interactive and unattended flows. */
import type { CheckSpec } from '../model/check-schema.js';
import { parseDuration } from '../core/duration.js';
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

/** What `check before` observed: keyed by check kind and by "line:<n>" (see CheckContext.baseline). */
export type Baseline = Map<string, unknown>;

/**
 * Runs checks in order. Values they capture become lab variables at once, so a later check in the
 * same block can use them (e.g. capture the gateway IP, then send traffic to it).
 */
export async function runCheckList(
  rt: LabRuntime,
  checks: CheckSpec[],
  baseline: Baseline,
  stepStartedAt: number,
  onResult?: (r: CheckResult) => void,
  signal?: AbortSignal,
): Promise<StepChecks> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    const ctx = checkContext(rt, baseline, stepStartedAt, signal);
    const result = await rt.deps.runCheck(capTimeout(check, rt.deps.checkTimeoutCapMs), ctx);
    if (result.captured) Object.assign(rt.vars, result.captured);
    results.push(result);
    onResult?.(result);
  }
  return { results, passed: results.every((r) => r.status === 'pass') };
}

function capTimeout(check: CheckSpec, capMs: number | undefined): CheckSpec {
  if (capMs === undefined) return check;
  const own = check.options.timeout ? parseDuration(check.options.timeout) : Infinity;
  return own <= capMs ? check : ({ ...check, options: { ...check.options, timeout: `${capMs}ms` } } as CheckSpec);
}

/** The `check before` blocks of a step: observed once when the step begins, kept as its baseline. */
export async function takeBaseline(rt: LabRuntime, step: Step, stepStartedAt: number): Promise<{ baseline: Baseline; results: CheckResult[] }> {
  const baseline: Baseline = new Map();
  if (step.before.length === 0) return { baseline, results: [] };
  const { results } = await runCheckList(rt, step.before, baseline, stepStartedAt);
  for (const r of results) {
    baseline.set(r.kind, r.data);
    baseline.set(`line:${r.line}`, r.data);
  }
  return { baseline, results };
}
