/**
 * One interactive session per lab at a time: a second `kindlab start` of the same lab would fight
 * the first over the clusters and the progress file. proper-lockfile keeps a lock directory that
 * it refreshes; a crashed session's lock goes stale and is taken over.
 */
import { mkdir } from 'node:fs/promises';
import lockfile from 'proper-lockfile';
import { KindlabError } from '../core/errors.js';

export async function acquireSessionLock(dir: string, labId: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  try {
    return await lockfile.lock(dir, { lockfilePath: `${dir}/session.lock`, stale: 30_000, update: 10_000, realpath: false });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new KindlabError('state', `lab "${labId}" is already open in another kindlab session`, {
        fix: `Use that terminal, or run \`kindlab check\`, \`kindlab hint\` or \`kindlab status\` from here. If no session is running, wait 30 seconds for the stale lock to expire.`,
      });
    }
    throw err;
  }
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
