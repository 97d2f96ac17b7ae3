import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KindlabError, LabFormatError } from '../../src/core/errors.js';
import { findLab, listLabs, scanLabs, searchDirs } from '../../src/lab/catalog.js';
import { builtinLabsDir } from '../../src/lab/locations.js';

const fixtures = resolve('test/fixtures/labs');
const only = (...dirs: string[]) => ({ env: { KINDLAB_LABS_PATH: dirs.join(':') }, builtinDir: null });
const temp = mkdtempSync(join(tmpdir(), 'kindlab-catalog-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('listLabs', () => {
  it('returns the metadata of every lab in a directory, sorted by id', async () => {
    const labs = await listLabs(only(fixtures));
    const sample = labs.find((l) => l.id === 'sample-nginx');
    expect(sample).toEqual({
      id: 'sample-nginx',
      title: 'Sample - nginx on a one-worker cluster',
      summary: 'Deploy nginx from a manifest, scale it out, and expose it through a LoadBalancer Service.',
      duration: '10m',
      difficulty: 'beginner',
      requires: { memoryGiB: 2, cpus: 2 },
      tags: ['kubernetes', 'fixture'],
      clusters: 1,
      nodes: 2,
      dir: join(fixtures, 'sample-nginx'),
      origin: 'path',
    });
    expect(labs.find((l) => l.id === 'valid-full')).toMatchObject({ clusters: 2, nodes: 5, difficulty: 'advanced', duration: '1h30m' });
    expect(labs.find((l) => l.id === 'valid-minimal')).toMatchObject({ clusters: 1, nodes: 1, difficulty: 'intermediate', tags: [] });
    const ids = labs.map((l) => l.id);
    expect(ids).toEqual([...ids].sort());
    // Listing reads front matter only: a broken body does not hide a lab.
    expect(ids).toContain('invalid-check-field');
  });

  it('reports labs whose front matter cannot be listed, instead of failing', async () => {
    const { labs, problems } = await scanLabs(only(fixtures));
    expect(labs.map((l) => l.id)).not.toContain('invalid-no-frontmatter');
    expect(problems.map((p) => [p.file, p.line, p.message.slice(0, 30)])).toEqual([
      ['test/fixtures/labs/invalid-frontmatter-schema/lab.md', 2, 'front matter is incomplete or '],
      ['test/fixtures/labs/invalid-frontmatter-yaml/lab.md', 2, 'front matter: invalid YAML (Mi'],
      ['test/fixtures/labs/invalid-no-frontmatter/lab.md', 1, 'missing front matter: lab.md m'],
    ]);
  });

  it('lets KINDLAB_LABS_PATH entries replace shipped labs, and accepts a lab folder as an entry', async () => {
    const copy = join(temp, 'valid-minimal');
    cpSync(join(fixtures, 'valid-minimal'), copy, { recursive: true });
    writeFileSync(join(copy, 'lab.md'), readFileSync(join(copy, 'lab.md'), 'utf8').replace('title: Minimal lab', 'title: My own copy'));
    const { labs, problems, notes } = await scanLabs({ env: { KINDLAB_LABS_PATH: `${copy}:${join(temp, 'missing')}` }, builtinDir: fixtures });
    const minimal = labs.filter((l) => l.id === 'valid-minimal');
    expect(minimal).toMatchObject([{ title: 'My own copy', origin: 'path', dir: copy }]);
    // Replacing a shipped lab is what the path is for: a note, not a problem.
    expect(notes).toEqual([
      expect.objectContaining({ file: join(copy, 'lab.md'), message: 'replaces the shipped lab "valid-minimal" (test/fixtures/labs/valid-minimal/lab.md)', severity: 'warning' }),
    ]);
    expect(problems).toContainEqual({ file: join(temp, 'missing'), line: 0, message: 'this KINDLAB_LABS_PATH entry does not exist', severity: 'error' });
  });

  it('never falls back past a broken copy to the lab it replaces', async () => {
    const copy = join(temp, 'shadow', 'valid-minimal');
    cpSync(join(fixtures, 'valid-minimal'), copy, { recursive: true });
    writeFileSync(join(copy, 'lab.md'), readFileSync(join(copy, 'lab.md'), 'utf8').replace('requires:', 'requirez:'));
    const opts = { env: { KINDLAB_LABS_PATH: join(temp, 'shadow') }, builtinDir: fixtures };
    const { labs, problems, broken } = await scanLabs(opts);
    expect(labs.map((l) => l.id)).not.toContain('valid-minimal');
    expect(broken).toContainEqual({ dir: copy, ids: ['valid-minimal'] });
    expect(problems).toContainEqual(expect.objectContaining({ file: join(copy, 'lab.md'), line: 2, severity: 'error' }));
    expect(problems).toContainEqual(
      expect.objectContaining({ file: 'test/fixtures/labs/valid-minimal/lab.md', message: `lab "valid-minimal" is not used: ${join(copy, 'lab.md')} claims the same id and cannot be read`, severity: 'error' }),
    );
    const err = await findLab('valid-minimal', opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabFormatError);
    expect((err as LabFormatError).issues.map((i) => i.message)).toContain('front matter: missing field "requires" (a map with fields memoryGiB, cpus, diskGiB)');
  });

  it('a broken lab in another folder claims the id its front matter names', async () => {
    const dir = join(temp, 'renamed', 'my-copy');
    cpSync(join(fixtures, 'valid-minimal'), dir, { recursive: true });
    writeFileSync(join(dir, 'lab.md'), readFileSync(join(dir, 'lab.md'), 'utf8').replace('title:', 'title: [unclosed'));
    const { labs, broken } = await scanLabs({ env: { KINDLAB_LABS_PATH: join(temp, 'renamed') }, builtinDir: fixtures });
    expect(broken).toContainEqual({ dir, ids: ['my-copy', 'valid-minimal'] });
    expect(labs.map((l) => l.id)).not.toContain('valid-minimal');
  });

  it('reports ids used twice and path entries that are files', async () => {
    for (const name of ['one', 'two']) cpSync(join(fixtures, 'valid-minimal'), join(temp, 'twice', name, 'valid-minimal'), { recursive: true });
    writeFileSync(join(temp, 'a-file'), 'x');
    const entries = [join(temp, 'twice', 'one'), join(temp, 'twice', 'two'), join(temp, 'a-file')];
    const { labs, problems } = await scanLabs(only(...entries));
    expect(labs.filter((l) => l.id === 'valid-minimal')).toMatchObject([{ dir: join(temp, 'twice', 'one', 'valid-minimal') }]);
    expect(problems).toEqual([
      {
        file: join(temp, 'twice', 'two', 'valid-minimal', 'lab.md'),
        line: 1,
        message: `lab id "valid-minimal" is also used by ${join(temp, 'twice', 'one', 'valid-minimal', 'lab.md')}, which takes precedence: give one of them another id`,
        severity: 'error',
      },
      { file: join(temp, 'a-file'), line: 0, message: 'this KINDLAB_LABS_PATH entry is a file, not a directory of labs', severity: 'error' },
    ]);
  });

  it("finds the package's own labs next to the sources", () => {
    expect(builtinLabsDir).toBe(resolve('labs'));
    expect(searchDirs({ env: {} })).toEqual([{ dir: builtinLabsDir, origin: 'builtin' }]);
    expect(searchDirs({ env: { KINDLAB_LABS_PATH: 'a::b' } }).map((d) => d.dir)).toEqual([resolve('a'), resolve('b'), builtinLabsDir]);
  });

  it('uses the full YAML parser for front matter beyond the simple subset', async () => {
    const dir = join(temp, 'folded');
    cpSync(join(fixtures, 'valid-minimal'), dir, { recursive: true });
    const text = readFileSync(join(dir, 'lab.md'), 'utf8').replace('id: valid-minimal', 'id: folded').replace(/summary: .*/, 'summary: >-\n  Folded\n  over two lines.');
    writeFileSync(join(dir, 'lab.md'), text);
    expect((await listLabs(only(dir)))[0]).toMatchObject({ id: 'folded', summary: 'Folded over two lines.' });
  });

  it('reads files with Windows line endings', async () => {
    const dir = join(temp, 'crlf');
    cpSync(join(fixtures, 'valid-minimal'), dir, { recursive: true });
    writeFileSync(join(dir, 'lab.md'), readFileSync(join(dir, 'lab.md'), 'utf8').replace('id: valid-minimal', 'id: crlf').replace(/\n/g, '\r\n'));
    expect((await listLabs(only(dir)))[0]).toMatchObject({ id: 'crlf', title: 'Minimal lab', requires: { memoryGiB: 1, cpus: 1 } });
  });
});

describe('findLab', () => {
  it('loads a lab by id', async () => {
    const lab = await findLab('sample-nginx', only(fixtures));
    expect(lab.meta.id).toBe('sample-nginx');
    expect(lab.steps).toHaveLength(3);
  });

  it('loads a lab by path', async () => {
    expect((await findLab('./test/fixtures/labs/valid-minimal')).meta.id).toBe('valid-minimal');
    expect((await findLab('test/fixtures/labs/valid-minimal/lab.md')).meta.id).toBe('valid-minimal');
  });

  it('opens a lab whose front matter is broken by its folder name, to show why', async () => {
    await expect(findLab('invalid-frontmatter-schema', only(fixtures))).rejects.toBeInstanceOf(LabFormatError);
  });

  it.each([
    ['sample-ngnix', 'Did you mean sample-nginx? Run `kindlab list` to see all labs.'],
    ['valid', 'Did you mean valid-full or valid-minimal? Run `kindlab list` to see all labs.'],
    ['zzz', 'Run `kindlab list` to see all labs.'],
  ])('names the closest ids for an unknown id (%s)', async (id, fix) => {
    const err = await findLab(id, only(fixtures)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KindlabError);
    expect(err).toMatchObject({ kind: 'usage', message: `unknown lab "${id}"`, fix });
  });

  it('suggests shipped labs too', async () => {
    await expect(findLab('canry-l4', { env: {} })).rejects.toMatchObject({
      message: 'unknown lab "canry-l4"',
      fix: 'Did you mean canary-l4? Run `kindlab list` to see all labs.',
    });
  });
});
