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

  const valid = () => emptyProgress('demo', new Date('2026-01-01T00:00:00Z'));
  it.each([
    ['steps that are null', { ...valid(), steps: null }, 'steps: Invalid input: expected record, received null'],
    ['a step entry that is a string', { ...valid(), steps: { deploy: 'passed' } }, 'steps.deploy: Invalid input: expected object, received string'],
    ['a current step the lab does not have', { ...valid(), current: 99 }, 'it is at step 100, but the lab has 3 steps'],
    ['a negative step', { ...valid(), current: -1 }, 'current: Too small: expected number to be >=0'],
    ['the progress of another lab', { ...valid(), labId: 'other' }, 'it is the progress of lab "other", not of "demo"'],
    ['a captured variable that is not text', { ...valid(), vars: { LB_IP: 5 } }, 'vars.LB_IP: Invalid input: expected string, received number'],
  ])('refuses %s, naming the file and the fault, and keeps the file', async (_, data, why) => {
    const dir = await mkdtemp(join(tmpdir(), 'kl-progress-'));
    const store = new ProgressStore(dir, { labId: 'demo', steps: 3 });
    const text = JSON.stringify(data);
    await writeFile(store.file, text);
    const err = await store.load().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KindlabError);
    expect(err).toMatchObject({ kind: 'state', exitCode: 2, message: `the saved progress in ${store.file} is damaged and cannot be read: ${why}` });
    expect((err as KindlabError).fix).toContain('kindlab start demo --fresh');
    // update refuses it too, rather than writing over it.
    await expect(store.update('demo', (p) => void (p.current = 0))).rejects.toBeInstanceOf(KindlabError);
    expect(await readFile(store.file, 'utf8')).toBe(text);
  });

  it('two updaters at once (a session and `kindlab check` from another terminal) lose no update', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kl-progress-'));
    const session = new ProgressStore(dir, { labId: 'demo' });
    const otherTerminal = new ProgressStore(dir, { labId: 'demo' });
    const bump = (store: ProgressStore) => store.update('demo', (p) => void (p.vars.N = String(Number(p.vars.N ?? 0) + 1)));
    const run = async (store: ProgressStore) => {
      for (let i = 0; i < 15; i++) await bump(store);
    };
    await Promise.all([run(session), run(otherTerminal)]);
    expect((await session.load())?.vars.N).toBe('30');
    expect((await readdir(dir)).sort()).toEqual(['progress.json']);
  });
});
