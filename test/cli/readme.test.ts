/**
 * The README's promises to a newcomer: what each lab needs comes from the labs' front matter (the
 * one source `list` and `doctor` read), the commands it names exist, and the first screen holds.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/main.js';
import { listLabs } from '../../src/lab/catalog.js';

const readme = readFileSync('README.md', 'utf8');
const section = (title: string) => readme.slice(readme.indexOf(`## ${title}\n`), readme.indexOf('\n## ', readme.indexOf(`## ${title}\n`) + 1));

describe('README.md', () => {
  it("the Labs table lists every shipped lab with its front matter's memory, CPUs and clusters", async () => {
    const labs = (await listLabs({ env: {} })).filter((l) => l.origin === 'builtin');
    const rows = new Map(
      [...section('Labs').matchAll(/^\| ([a-z0-9-]+) \| ([^|]+) \|/gm)].filter((m) => m[1] !== 'id').map((m) => [m[1] as string, (m[2] as string).trim()]),
    );
    expect([...rows.keys()].sort()).toEqual(labs.map((l) => l.id).sort());
    for (const l of labs) {
      const needs = `${l.requires.memoryGiB} GiB, ${l.requires.cpus} CPUs${l.clusters > 1 ? `, ${l.clusters} clusters` : ''}`;
      expect(rows.get(l.id), l.id).toBe(needs);
    }
  });

  it('states memory figures only in that table, so there is no second source to drift', () => {
    const outside = readme.replace(section('Labs'), '');
    expect(outside.match(/\d+\s*(–\s*\d+\s*)?GiB/g) ?? []).toEqual([]);
  });

  it('says once how to get the kindlab command, and why an older Node still works', () => {
    const quick = section('Quick start');
    expect(quick).toContain('npx kindlab');
    expect(quick).toContain('npm link');
    expect(quick).toMatch(/EBADENGINE/);
    // The first screen: one command to set up and run the main job, one to pass the tests.
    const blocks = [...quick.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => (m[1] as string).trim());
    expect(blocks[0]).toMatch(/^git clone .* && npm ci && npx kindlab start \S+$/);
    expect(blocks[1]).toBe('npm test');
  });

  it('names only commands that exist in its Commands table', () => {
    const named = [...section('Commands').matchAll(/^\| `kindlab (\w+)/gm)].map((m) => m[1] as string);
    for (const n of named) expect(Object.keys(commands), n).toContain(n);
  });
});
