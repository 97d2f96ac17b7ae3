/**
 * `kindlab start` in a pseudo-terminal, driven like a learner at the keyboard: check (fails) →
 * hint → "run the commands for me" (passes) → quit → start again (resumes at step 2).
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isSamplerCommand, simulateSamplerScript } from '../checks/sampler-sim.js';
import { createSimHarness, type SimHarness } from '../sim/harness.js';
import { keys, spawnInPty, type PtySession } from '../support/pty.js';
import { createProcessRunner } from '../../src/platform/exec.js';

const repo = resolve(import.meta.dirname, '../..');
const bin = join(repo, 'bin/kindlab.js');
const fixtures = join(repo, 'test/fixtures/labs');

let h: SimHarness | undefined;
let pty: PtySession | undefined;
afterEach(async () => {
  pty?.kill();
  await h?.cleanup();
  h = pty = undefined;
});

/** Moves the menu cursor from the default entry (check) down n entries, then presses enter. */
async function choose(session: PtySession, downs: number) {
  for (let i = 0; i < downs; i++) {
    session.write(keys.down);
    await new Promise((r) => setTimeout(r, 60));
  }
  session.write(keys.enter);
}

/** The menu wraps around, so one step up from the default entry is the last one: Quit. */
async function quit(session: PtySession) {
  session.write(keys.up);
  await new Promise((r) => setTimeout(r, 60));
  session.write(keys.enter);
}

describe('kindlab start (pseudo-terminal)', () => {
  it('check fails, a hint helps, solve passes, and a second start resumes at the next step', { timeout: 120_000 }, async () => {
    h = await createSimHarness();
    h.sim.onExec = ({ command }) =>
      isSamplerCommand(command) ? simulateSamplerScript(command, () => ({ status: 200, body: 'Welcome to nginx!' })) : { stdout: '', stderr: 'unexpected', exitCode: 1 };
    const env: Record<string, string | undefined> = { ...h.env, KINDLAB_LABS_PATH: fixtures };
    const args = [process.execPath, bin, 'start', 'sample-nginx', '--skip-doctor', '--check-timeout', '2s'];

    pty = spawnInPty(args, { env, cwd: h.dir });
    let at = await pty.waitFor(/Step 1\/3: Deploy nginx/, { timeoutMs: 60_000 });
    // On a terminal the lab comes up in one live line (phase, elapsed time, what it waits for);
    // each finished phase stays as one line with its duration, and is announced once.
    expect(pty.text()).toMatch(/Creating cluster kindlab-sample-nginx \(\d+(\.\d)?m?s\) · waiting for nodes of kindlab-sample-nginx to be Ready/);
    expect(pty.text()).toMatch(/• Creating cluster kindlab-sample-nginx \(\d+(\.\d)?m?s\)\n/);
    expect(pty.text().match(/• Preparing tools/g)).toHaveLength(1);
    at = await pty.waitFor(/Check my work/, { since: at });

    // 1. Check before doing anything: the rollout checkpoint fails and says what it expected.
    pty.write(keys.enter);
    at = await pty.waitFor(/✗ deployment default\/nginx/, { since: at });
    at = await pty.waitFor(/expected: .*\n\s+found: /, { since: at });
    at = await pty.waitFor(/Not there yet/, { since: at });

    // 2. A hint (second entry of the menu).
    await pty.waitFor(/Check my work/, { since: at });
    await choose(pty, 1);
    at = await pty.waitFor(/Hint 1\/\d: Pods stuck in ContainerCreating/, { since: at });

    // 3. Let kindlab run the solution (third entry): the commands are shown, then the checks pass.
    await pty.waitFor(/Check my work/, { since: at });
    await choose(pty, 2);
    at = await pty.waitFor(/\$ kubectl apply -f "\$LAB_DIR\/manifests\/nginx.yaml"/, { since: at });
    at = await pty.waitFor(/✓ deployment default\/nginx rolled out/, { since: at, timeoutMs: 60_000 });
    at = await pty.waitFor(/Step 1 passed\./, { since: at });
    at = await pty.waitFor(/Step 2\/3: Scale it out/, { since: at });

    // 4. Quit from the menu (last entry); progress is saved.
    await pty.waitFor(/Quit \(progress is saved\)/, { since: at });
    await quit(pty);
    await pty.waitFor(/Progress saved/, { since: at });
    expect(await pty.exited()).toBe(0);

    const progress = JSON.parse(await readFile(join(env.XDG_STATE_HOME as string, 'kindlab/labs/sample-nginx/progress.json'), 'utf8'));
    expect(progress.current).toBe(1);
    expect(progress.steps.deploy).toMatchObject({ status: 'passed', solved: true, hintsShown: 1 });

    // 5. Start again: no new cluster, straight back to step 2.
    pty = spawnInPty(args, { env, cwd: h.dir });
    at = await pty.waitFor(/Resuming sample-nginx at step 2 of 3/, { timeoutMs: 60_000 });
    at = await pty.waitFor(/Step 2\/3: Scale it out/, { since: at });

    // 6. While that session runs, a second `start` of the same lab is refused; `status` works.
    const second = spawnInPty([process.execPath, bin, 'start', 'sample-nginx', '--skip-doctor'], { env, cwd: h.dir });
    expect(await second.exited()).toBe(2);
    expect(second.text()).toContain('already open in another kindlab session');
    const status = await createProcessRunner().run(process.execPath, [bin, 'status', '--no-color'], { env, cwd: h.dir });
    expect(status.stdout).toMatch(/✓\s+1\. Deploy nginx/);
    expect(status.stdout).toMatch(/2\. Scale it out ← current/);

    await pty.waitFor(/Quit \(progress is saved\)/, { since: at });
    await quit(pty);
    await pty.waitFor(/Progress saved/, { since: at });
    expect(await pty.exited()).toBe(0);
    expect(h.calls('kind').filter((c) => c.argv[0] === 'create')).toHaveLength(1);
  });
});
