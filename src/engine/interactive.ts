/**
 * The interactive walk through a lab (`kindlab start`). Prompts come from the injected Prompter,
 * output goes through the injected UI, so a pseudo-terminal test can drive the real thing.
 */
import type { CheckResult } from '../checks/types.js';
import type { Prompter } from '../core/seams.js';
import type { Step } from '../model/lab.js';
import { stepProgress } from './progress.js';
import type { LabSession } from './session.js';
import type { CommandRecord } from './steps.js';

export interface SessionUI {
  showStep(step: Step, total: number): void | Promise<void>;
  showCommand(script: string): void;
  showOutput(chunk: string, stream: 'stdout' | 'stderr'): void;
  showCommandFailure(record: CommandRecord): void;
  showResult(result: CheckResult): void;
  info(message: string): void;
  success(message: string): void;
}

type Action = 'check' | 'solve' | 'hint' | 'next' | 'back' | 'reset' | 'quit';

export interface InteractiveOutcome {
  finished: boolean;
}

export interface InteractiveOptions {
  /** Cap on each checkpoint's wait when the learner asks for a check (default 10 s). */
  quickCheckMs?: number;
}

export async function runInteractive(session: LabSession, prompter: Prompter, ui: SessionUI, opts: InteractiveOptions = {}): Promise<InteractiveOutcome> {
  const quickMs = opts.quickCheckMs ?? 10_000;
  const total = session.lab.steps.length;
  let shownIndex = -1;
  let lastFailures: CheckResult[] = [];
  const commandOpts = {
    onStart: (b: { code: string }) => ui.showCommand(b.code),
    onOutput: (chunk: string, stream: 'stdout' | 'stderr') => ui.showOutput(chunk, stream),
  };

  for (;;) {
    await session.reload();
    const index = session.progress.current;
    const step = session.step(index);
    if (index !== shownIndex) {
      await ui.showStep(step, total);
      shownIndex = index;
      lastFailures = [];
      await session.begin(index);
    }
    const status = stepProgress(session.progress, step.id).status;
    const isLast = index === total - 1;
    const choices: Array<{ value: Action; name: string; description?: string }> = [
      { value: 'check', name: 'Check my work', description: 'Verify the checkpoints of this step against the cluster' },
      { value: 'hint', name: 'Show a hint' },
      { value: 'solve', name: 'Run the commands for me', description: "Run this step's solution, showing each command and its output" },
      ...(status === 'passed' && !isLast ? [{ value: 'next' as const, name: 'Next step' }] : []),
      ...(status !== 'passed' && !isLast ? [{ value: 'next' as const, name: 'Skip to the next step' }] : []),
      ...(index > 0 ? [{ value: 'back' as const, name: 'Previous step' }] : []),
      ...(step.cleanup.length ? [{ value: 'reset' as const, name: 'Reset this step', description: "Undo this step's changes" }] : []),
      { value: 'quit', name: 'Quit (progress is saved)' },
    ];
    const action = await prompter.select(`Step ${index + 1}/${total}: ${step.title}`, choices, status === 'passed' && !isLast ? 'next' : 'check');

    switch (action) {
      case 'check': {
        const outcome = await session.check(index, (r) => ui.showResult(r), quickMs);
        lastFailures = outcome.results.filter((r) => r.status !== 'pass');
        if (outcome.passed) {
          if (await finishStep(session, index, ui)) return { finished: true };
        } else {
          ui.info('Not there yet. Choose "Show a hint" for help, or fix it and check again.');
        }
        break;
      }
      case 'solve': {
        const outcome = await session.solve(index, commandOpts, (r) => ui.showResult(r));
        if (!outcome.commandsOk) {
          const bad = outcome.commands[outcome.commands.length - 1];
          if (bad) ui.showCommandFailure(bad);
        } else if (outcome.passed) {
          if (await finishStep(session, index, ui)) return { finished: true };
        } else {
          lastFailures = outcome.results.filter((r) => r.status !== 'pass');
          ui.info('The solution ran but a checkpoint still fails: look at the cluster state above.');
        }
        break;
      }
      case 'hint': {
        const h = await session.hint(index, lastFailures);
        if (h.hint) ui.info(`Hint ${h.shown}/${h.total}: ${h.hint}`);
        else ui.info(h.total ? 'No more hints for this step. "Run the commands for me" shows the solution.' : 'This step has no hints.');
        break;
      }
      case 'next':
        await session.goTo(index + 1);
        break;
      case 'back':
        await session.goTo(index - 1);
        break;
      case 'reset': {
        // On a cluster the user named with --context, undoing changes needs an explicit yes.
        const ctx = session.progress.context;
        if (ctx && !(await prompter.confirm(`Run the cleanup of step ${index + 1} on your context "${ctx}"?`, false))) break;
        const records = await session.reset(index, commandOpts);
        const bad = records.find((r) => r.exitCode !== 0);
        if (bad) ui.showCommandFailure(bad);
        else ui.info('Step reset.');
        shownIndex = -1;
        break;
      }
      case 'quit':
        ui.info(`Progress saved. Run \`kindlab start ${session.lab.meta.id}\` to continue where you left off.`);
        return { finished: false };
    }
  }
}

/** After a step passes: congratulate and advance; true when the whole lab is done. */
async function finishStep(session: LabSession, index: number, ui: SessionUI): Promise<boolean> {
  ui.success(`Step ${index + 1} passed.`);
  if (index + 1 < session.lab.steps.length) {
    await session.goTo(index + 1);
    return false;
  }
  if (session.finished) {
    ui.success(`You finished "${session.lab.meta.title}".`);
    return true;
  }
  const firstOpen = session.lab.steps.findIndex((s) => stepProgress(session.progress, s.id).status !== 'passed');
  ui.info(`Last step passed, but step ${firstOpen + 1} has not passed yet.`);
  await session.goTo(firstOpen);
  return false;
}
