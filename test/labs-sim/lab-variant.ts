/**
 * A copy of a lab (labs/<id> and manifests/<id>) under `dir` with text replaced: `edits` maps a
 * path relative to the repository (labs/<id>/lab.md, manifests/<id>/x.yaml) to [from, to] pairs;
 * each `from` must occur, so a changed lab fails the test loudly instead of silently testing
 * nothing. Returns the folder for KINDLAB_LABS_PATH.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '../..');

export type LabEdits = Record<string, Array<[string, string]>>;

export async function writeLabVariant(dir: string, id: string, edits: LabEdits): Promise<string> {
  const root = join(dir, 'variant');
  await cp(join(repo, 'labs', id), join(root, 'labs', id), { recursive: true });
  await cp(join(repo, 'manifests', id), join(root, 'manifests', id), { recursive: true }).catch(() => undefined);
  for (const [file, pairs] of Object.entries(edits)) {
    let text = await readFile(join(root, file), 'utf8');
    for (const [from, to] of pairs) {
      if (!text.includes(from)) throw new Error(`labVariant: ${file} no longer contains ${JSON.stringify(from)}`);
      text = text.replace(from, to);
    }
    await writeFile(join(root, file), text);
  }
  return join(root, 'labs');
}
