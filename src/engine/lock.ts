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
