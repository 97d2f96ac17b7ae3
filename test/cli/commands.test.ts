import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isolatedEnv, repoRoot, runCli } from './run-cli.js';

// eslint-disable-next-line no-control-regex
const hasAnsi = (s: string) => /\u001b\[/.test(s);

describe('kindlab CLI', () => {
  it('--help lists every command and exits 0; each command has its own --help', async () => {
    const env = await isolatedEnv();
    const r = await runCli(['--help'], env);
    expect(r.code).toBe(0);
    for (const c of ['list', 'show', 'start', 'check', 'hint', 'solve', 'reset', 'next', 'back', 'status', 'run', 'down', 'validate', 'doctor', 'open']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    }
    const run = await runCli(['run', '--help'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('--until');
    expect(run.stdout).toContain('--junit');
    expect(hasAnsi(run.stdout)).toBe(false);
  });

  it('list --json is data on stdout with what each lab needs', async () => {
    const r = await runCli(['list', '--json'], await isolatedEnv());
    expect(r.code).toBe(0);
    const labs = JSON.parse(r.stdout) as Array<{ id: string; requires: { memoryGiB: number } }>;
    const ids = labs.map((l) => l.id);
    expect(ids).toEqual(expect.arrayContaining(['canary-l4', 'cert-rotation', 'istio-bookinfo', 'istio-resilience']));
    expect(labs.find((l) => l.id === 'istio-bookinfo')?.requires.memoryGiB).toBeGreaterThanOrEqual(8);
  });

  it('an unknown lab is a usage error naming the closest id, without a stack trace', async () => {
    const r = await runCli(['show', 'canry-l4'], await isolatedEnv());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown lab "canry-l4"');
    expect(r.stderr).toContain('canary-l4');
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('an unknown command suggests the nearest one', async () => {
    const r = await runCli(['stauts'], await isolatedEnv());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('kindlab status');
  });

  it('show prints plain Markdown when not a terminal, hiding hints and check blocks', async () => {
    const r = await runCli(['show', 'canary-l4'], await isolatedEnv());
    expect(r.code).toBe(0);
    expect(hasAnsi(r.stdout)).toBe(false);
    expect(r.stdout).toContain('Step 1/');
    expect(r.stdout).toContain('kubectl apply');
    expect(r.stdout).not.toMatch(/^>\s*hint:/im);
    expect(r.stdout).not.toContain('```check');
  });

  it('one-shot commands without a lab in progress say how to start one (exit 2)', async () => {
    const env = await isolatedEnv();
    for (const cmd of ['check', 'hint', 'status']) {
      const r = await runCli([cmd], env);
      expect(r.code, cmd).toBe(2);
      expect(r.stderr).toContain('no lab is in progress');
      expect(r.stderr).toContain('kindlab start');
    }
  });

  it('a damaged progress file is reported with the fix and left in place', async () => {
    const env = await isolatedEnv();
    const dir = join(env.XDG_STATE_HOME as string, 'kindlab', 'labs', 'canary-l4');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'progress.json'), '{ not json');
    const r = await runCli(['status', '--lab', 'canary-l4'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('damaged');
    expect(r.stderr).toContain('--fresh');
    expect(await readFile(join(dir, 'progress.json'), 'utf8')).toBe('{ not json');

    // Valid JSON of the wrong shape is damaged too, not an internal error (exit 70).
    const nullSteps = JSON.stringify({ version: 1, labId: 'canary-l4', current: 0, steps: null, vars: {}, provisioned: false, startedAt: 'x', updatedAt: 'x' });
    await writeFile(join(dir, 'progress.json'), nullSteps);
    const again = await runCli(['status', '--lab', 'canary-l4'], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('progress.json is damaged and cannot be read: steps:');
    expect(await readFile(join(dir, 'progress.json'), 'utf8')).toBe(nullSteps);
  });

  it('run refuses to start unattended without --yes when not in a terminal', async () => {
    const r = await runCli(['run', 'canary-l4'], await isolatedEnv());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--yes');
  });

  it('a malformed --registry-mirror is a usage error before anything is created', async () => {
    const r = await runCli(['run', 'canary-l4', '--yes', '--skip-doctor', '--registry-mirror', 'docker.io'], await isolatedEnv());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('<registry>=<url>');
  });

  it('validate passes for every shipped lab', async () => {
    const r = await runCli(['validate', '--json'], await isolatedEnv());
    const results = JSON.parse(r.stdout) as Array<{ lab: string; issues: Array<{ severity: string; message: string }> }>;
    const errors = results.flatMap((x) => x.issues.filter((i) => i.severity === 'error').map((i) => `${x.lab}: ${i.message}`));
    expect(errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(results.length).toBeGreaterThanOrEqual(10);
  });

  it('validate of a broken lab exits 2 and names file and line', async () => {
    const env = await isolatedEnv();
    const labs = join(env.HOME as string, 'extra-labs');
    await mkdir(join(labs, 'broken-lab'), { recursive: true });
    await writeFile(
      join(labs, 'broken-lab', 'lab.md'),
      ['---', 'id: broken-lab', 'title: Broken lab', 'summary: A lab with a bad check', 'source: {title: test}', 'duration: 5m', 'requires: {memoryGiB: 1, cpus: 1}', 'clusters: [{workers: 0}]', '---', '', '## One', '', '```check', '- trafic: {url: http://x}', '```', ''].join('\n'),
    );
    const r = await runCli(['validate', 'broken-lab'], { ...env, KINDLAB_LABS_PATH: labs });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/lab\.md:14: .*unknown check kind "trafic".*traffic/);
  });

  it('a broken lab in KINDLAB_LABS_PATH is reported, never replaced by the shipped lab of the same id', async () => {
    const env = await isolatedEnv();
    const labs = join(env.HOME as string, 'my-labs');
    await mkdir(join(labs, 'canary-l4'), { recursive: true });
    const shipped = await readFile(join(repoRoot, 'labs', 'canary-l4', 'lab.md'), 'utf8');
    await writeFile(join(labs, 'canary-l4', 'lab.md'), shipped.replace(/^requires:/m, 'requirez:'));
    // And a lab whose check block has an alias without anchor: a lab error, not "internal error".
    await mkdir(join(labs, 'alias-lab'), { recursive: true });
    await writeFile(
      join(labs, 'alias-lab', 'lab.md'),
      ['---', 'id: alias-lab', 'title: Alias', 'summary: An alias without anchor', 'source: {title: test}', 'duration: 5m', 'requires: {memoryGiB: 1, cpus: 1}', 'clusters: [{workers: 0}]', '---', '', '## One', '', '```check', '- nodes: *nope', '```', ''].join('\n'),
    );
    const withPath = { ...env, KINDLAB_LABS_PATH: `${labs}:${join(labs, 'missing')}` };

    const one = await runCli(['validate', 'canary-l4'], withPath);
    expect(one.code).toBe(2);
    expect(one.stdout).toMatch(/my-labs\/canary-l4\/lab\.md:\d+: front matter: .*requirez/);

    const all = await runCli(['validate'], withPath);
    expect(all.code).toBe(2);
    expect(all.stdout).toMatch(/✗ canary-l4\n {2}error .*my-labs\/canary-l4\/lab\.md:\d+: /);
    expect(all.stdout).toMatch(/alias-lab\/lab\.md:14: check block: alias \*nope has no anchor/);
    expect(all.stdout).toContain('missing: this KINDLAB_LABS_PATH entry does not exist');
    expect(all.stderr).not.toContain('internal error');

    const list = await runCli(['list'], withPath);
    expect(list.code).toBe(0);
    expect(list.stdout).not.toMatch(/^canary-l4 /m);
    expect(list.stderr).toMatch(/^warning: .*my-labs\/canary-l4\/lab\.md:\d+: front matter is incomplete or invalid/m);
    expect(list.stderr).toMatch(/^warning: .*missing: this KINDLAB_LABS_PATH entry does not exist$/m);
  });

  it('NO_COLOR keeps even a forced colour terminal plain', async () => {
    const r = await runCli(['status', '--lab', 'canary-l4'], await isolatedEnv({ NO_COLOR: '1' }));
    expect(hasAnsi(r.stdout + r.stderr)).toBe(false);
    expect(r.stdout).toContain('(not started)');
  });
});
void repoRoot;
