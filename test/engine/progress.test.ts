import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KindlabError } from '../../src/core/errors.js';
import { emptyProgress, ProgressStore } from '../../src/engine/progress.js';

describe('ProgressStore', () => {
  it('returns undefined for a lab never started, then round-trips saved progress', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kl-progress-'));
    const store = new ProgressStore(dir);
    expect(await store.load()).toBeUndefined();
    const p = emptyProgress('demo', new Date('2026-01-01T00:00:00Z'));
    p.current = 2;
    p.vars.LB_IP = '172.18.0.5';
    await store.save(p);
    const back = await store.load();
    expect(back?.current).toBe(2);
    expect(back?.vars).toEqual({ LB_IP: '172.18.0.5' });
  });

  it('refuses a damaged file with a fix, and --fresh keeps the damaged file aside instead of deleting it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kl-progress-'));
    const store = new ProgressStore(dir);
    await writeFile(store.file, '{"version":1,"labId":"demo","curr');
    const err = await store.load().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KindlabError);
    expect((err as KindlabError).message).toMatch(/damaged/);
    expect((err as KindlabError).fix).toMatch(/--fresh/);
    const aside = await store.setAside('previous');
    expect(aside).toBeDefined();
    expect(await readFile(aside as string, 'utf8')).toContain('"curr');
    expect(await store.load()).toBeUndefined();
  });

  it('writes atomically: no temp files are left and concurrent updates do not corrupt the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kl-progress-'));
    const store = new ProgressStore(dir);
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.update('demo', (p) => void (p.vars[`V${i}`] = String(i)))));
    const p = await store.load();
    expect(p?.labId).toBe('demo');
    expect((await readdir(dir)).filter((f) => f !== 'progress.json')).toEqual([]);
  });
});
