import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Choice, Prompter } from '../../src/core/seams.js';
import { runInteractive, type SessionUI } from '../../src/engine/interactive.js';
import { emptyProgress, ProgressStore } from '../../src/engine/progress.js';
import { LabSession } from '../../src/engine/session.js';
import { commandCheck, engineDeps, makeLab, makeStep, provisioned } from './helpers.js';

/** A prompter that answers from a script and records what it was asked. */
function scripted(answers: string[], confirms: boolean[] = []): Prompter & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async select<T extends string>(message: string, choices: Choice<T>[]) {
      asked.push(message);
      const a = answers.shift();
      if (!a) throw new Error(`no scripted answer for "${message}"`);
      if (!choices.some((c) => c.value === a)) throw new Error(`"${a}" is not offered at "${message}": ${choices.map((c) => c.value).join(', ')}`);
      return a as T;
    },
    async confirm(message) {
      asked.push(message);
      return confirms.shift() ?? false;
    },
  };
}

function recordingUI(): SessionUI & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    showStep: (s) => void lines.push(`step ${s.index}`),
    showCommand: (c) => void lines.push(`$ ${c}`),
    showOutput: () => undefined,
    showCommandFailure: (r) => void lines.push(`failed ${r.exitCode}`),
    showResult: (r) => void lines.push(`${r.status} ${r.title}`),
    info: (m) => void lines.push(m),
    success: (m) => void lines.push(m),
  };
}

async function setup(context?: string) {
  const dir = await mkdtemp(join(tmpdir(), 'kl-interactive-'));
  const marker = join(dir, 'marker');
  const lab = makeLab(dir, [
    makeStep(1, { commands: [{ code: `touch ${marker}`, line: 3 }], cleanup: [{ code: `rm -f ${marker}`, line: 6 }], checks: [commandCheck(`test -f ${marker}`)], hints: ['touch it'] }),
    makeStep(2, { checks: [commandCheck('true')] }),
  ]);
  const progress = emptyProgress('demo', new Date());
  if (context) progress.context = context;
  // As `kindlab start` does: the progress (with the --context it was started with) is saved first.
  const store = new ProgressStore(join(dir, 'state'));
  await store.save(progress);
  const session = new LabSession({ lab, env: provisioned(), vars: {}, deps: engineDeps() }, store, progress);
  return { session, marker };
}

describe('runInteractive', () => {
  it('walks check → hint → solve → next step → check → finished', async () => {
    const { session } = await setup();
    const ui = recordingUI();
    const outcome = await runInteractive(session, scripted(['check', 'hint', 'solve', 'check']), ui);
    expect(outcome.finished).toBe(true);
    expect(ui.lines).toEqual(
      expect.arrayContaining(['step 1', 'Hint 1/1: touch it', 'Step 1 passed.', 'step 2', 'Step 2 passed.', 'You finished "Demo lab".']),
    );
    expect(ui.lines.indexOf('Hint 1/1: touch it')).toBeLessThan(ui.lines.indexOf('Step 1 passed.'));
  });

  it('on a --context cluster, reset asks first and does nothing when the answer is no', async () => {
    const { session, marker } = await setup('my-own-cluster');
    const prompter = scripted(['solve', 'back', 'reset', 'quit'], [false]);
    await runInteractive(session, prompter, recordingUI());
    expect(prompter.asked.some((m) => m.includes('on your context "my-own-cluster"')), prompter.asked.join("\n")).toBe(true);
    expect(await readFile(marker, 'utf8')).toBe(''); // the cleanup (rm) did not run
  });
});
