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
