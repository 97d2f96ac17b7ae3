/**
 * Where the package's own files are. Resolved from this module's URL, which is two levels below
 * the package root both in src/lab/ (tests, tsx) and in dist/lab/ (the published build).
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The labs shipped with kindlab. */
export const builtinLabsDir = fileURLToPath(new URL('../../labs', import.meta.url));

/**
 * The folder commands of a lab run in, and $REPO_DIR: the one holding labs/<id>/ (and the shared
 * manifests/), two levels above the lab's folder. For shipped labs it is the package root.
 */
export function collectionRoot(labDir: string): string {
  return dirname(dirname(labDir));
}
