/**
 * The session lock never outlives its process. The child below does what `kindlab start` does:
 * loads write-file-atomic, takes the lock, saves progress with write-file-atomic (whose signal-exit 4
 * hook then replaces proper-lockfile's signal-exit 3 hook), and ends the way Node ends a prompt
 * that can never be answered: an unsettled top-level await (exit 13).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { acquireSessionLock, SESSION_LOCK } from '../../src/engine/lock.js';

const repo = resolve(import.meta.dirname, '../..');

function runModule(code: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (c) => done({ code: c, stderr }));
  });
}

describe('session lock', () => {
  it('is removed when the process ends on an unsettled top-level await', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kl-lock-'));
    const lock = pathToFileURL(join(repo, 'dist/engine/lock.js')).href;
    const r = await runModule(`
      const { default: writeFileAtomic } = await import('write-file-atomic');
      const { acquireSessionLock } = await import(${JSON.stringify(lock)});
      await acquireSessionLock(${JSON.stringify(dir)}, 'demo');
      await writeFileAtomic(${JSON.stringify(join(dir, 'progress.json'))}, '{}');
      await new Promise(() => {});
    `);
    expect(r.stderr).toContain('unsettled top-level await');
    expect(r.code).toBe(13);
    expect(existsSync(join(dir, SESSION_LOCK))).toBe(false);
  });

  it('a second acquire is refused while the first holds it, and works after release', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kl-lock-'));
    const exitListeners = process.listenerCount('exit');
    const release = await acquireSessionLock(dir, 'demo');
    await expect(acquireSessionLock(dir, 'demo')).rejects.toThrow('already open in another kindlab session');
    await release();
    // Released sessions leave no exit hook behind (a long test run would otherwise pile them up).
    expect(process.listenerCount('exit')).toBe(exitListeners);
    const again = await acquireSessionLock(dir, 'demo');
    await again();
    expect(existsSync(join(dir, SESSION_LOCK))).toBe(false);
  });
});
