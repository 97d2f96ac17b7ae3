/**
 * shellcheck over a lab's ```sh blocks. Each block is written to a file with the header kindlab
 * runs it with (bash, `set -euo pipefail`), all files go to one shellcheck run, and findings are
 * mapped back to lab.md lines.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProcessRunner } from '../core/seams.js';
import type { CodeBlock } from '../model/lab.js';

export const scriptHeader = '#!/usr/bin/env bash\nset -euo pipefail\n';
const headerLines = 2;

export interface ShellFinding {
  /** Index of the block in the list given to shellcheckBlocks. */
  block: number;
  /** Line in lab.md. */
  line: number;
  message: string;
  severity: 'error' | 'warning';
}

interface Comment {
  file: string;
  line: number;
  level: 'error' | 'warning' | 'info' | 'style';
  code: number;
  message: string;
}

export type ShellcheckResult = { ok: true; findings: ShellFinding[] } | { ok: false; reason: 'missing' | 'failed'; detail: string };

/**
 * Checks the blocks with a few shellcheck processes side by side: its analysis costs a few
 * milliseconds per block, and a dozen labs hold well over a hundred blocks.
 */
export async function shellcheckBlocks(blocks: readonly CodeBlock[], runner: ProcessRunner): Promise<ShellcheckResult> {
  if (blocks.length === 0) return { ok: true, findings: [] };
  const dir = await mkdtemp(join(tmpdir(), 'kindlab-shellcheck-'));
  try {
    const names = blocks.map((_, i) => `block${i}.sh`);
    await Promise.all(blocks.map((b, i) => writeFile(join(dir, names[i] as string), scriptHeader + b.code + '\n')));
    const parallel = Math.max(1, Math.min(availableParallelism(), Math.ceil(names.length / 8)));
    const chunks = Array.from({ length: parallel }, (_, k) => names.filter((_, i) => i % parallel === k));
    const results = await Promise.all(chunks.map((chunk) => runner.run('shellcheck', ['--format=json', '--shell=bash', ...chunk], { cwd: dir })));
    const comments: Comment[] = [];
    for (const result of results) {
      // 0: clean, 1: findings; anything else is shellcheck itself failing (127: not installed).
      if (result.exitCode === 127 || (/command not found|ENOENT/i.test(result.stderr) && result.stdout.trim() === '')) {
        return { ok: false, reason: 'missing', detail: result.stderr.trim() };
      }
      try {
        comments.push(...(JSON.parse(result.stdout) as Comment[]));
      } catch {
        return { ok: false, reason: 'failed', detail: (result.stderr || result.stdout).trim().split('\n')[0] ?? '' };
      }
    }
    const findings = comments.map((c) => {
      const index = names.indexOf(c.file);
      const fence = blocks[index]?.line ?? 1;
      return {
        block: index,
        // Block line 1 is file line headerLines + 1, and sits one line below the fence.
        line: c.line > headerLines ? fence + c.line - headerLines : fence,
        message: `shellcheck SC${c.code}: ${c.message}`,
        severity: c.level === 'error' || c.level === 'warning' ? ('error' as const) : ('warning' as const),
      };
    });
    return { ok: true, findings };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
