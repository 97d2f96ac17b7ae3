import { cp, mkdtemp, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listLabs, scanLabs } from '../../src/lab/catalog.js';

const fixture = resolve(import.meta.dirname, '../fixtures/labs/valid-minimal');

async function setup() {
  const root = await mkdtemp(join(tmpdir(), 'kl-index-'));
  const labs = join(root, 'labs');
  await cp(fixture, join(labs, 'valid-minimal'), { recursive: true });
  const env = { KINDLAB_LABS_PATH: labs, XDG_CACHE_HOME: join(root, 'cache'), HOME: root };
  return { root, labs, env, file: join(labs, 'valid-minimal', 'lab.md'), index: join(root, 'cache', 'kindlab', 'lab-index.json') };
}

describe('lab index cache', () => {
  it('a second listing is served from the index, and an edited lab.md is read again', async () => {
    const { env, file, index } = await setup();
    const first = await listLabs({ env, builtinDir: null });
    expect(first).toHaveLength(1);
    expect(JSON.parse(await readFile(index, 'utf8')).entries[file].value.title).toBe(first[0]?.title);

    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace(/^title: .*$/m, 'title: A renamed lab for the cache test'));
    const later = new Date(Date.now() + 5000);
    await utimes(file, later, later);
    const second = await listLabs({ env, builtinDir: null });
    expect(second[0]?.title).toBe('A renamed lab for the cache test');
  });

  it('a corrupt index is ignored and rewritten', async () => {
    const { env, index } = await setup();
    await listLabs({ env, builtinDir: null });
    await writeFile(index, '{ broken');
    const labs = await listLabs({ env, builtinDir: null });
    expect(labs).toHaveLength(1);
    expect(JSON.parse(await readFile(index, 'utf8')).format).toBe(2);
  });

  it('a cached good entry never hides a lab.md broken since, even with the same size and modification time', async () => {
    const { env, file } = await setup();
    // A whole second, which every file system stores exactly.
    const when = new Date('2026-06-01T12:00:00Z');
    await utimes(file, when, when);
    expect(await listLabs({ env, builtinDir: null })).toHaveLength(1);
    const text = await readFile(file, 'utf8');
    const broken = text.replace('requires:', 'requirez:');
    expect(broken).not.toBe(text);
    expect(broken.length).toBe(text.length);
    await writeFile(file, broken);
    // As `cp -p`, `touch -r` or an edit within the clock's resolution leave it.
    await utimes(file, when, when);
    expect((await stat(file)).mtimeMs).toBe(when.getTime());
    const scan = await scanLabs({ env, builtinDir: null });
    expect(scan.labs).toEqual([]);
    expect(scan.problems).toEqual([expect.objectContaining({ file: expect.stringMatching(/valid-minimal\/lab\.md$/), severity: 'error' })]);
  });
});
