/**
 * Files the exported script carries: each written by the script itself as a quoted heredoc, so the
 * script stays one self-contained file; and which files of the lab collection a lab needs.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { collectionRoot } from '../../lab/locations.js';
import { scanShell } from '../../lab/shell-refs.js';
import type { Lab } from '../../model/lab.js';
import { sh, workFile } from './shell.js';

/** The script being written: its lines, and how many files it embeds (for unique heredoc delimiters). */
export interface ScriptText {
  out: string[];
  files: number;
}

/** Makes the script write `content` to $WORK/<path>, with nothing in it expanded; returns the word naming the file. */
export function embedFile(e: ScriptText, path: string, content: string): string {
  const word = workFile(path);
  let delim = `KINDLAB_FILE_${++e.files}`;
  while (content.split('\n').includes(delim)) delim += '_';
  e.out.push(`mkdir -p "$(dirname ${sh(word)})"`, `cat > ${sh(word)} <<'${delim}'`, content.replace(/\n$/, ''), delim);
  return word;
}

async function filesUnder(path: string): Promise<string[]> {
  const s = await stat(path);
  if (s.isFile()) return [path];
  if (!s.isDirectory()) return [];
  const out: string[] = [];
  for (const name of (await readdir(path)).sort()) out.push(...(await filesUnder(join(path, name))));
  return out;
}

/** Files from the lab collection the steps read: the manifests/<lab>/ folder and anything else they reference. */
export async function labFiles(lab: Lab, lastStep: number): Promise<string[]> {
  const root = collectionRoot(lab.dir);
  const found = new Set<string>();
  const add = async (abs: string) => {
    try {
      for (const f of await filesUnder(abs)) found.add(relative(root, f));
    } catch {
      // Referenced but absent: the step will fail the same way under kindlab; validate reports it.
    }
  };
  await add(join(root, 'manifests', lab.meta.id));
  for (const step of lab.steps.slice(0, lastStep + 1)) {
    for (const block of step.commands) {
      for (const ref of scanShell(block).files) {
        const base = ref.base === 'lab' ? lab.dir : ref.base === 'repo' ? root : join(root, ref.cwd);
        await add(join(base, ref.path));
      }
    }
  }
  return [...found].filter((f) => !f.startsWith('..')).sort();
}
