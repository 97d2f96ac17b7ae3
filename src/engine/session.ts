/**
 * A learner's session on a provisioned lab: the current step, checking it, hints, solving,
 * resetting and moving between steps, with progress saved after every change. Used by the
 * interactive `start` loop and by the one-shot commands (`check`, `hint`, ... from another terminal).
 */
import type { CheckResult } from '../checks/types.js';
import { KindlabError } from '../core/errors.js';
import type { Step } from '../model/lab.js';
import { stepProgress, type Progress, type ProgressStore } from './progress.js';
import type { LabRuntime } from './runtime.js';
import { commandsSucceeded, runBlocks, runCheckList, takeBaseline, type Baseline, type CommandOptions, type CommandRecord } from './steps.js';

export interface CheckOutcome {
  step: Step;
  passed: boolean;
  results: CheckResult[];
}

export interface SolveOutcome extends CheckOutcome {
  commands: CommandRecord[];
  commandsOk: boolean;
}

export class LabSession {
  /** Baselines and start times of steps begun in this process. */
  private readonly begun = new Map<number, { at: number; baseline: Baseline }>();

  constructor(
    readonly rt: LabRuntime,
    private readonly store: ProgressStore,
    public progress: Progress,
  ) {
    Object.assign(rt.vars, progress.vars);
  }

  get lab() {
    return this.rt.lab;
  }

  step(index = this.progress.current): Step {
    const s = this.lab.steps[index];
    if (!s) throw new KindlabError('usage', `step ${index + 1} does not exist (the lab has ${this.lab.steps.length} steps)`);
    return s;
  }

  get finished(): boolean {
    return this.lab.steps.every((s) => stepProgress(this.progress, s.id).status === 'passed');
  }

  /** Picks up changes another terminal saved (e.g. a `kindlab check` run there). */
  async reload(): Promise<void> {
    const p = await this.store.load();
    if (p) {
      this.progress = p;
      Object.assign(this.rt.vars, p.vars);
    }
  }

  private async save(mutate: (p: Progress) => void): Promise<void> {
    const vars = { ...this.rt.vars };
    this.progress = await this.store.update(this.lab.meta.id, (p) => {
      mutate(p);
      Object.assign(p.vars, vars);
    }, new Date(this.rt.deps.clock.now()));
  }

  /**
   * Marks the start of a step: runs its `check before` blocks once, so checks like "NotAfter later
   * than when the step began" have something to compare with.
   */
  async begin(index = this.progress.current): Promise<CheckResult[]> {
    if (this.begun.has(index)) return [];
    const at = this.rt.deps.clock.now();
    const { baseline, results } = await takeBaseline(this.rt, this.step(index), at);
    this.begun.set(index, { at, baseline });
    return results;
  }

  /**
   * Verifies a step. `quickMs` caps every checkpoint's wait: a learner pressing "check" wants a
   * verdict on the cluster as it is now, not minutes of waiting for something that may never come.
   */
  async check(index = this.progress.current, onResult?: (r: CheckResult) => void, quickMs?: number): Promise<CheckOutcome> {
    await this.begin(index);
    const step = this.step(index);
    const b = this.begun.get(index) ?? { at: this.rt.deps.clock.now(), baseline: new Map() };
    const rt = quickMs === undefined ? this.rt : { ...this.rt, deps: { ...this.rt.deps, checkTimeoutCapMs: Math.min(quickMs, this.rt.deps.checkTimeoutCapMs ?? Infinity) } };
    const { results, passed } = await runCheckList(rt, step.checks, b.baseline, b.at, onResult);
    await this.save((p) => {
      const sp = stepProgress(p, step.id);
      p.steps[step.id] = { ...sp, status: passed ? 'passed' : 'failed', checks: sp.checks + 1, updatedAt: new Date(this.rt.deps.clock.now()).toISOString() };
    });
    return { step, passed, results };
  }

  /** The next hint not yet shown (hints are revealed one at a time), or undefined when all were shown. */
  async hint(index = this.progress.current, failed: CheckResult[] = []): Promise<{ hint?: string; shown: number; total: number }> {
    const step = this.step(index);
    const extra = failed.map((r) => r.hint).filter((h): h is string => !!h);
    const all = [...step.hints, ...extra];
    const sp = stepProgress(this.progress, step.id);
    const shown = Math.min(sp.hintsShown, all.length);
    const hint = all[shown];
    if (hint !== undefined) {
      await this.save((p) => {
        p.steps[step.id] = { ...stepProgress(p, step.id), hintsShown: shown + 1 };
      });
    }
    return { ...(hint !== undefined ? { hint } : {}), shown: hint === undefined ? shown : shown + 1, total: all.length };
  }

  /** Runs the step's solution, then its checks. */
  async solve(index = this.progress.current, opts: CommandOptions = {}, onResult?: (r: CheckResult) => void): Promise<SolveOutcome> {
    await this.begin(index);
    const step = this.step(index);
    const commands = await runBlocks(this.rt, step.commands, opts);
    const commandsOk = commandsSucceeded(commands);
    await this.save((p) => {
      p.steps[step.id] = { ...stepProgress(p, step.id), solved: true };
    });
    if (!commandsOk) return { step, passed: false, results: [], commands, commandsOk };
    const outcome = await this.check(index, onResult);
    return { ...outcome, commands, commandsOk };
  }

  /** Runs the step's cleanup blocks so the cluster is as it was before the step. */
  async reset(index = this.progress.current, opts: CommandOptions = {}): Promise<CommandRecord[]> {
    const step = this.step(index);
    const records = await runBlocks(this.rt, step.cleanup, opts);
    this.begun.delete(index);
    await this.save((p) => {
      p.steps[step.id] = { status: 'pending', checks: 0, solved: false, hintsShown: 0 };
      p.current = index;
    });
    return records;
  }

  async goTo(index: number): Promise<Step> {
    const step = this.step(index);
    await this.save((p) => {
      p.current = index;
    });
    return step;
  }
}
