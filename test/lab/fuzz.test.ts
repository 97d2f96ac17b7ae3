/**
 * Property-based fuzzing of what kindlab reads from disk: lab.md (the real labs, mutated), check
 * blocks and progress.json. Whatever the input, the parsers answer with a lab/state error located
 * at file:line, or a value; never another exception, never more than a second of work.
 *
 * Seeded: each run draws a new seed, and a failure prints it (fast-check's "{ seed: ..., path: ... }")
 * with the shrunk counterexample; KINDLAB_FUZZ_SEED=<seed> replays that run exactly, and
 * KINDLAB_FUZZ_RUNS=<factor> multiplies the number of cases to search further.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KindlabError, LabFormatError, type LabIssue } from '../../src/core/errors.js';
import { ProgressStore, emptyProgress } from '../../src/engine/progress.js';
import { parseCheckBlock } from '../../src/lab/check-block.js';
import { IssueList } from '../../src/lab/issues.js';
import { parseLab } from '../../src/lab/parse.js';

const seed = process.env.KINDLAB_FUZZ_SEED ? Number(process.env.KINDLAB_FUZZ_SEED) : Date.now() % 2 ** 31;
const scale = Number(process.env.KINDLAB_FUZZ_RUNS ?? 1);
const settings = (numRuns: number) => ({ seed, numRuns: Math.round(numRuns * scale), endOnFailure: false });

/** CPU time of this process, not wall time: the machine running the suite may be busy with others. */
function cpuMs<T>(fn: () => T): { value: T; ms: number } {
  const start = process.cpuUsage();
  const value = fn();
  const used = process.cpuUsage(start);
  return { value, ms: (used.user + used.system) / 1000 };
}

const labDirs = ['labs', 'test/fixtures/labs'].flatMap((root) =>
  readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(root, d.name, 'lab.md')),
);
const labTexts = labDirs.flatMap((f) => {
  try {
    return [readFileSync(f, 'utf8')];
  } catch {
    return [];
  }
});
const checkBlocks = labTexts.flatMap((t) => [...t.matchAll(/^```check[^\n]*\n([\s\S]*?)^```/gm)].map((m) => m[1] as string));

/** Text that has broken parsers before, or could: aliases, nesting, sizes, control characters. */
const hostile = fc.constantFrom(
  'x: *nope',
  '- *nope',
  'a: &a [*a]',
  '&a [*a, *a]',
  ['a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]'].join('\n'),
  '<<: *base',
  `${'? '.repeat(300)}x`,
  '{'.repeat(3000),
  '['.repeat(3000),
  `x: ${'{a: '.repeat(200)}`,
  '"unclosed',
  "'unclosed",
  '%YAML 1.1\n---',
  '!!binary AAAA',
  '!!js/function "function(){}"',
  '---',
  '...',
  '```',
  '```check',
  '```sh',
  '~~~',
  '## ',
  '## {#Bad_Id}',
  '> '.repeat(40),
  '- '.repeat(40),
  `${'_a'.repeat(5000)}`,
  '${GATEWAY_IP}$(touch PWNED)',
  '\u0000\u0001\u001b[31m',
  '\uFEFF',
  '\r\n\r',
  '\t\t- x',
  'x'.repeat(300_000),
);

type Mutation = { at: number; kind: 'insert'; text: string } | { at: number; kind: 'delete' | 'duplicate'; length: number } | { at: number; kind: 'truncate' } | { at: number; kind: 'char'; char: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ at: fc.nat(), kind: fc.constant('insert' as const), text: fc.oneof(hostile, fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 })) }),
  fc.record({ at: fc.nat(), kind: fc.constantFrom('delete' as const, 'duplicate' as const), length: fc.integer({ min: 1, max: 400 }) }),
  fc.record({ at: fc.nat(), kind: fc.constant('truncate' as const) }),
  fc.record({ at: fc.nat(), kind: fc.constant('char' as const), char: fc.constantFrom(':', '-', ' ', '\n', '"', "'", '{', '[', '*', '&', '#', '`', '|', '>', '\t') }),
);

function mutate(text: string, mutations: readonly Mutation[]): string {
  let out = text;
  for (const m of mutations) {
    // Mostly at the start of a line, where structure lives.
    let at = m.at % (out.length + 1);
    const lineStart = out.lastIndexOf('\n', at - 1) + 1;
    if (m.at % 3 !== 0) at = lineStart;
    if (m.kind === 'insert') out = `${out.slice(0, at)}${m.text}\n${out.slice(at)}`;
    else if (m.kind === 'delete') out = out.slice(0, at) + out.slice(at + m.length);
    else if (m.kind === 'duplicate') out = out.slice(0, at) + out.slice(at, at + m.length) + out.slice(at);
    else if (m.kind === 'truncate') out = out.slice(0, at);
    else if (m.kind === 'char') out = out.slice(0, at) + m.char + out.slice(at + 1);
  }
  return out;
}

/** Every issue at a real line of the text, in the named file. */
function expectLocated(issues: readonly LabIssue[], file: string, lines: number, first = 1): void {
  expect(issues.length).toBeGreaterThan(0);
  for (const i of issues) {
    expect(i.file).toBe(file);
    expect(Number.isInteger(i.line) && i.line >= first && i.line <= lines + 1, `line ${i.line} of ${lines}: ${i.message}`).toBe(true);
    expect(i.message.length).toBeGreaterThan(0);
  }
}

const lineCount = (text: string) => text.split(/\r\n?|\n/).length;

describe('fuzzing the readers of lab files and state', () => {
  it('parseLab: mutated real labs give a located LabFormatError or a lab, fast', () => {
    fc.assert(
      fc.property(fc.nat(labTexts.length - 1), fc.array(mutation, { minLength: 1, maxLength: 4 }), (which, mutations) => {
        const text = mutate(labTexts[which] as string, mutations);
        const { value: outcome, ms } = cpuMs(() => {
          try {
            return parseLab('labs/x/lab.md', text);
          } catch (err) {
            return err;
          }
        });
        expect(ms, 'CPU ms for one lab').toBeLessThan(1000);
        if (outcome instanceof LabFormatError) expectLocated(outcome.issues, 'labs/x/lab.md', lineCount(text));
        else expect(outcome, String(outcome)).toHaveProperty('steps');
      }),
      settings(800),
    );
  }, 60_000);

  it('parseCheckBlock: mutated and generated blocks give located issues or checks, fast', () => {
    const yamlish = fc.array(fc.oneof(hostile, fc.constantFrom('- ', '  ', ': ', 'http:', 'url: x', 'rollout:', 'capture:', '{', '}', '[', ']', ',', '\n', '*a', '&a ', '? '), fc.string({ maxLength: 8 })), { maxLength: 30 }).map((parts) => parts.join(''));
    const block = fc.oneof(
      fc.tuple(fc.nat(Math.max(0, checkBlocks.length - 1)), fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([i, m]) => mutate(checkBlocks[i] ?? '', m)),
      yamlish,
    );
    fc.assert(
      fc.property(block, (code) => {
        const issues = new IssueList('lab.md');
        const { value: outcome, ms } = cpuMs(() => {
          try {
            return parseCheckBlock(code, 10, issues);
          } catch (err) {
            return err;
          }
        });
        expect(ms, 'CPU ms for one block').toBeLessThan(1000);
        expect(Array.isArray(outcome), String(outcome)).toBe(true);
        // Issues point at the block: its fence (line 9) to its last line.
        if (issues.items.length) expectLocated(issues.items, 'lab.md', lineCount(code) + 9, 9);
      }),
      settings(2000),
    );
  }, 60_000);

  it('ProgressStore.load: damaged files are refused naming the file, valid ones load, nothing else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kl-fuzz-progress-'));
    const store = new ProgressStore(dir, { labId: 'demo', steps: 4 });
    const valid = { ...emptyProgress('demo', new Date('2026-01-01T00:00:00Z')), current: 1, steps: { a: { status: 'passed', checks: 2, solved: false, hintsShown: 0 } }, vars: { X: '1' } };
    const damaged = fc.oneof(
      fc.tuple(fc.constantFrom(...Object.keys(valid)), fc.anything()).map(([k, v]) => JSON.stringify({ ...valid, [k]: v })),
      fc.tuple(fc.constantFrom('status', 'checks', 'solved', 'hintsShown'), fc.anything()).map(([k, v]) => JSON.stringify({ ...valid, steps: { a: { ...valid.steps.a, [k]: v } } })),
      fc.anything().map((v) => JSON.stringify(v) ?? 'undefined'),
      fc.tuple(fc.nat(200), fc.string({ maxLength: 5 })).map(([cut, junk]) => JSON.stringify(valid).slice(0, cut) + junk),
      fc.string({ unit: 'binary', maxLength: 60 }),
    );
    try {
      await fc.assert(
        fc.asyncProperty(damaged, async (text) => {
          writeFileSync(store.file, text);
          const outcome = await store.load().catch((e: unknown) => e);
          if (outcome instanceof KindlabError) {
            expect(outcome.kind).toBe('state');
            expect(outcome.message).toContain(store.file);
            expect(readFileSync(store.file, 'utf8')).toBe(text);
          } else {
            // Whatever loads is a usable progress record of this lab.
            expect(outcome).toMatchObject({ version: 1, labId: 'demo' });
            const p = outcome as typeof valid;
            expect(p.current).toBeLessThan(4);
            expect(typeof p.steps).toBe('object');
            expect(p.steps).not.toBeNull();
          }
        }),
        settings(800),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
