/**
 * `kindlab show` in a pseudo-terminal: rendered Markdown (list items included), the title once, and
 * a pager only when the document is taller than the screen; plain Markdown in a pipe.
 */
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnInPty, type PtySession } from '../support/pty.js';
import { createProcessRunner } from '../../src/platform/exec.js';
import { pagerCommand, screenLines } from '../../src/cli/pager.js';
import { isolatedEnv } from '../cli/run-cli.js';

const repo = resolve(import.meta.dirname, '../..');
const bin = join(repo, 'bin/kindlab.js');

let pty: PtySession | undefined;
afterEach(() => {
  pty?.kill();
  pty = undefined;
});

/** A pager that says it ran and with which LESS, then shows its input. */
async function fakePager(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kl-pager-'));
  const file = join(dir, 'pager');
  await writeFile(file, '#!/bin/sh\necho "PAGER RAN with LESS=$LESS"\nexec cat\n');
  await chmod(file, 0o755);
  return file;
}

async function show(lab: string, rows: number, env: Record<string, string | undefined>) {
  pty = spawnInPty([process.execPath, bin, 'show', lab], { env: { ...env, TERM: 'xterm-256color' }, cwd: repo, rows });
  expect(await pty.exited()).toBe(0);
  return pty.text();
}

describe('kindlab show', () => {
  it('renders list items (no raw ** or backticks) and prints the title once', { timeout: 30_000 }, async () => {
    const env = { ...(await isolatedEnv()), PAGER: '' };
    const text = await show('istio-bookinfo', 50, env);
    // lab.md: "1. install Istio with the `demo` profile;"
    expect(text).toContain('install Istio with the demo profile;');
    expect(text).not.toMatch(/\*\*|`demo`/);
    expect(text.match(/Istio with the demo profile and Bookinfo/g)).toHaveLength(1);
  });

  it('pages a document taller than the screen through $PAGER with LESS=FRX, and not one that fits', { timeout: 30_000 }, async () => {
    const env = { ...(await isolatedEnv()), PAGER: await fakePager() };
    const tall = await show('canary-l4', 40, env);
    expect(tall).toContain('PAGER RAN with LESS=FRX');
    expect(tall).toContain('Layer-4 canary release');

    const fits = await show('canary-l4', 2000, env);
    expect(fits).not.toContain('PAGER RAN');
    expect(fits).toContain('Layer-4 canary release');

    const own = await show('canary-l4', 40, { ...env, LESS: '-S' });
    expect(own).toContain('PAGER RAN with LESS=-S');
  });

  it('in a pipe: no pager, plain Markdown', async () => {
    const env = { ...(await isolatedEnv()), PAGER: await fakePager() };
    const r = await createProcessRunner().run(process.execPath, [bin, 'show', 'canary-l4'], { env, cwd: repo });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toContain('PAGER RAN');
    expect(r.stdout).toMatch(/^# Layer-4 canary release/);
    // eslint-disable-next-line no-control-regex
    expect(r.stdout).not.toMatch(/\u001b\[/);
  });

  it('picks the pager as git does, and counts the lines the terminal wraps', () => {
    expect(pagerCommand({})).toBe('less -R');
    expect(pagerCommand({ PAGER: 'most' })).toBe('most');
    expect(pagerCommand({ PAGER: '' })).toBeUndefined();
    expect(pagerCommand({ PAGER: 'cat' })).toBeUndefined();
    expect(screenLines('a\n' + 'x'.repeat(250) + '\n', 100)).toBe(4);
    expect(screenLines('\u001b[1mbold\u001b[0m\n', 4)).toBe(1);
  });
});
