/**
 * The pins against the real internet: every image digest and tag and every download URL the labs
 * and the platform use must still resolve as pinned (`kindlab doctor --upstream`). Opt-in with the
 * rest of the end-to-end suite (KINDLAB_E2E=1); run on its own with `npm run drift`.
 */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '../..');
const enabled = process.env.KINDLAB_E2E === '1';

describe.skipIf(!enabled)('pins upstream', () => {
  it('every pinned image and URL resolves as pinned', async () => {
    const r = await run(process.execPath, [join(repo, 'bin/kindlab.js'), 'doctor', '--upstream', '--json'], { cwd: repo, maxBuffer: 16 * 1024 * 1024, timeout: 10 * 60_000 }).catch(
      (err: { code?: number; stdout?: string; stderr?: string }) => ({ stdout: err.stdout ?? '', stderr: err.stderr ?? String(err), code: err.code }),
    );
    const doc = JSON.parse(r.stdout || '{}') as { exitCode?: number; drift?: Array<{ target: string; detail: string }>; unchecked?: Array<{ target: string; detail: string }> };
    const lines = [...(doc.drift ?? []), ...(doc.unchecked ?? [])].map((d) => `${d.target}: ${d.detail}`);
    expect(doc.exitCode, `${lines.join('\n')}\n${r.stderr.slice(-2000)}`).toBe(0);
  });
});
