/**
 * One interactive session per lab at a time: a second `kindlab start` of the same lab would fight
 * the first over the clusters and the progress file. proper-lockfile keeps a lock directory that
 * it refreshes; a crashed session's lock goes stale and is taken over.
 *
 * proper-lockfile removes its locks on exit through signal-exit 3, but write-file-atomic's
 * signal-exit 4 takes its copy of `process.emit` when it loads (before proper-lockfile hooks in) and
 * installs it at its first write: from the first saved progress on, version 3's hook was gone and
 * the lock outlived the process, e.g. when Node ended a `start` whose prompt could never settle
 * ("unsettled top-level await", exit 13). So the lock is also removed here, synchronously, on the
 * process's own 'exit' event.
 */
import { rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { KindlabError } from '../core/errors.js';

export const SESSION_LOCK = 'session.lock';

export async function acquireSessionLock(dir: string, labId: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const lockPath = join(dir, SESSION_LOCK);
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(dir, { lockfilePath: lockPath, stale: 30_000, update: 10_000, realpath: false });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new KindlabError('state', `lab "${labId}" is already open in another kindlab session`, {
        fix: `Use that terminal, or run \`kindlab check\`, \`kindlab hint\` or \`kindlab status\` from here. If no session is running, wait 30 seconds for the stale lock to expire.`,
      });
    }
    throw err;
  }
  const onExit = () => rmSync(lockPath, { recursive: true, force: true });
  process.once('exit', onExit);
  return async () => {
    process.removeListener('exit', onExit);
    await release();
  };
}

/**
 * Runs `fn` holding a short lock on `file` (a `<file>.lock` directory beside it), so that a
 * read-change-write of the progress file from `kindlab check` in another terminal and the
 * session's own cannot interleave and lose one of the two changes. Waits up to ~10 s for the
 * other writer; a holder that crashed leaves a lock that goes stale after 10 s.
 */
export async function withFileLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(file, {
      lockfilePath: `${file}.lock`,
      realpath: false,
      stale: 10_000,
      retries: { retries: 200, minTimeout: 5, maxTimeout: 50, factor: 1.3 },
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new KindlabError('state', `${file} is being written by another kindlab process`, {
        fix: 'Run the command again in a moment; a lock left by a crashed process expires after 10 seconds.',
      });
    }
    throw err;
  }
  try {
    return await fn();
  } finally {
    await release();
  }
}
