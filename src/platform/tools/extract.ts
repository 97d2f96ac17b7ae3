/**
 * Unpacks a release archive into the cache. Like downloads, the tree appears under its final name
 * only when complete: extraction goes to a temp directory that is renamed into place, so an
 * interrupted run never leaves a half-unpacked Istio release that looks usable.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { x as untar } from 'tar';
import { KindlabError, toMessage } from '../../core/errors.js';

export async function extractTarGz(archive: string, destDir: string): Promise<void> {
  await mkdir(dirname(destDir), { recursive: true });
  const tmp = `${destDir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(tmp, { recursive: true });
  try {
    // tar strips leading "/" and skips ".." entries by default (preservePaths: false), so a hostile
    // archive cannot write outside tmp. Not `strict`: harmless warnings (odd pax headers) would then
    // fail real releases; the caller checks that the executable it needs is there instead.
    await untar({ file: archive, cwd: tmp });
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw new KindlabError('environment', `cannot unpack ${archive}: ${toMessage(err)}`, {
      fix: `Delete ${dirname(archive)} and run the command again to download it afresh.`,
    });
  }
  try {
    await rename(tmp, destDir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    // Another process finished the same extraction first: its tree is as good as ours.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST' && code !== 'ENOTEMPTY' && code !== 'EPERM') throw err;
  }
}
