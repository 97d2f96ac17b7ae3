/**
 * End to end on a real machine: every lab runs `kindlab run <lab> --self-test` on real kind
 * clusters with real images. Every checkpoint must fail before its step's solution (unless its
 * author marked it holdsBefore) and pass after it, and nothing of the lab may be left behind: no
 * kind cluster (asked of kindlab's own pinned kind), node, load balancer or lab container, and no
 * shared cloud-provider-kind once no kindlab cluster is left.
 *
 * Each lab has its own deadline (harness.ts labDeadlineMs), below the test's timeout: a lab that
 * fails or is stopped is torn down with `kindlab down <lab>` before the next one starts. Outputs and
 * reports of every lab stay in the directory printed at the start (KINDLAB_E2E_OUT to choose it).
 *
 * Opt-in (KINDLAB_E2E=1, set by `npm run test:e2e`) because it needs Docker, internet and the lab's
 * memory; it says why when it cannot run, and never passes silently.
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createProcessRunner } from '../../src/platform/exec.js';
import { findLeftovers, labDeadlineMs, pinnedKind, runLabSelfTest, teardownBudgetMs, type KindlabCli } from './harness.js';

const repo = resolve(import.meta.dirname, '../..');
const bin = join(repo, 'bin/kindlab.js');
const enabled = process.env.KINDLAB_E2E === '1';
const runner = createProcessRunner();
const cli: KindlabCli = { runner, argv: [process.execPath, bin], cwd: repo, env: process.env };
const docker = process.env.KINDLAB_DOCKER || 'docker';

async function dockerProblem(): Promise<string | undefined> {
  const r = await runner.run(docker, ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 20_000 });
  return r.exitCode === 0 ? undefined : `Docker is not reachable: ${(r.stderr || r.stdout).split('\n')[0]}`;
}

interface Listed {
  id: string;
  duration: string;
}

async function labs(): Promise<Listed[]> {
  const r = await runner.run(process.execPath, [bin, 'list', '--json'], { cwd: repo });
  if (r.exitCode !== 0) throw new Error(`kindlab list --json failed: ${r.stderr}`);
  const all = JSON.parse(r.stdout) as Listed[];
  const wanted = process.env.KINDLAB_E2E_LABS?.split(',').map((s) => s.trim()).filter(Boolean);
  if (!wanted?.length) return all;
  const unknown = wanted.filter((id) => !all.some((l) => l.id === id));
  if (unknown.length) throw new Error(`KINDLAB_E2E_LABS names labs that do not exist: ${unknown.join(', ')}`);
  return all.filter((l) => wanted.includes(l.id));
}

const selected = enabled ? await labs() : [];
const outRoot = enabled ? (process.env.KINDLAB_E2E_OUT ?? (await mkdtemp(join(tmpdir(), 'kindlab-e2e-')))) : '';
if (enabled) console.log(`[e2e] outputs and reports of every lab: ${outRoot}`);
else console.warn('[skipped] end-to-end suite: set KINDLAB_E2E=1 (npm run test:e2e) on a machine with Docker and internet.');

describe.skipIf(!enabled)('labs on real kind clusters, every checkpoint seen failing', () => {
  let problem: string | undefined;
  beforeAll(async () => {
    problem = await dockerProblem();
    await mkdir(outRoot, { recursive: true });
  });

  for (const lab of selected) {
    const deadline = labDeadlineMs(lab.duration);
    it(
      `${lab.id}: every checkpoint fails before its solution and passes after, and nothing is left behind`,
      async () => {
        // A missing Docker engine fails the suite loudly: someone asked for it with KINDLAB_E2E=1.
        expect(problem, problem).toBeUndefined();
        const outDir = join(outRoot, lab.id);
        const outcome = await runLabSelfTest(lab.id, outDir, cli, deadline);
        const leftovers = await findLeftovers(lab.id, { runner, kind: await pinnedKind(runner, process.env), docker, env: process.env });
        expect(outcome.problems, `${lab.id} (outputs in ${outDir}):\n${outcome.problems.join('\n')}`).toEqual([]);
        expect(leftovers, `left behind by ${lab.id}`).toEqual([]);
      },
      deadline + teardownBudgetMs,
    );
  }
});
