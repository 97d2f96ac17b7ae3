/** Fake executables for PATH detection tests. */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A shell script that answers its version command like the real tool (builtins only: PATH may hold just the fakes). */
export function fakeTool(versionOutput: string): string {
  const quoted = `'${versionOutput.replace(/'/g, `'\\''`)}'`;
  return `#!/bin/sh\ncase "$*" in *version*) printf '%s\\n' ${quoted};; *) echo "fake: $*";; esac\n`;
}

export async function writeExe(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  await chmod(path, 0o755);
}
