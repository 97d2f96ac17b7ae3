import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyProgress, ProgressStore } from '../../src/engine/progress.js';
import { LabSession } from '../../src/engine/session.js';
import { commandCheck, engineDeps, makeLab, makeStep, provisioned } from './helpers.js';

async function setup(steps = 2) {
  const dir = await mkdtemp(join(tmpdir(), 'kl-session-'));
  const marker = join(dir, 'marker');
  const lab = makeLab(dir, [
    makeStep(1, {
      commands: [{ code: `touch ${marker}`, line: 3 }],
      cleanup: [{ code: `rm -f ${marker}`, line: 6 }],
      checks: [{ ...commandCheck(`test -f ${marker}`), options: { consecutive: 1, hint: 'look for the marker file' } }],
      hints: ['create the marker', 'use touch'],
    }),
    ...Array.from({ length: steps - 1 }, (_, i) => makeStep(i + 2, { checks: [commandCheck('true')] })),
  ]);
  const store = new ProgressStore(join(dir, 'state'));
  const session = new LabSession({ lab, env: provisioned(), vars: {}, deps: engineDeps() }, store, emptyProgress('demo', new Date()));
  return { dir, marker, store, session };
}

describe('LabSession', () => {
  it('check fails before the work is done, passes after solve, and saves both outcomes', async () => {
    const { store, session } = await setup();
    const first = await session.check();
    expect(first.passed).toBe(false);
    expect((await store.load())?.steps['step-1']?.status).toBe('failed');
    const solved = await session.solve();
    expect(solved.commandsOk).toBe(true);
    expect(solved.passed).toBe(true);
    const saved = await store.load();
    expect(saved?.steps['step-1']).toMatchObject({ status: 'passed', solved: true, checks: 2 });
  });

  it('reveals hints one at a time, then the failed checkpoint hint, then says there are no more', async () => {
    const { session } = await setup();
    const failed = (await session.check()).results;
    expect((await session.hint(0, failed)).hint).toBe('create the marker');
    expect((await session.hint(0, failed)).hint).toBe('use touch');
    const third = await session.hint(0, failed);
    expect(third).toMatchObject({ hint: 'look for the marker file', shown: 3, total: 3 });
    expect((await session.hint(0, failed)).hint).toBeUndefined();
  });

  it('reset runs the cleanup so the check fails again, and makes the step current', async () => {
    const { session, marker } = await setup();
    await session.solve();
    await session.goTo(1);
    await session.reset(0);
    await expect(readFile(marker)).rejects.toThrow();
    expect(session.progress.current).toBe(0);
    expect(session.progress.steps['step-1']?.status).toBe('pending');
    expect((await session.check()).passed).toBe(false);
  });

  it('a new session on the same store resumes at the saved step with captured variables', async () => {
    const { store, session } = await setup(3);
    session.rt.vars.LB_IP = '172.18.0.9';
    await session.goTo(2);
    const again = new LabSession({ lab: session.lab, env: provisioned(), vars: {}, deps: engineDeps() }, store, (await store.load())!);
    expect(again.progress.current).toBe(2);
    expect(again.rt.vars.LB_IP).toBe('172.18.0.9');
  });
});
