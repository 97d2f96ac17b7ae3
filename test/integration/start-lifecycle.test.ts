/**
 * Every way `kindlab start` can end leaves no session lock behind, and without a terminal it does
 * not start at all. The session runs on a sim cluster named with --context, so no cluster has to
 * be created first.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createProcessRunner } from '../../src/platform/exec.js';
import { createSimHarness, type SimHarness } from '../sim/harness.js';
import { spawnInPty, type PtySession } from '../support/pty.js';

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

async function setup() {
  h = await createSimHarness();
  const env: Record<string, string> = { ...h.env, KINDLAB_LABS_PATH: fixtures, KUBECONFIG: await h.kubeconfig('default') };
  const lock = join(env.XDG_STATE_HOME as string, 'kindlab/labs/sample-nginx/session.lock');
  return { env, lock };
}

/** The kindlab process inside the pty: `script` execs it through the shell, so it is script's child. */
async function kindlabPid(session: PtySession): Promise<number> {
  const { stdout } = await promisify(execFile)('pgrep', ['-P', String(session.pid), '-f', 'kindlab.js']);
  return Number(stdout.trim().split('\n')[0]);
}

async function gone(path: string, ms = 5000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!existsSync(path)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !existsSync(path);
}

describe('kindlab start lifecycle', () => {
  it('without a terminal it says so, points to `run --yes`, exits 2, and creates nothing', async () => {
    const { env, lock } = await setup();
    const r = await createProcessRunner().run(process.execPath, [bin, 'start', 'sample-nginx', '--skip-doctor'], { env, cwd: h!.dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('needs a terminal');
    expect(r.stderr).toContain('kindlab run sample-nginx --yes');
    expect(r.stderr).not.toContain('unsettled');
    expect(existsSync(lock)).toBe(false);
    expect(existsSync(join(lock, '..'))).toBe(false);
    expect(h!.calls('kind')).toEqual([]);
  });

  it('SIGTERM and SIGHUP (terminal closed) end the session without leaving its lock', { timeout: 60_000 }, async () => {
    const { env, lock } = await setup();
    const args = [process.execPath, bin, 'start', 'sample-nginx', '--context', 'kind-default'];

    pty = spawnInPty(args, { env, cwd: h!.dir });
    await pty.waitFor(/Check my work/, { timeoutMs: 30_000 });
    expect(existsSync(lock)).toBe(true);
    process.kill(await kindlabPid(pty), 'SIGTERM');
    expect(await pty.exited()).toBe(143);
    expect(pty.text()).toMatch(/Stopped \(SIGTERM\)\. Your progress is saved/);
    expect(await gone(lock)).toBe(true);

    // The next start is not refused as "already open", and closing its terminal (SIGHUP) cleans up too.
    pty = spawnInPty(args, { env, cwd: h!.dir });
    await pty.waitFor(/Check my work/, { timeoutMs: 30_000 });
    expect(pty.text()).not.toContain('already open');
    pty.kill();
    expect(await gone(lock)).toBe(true);
  });
});
