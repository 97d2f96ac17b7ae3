/**
 * The pieces of the end-to-end suite (labs.test.ts) that do not need Docker, so that they can be
 * tested with a fake runner (test/support/e2e-harness.test.ts): one lab's self-test run with its
 * own deadline, its teardown when it failed, and the check that nothing of the lab is left behind.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDuration } from '../../src/core/duration.js';
import { kindlabPaths } from '../../src/core/paths.js';
import type { ProcessRunner, RunResult } from '../../src/core/seams.js';
import type { RunReport } from '../../src/engine/report.js';
import { createToolProvider } from '../../src/platform/tool-provider.js';
import { CPK_CLUSTER_LABEL, KIND_CLUSTER_LABEL, LAB_LABEL, OWNED_LABEL, SCOPE_LABEL, hasKindlabPrefix, nameMatchesLab } from '../../src/platform/kind/names.js';

type Env = Record<string, string | undefined>;

/** What `kindlab down` and the leftover check may take after a lab's own deadline. */
export const teardownBudgetMs = 15 * 60_000;

/**
 * A lab's own deadline: twice the time its front matter gives a learner (an unattended run skips
 * the reading, but pulls images and runs each checkpoint twice), at least 20 minutes. The test's
 * timeout is this plus teardownBudgetMs, so the suite, not the test runner, stops a stuck lab and
 * still tears it down.
 */
export function labDeadlineMs(duration: string): number {
  return Math.max(20 * 60_000, 2 * parseDuration(duration));
}

export interface KindlabCli {
  runner: ProcessRunner;
  /** How to start kindlab: e.g. [process.execPath, 'bin/kindlab.js']. */
  argv: string[];
  cwd: string;
  env?: Env;
}

export interface LabRunOutcome {
  /** The report kindlab wrote (absent when it was stopped or crashed first). */
  report?: RunReport;
  exitCode: number;
  timedOut: boolean;
  /** Whether `kindlab down <lab>` ran because the run failed or was stopped, and how it ended. */
  teardown?: { exitCode: number };
  /** Each thing that went wrong, one line each; empty when the lab passed its self-test. */
  problems: string[];
}

async function kindlab(cli: KindlabCli, args: string[], timeoutMs: number): Promise<RunResult> {
  const [cmd, ...pre] = cli.argv;
  return cli.runner.run(cmd as string, [...pre, ...args], { cwd: cli.cwd, timeoutMs, ...(cli.env ? { env: cli.env } : {}) });
}

const log = (r: RunResult) => `$ ${r.argv.join(' ')}\n(exit ${r.exitCode}${r.timedOut ? ', stopped at its deadline' : ''}, ${r.durationMs} ms)\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}\n`;

/** What in a finished report keeps the lab from passing its self-test. */
export function reportProblems(report: RunReport): string[] {
  const problems: string[] = [];
  if (report.error) problems.push(`error: ${report.error}`);
  for (const s of report.steps) if (s.status !== 'passed') problems.push(`step ${s.id}: ${s.reason ?? s.status}`);
  if (!report.selfTest) problems.push('the report has no self-test part (was --self-test passed?)');
  for (const c of report.selfTest?.checkpoints ?? []) {
    if (c.verdict === 'passed-before' || c.verdict === 'failed-after') problems.push(`checkpoint ${c.step} lab.md:${c.line} "${c.title}": ${c.reason ?? c.verdict}`);
  }
  if (report.outcome !== 'passed' && problems.length === 0) problems.push(`outcome ${report.outcome}`);
  return problems;
}

/**
 * `kindlab run <id> --self-test` within `deadlineMs`, its output and reports in `outDir`. A lab that
 * failed or was stopped is torn down with `kindlab down <id>` before this returns, so the next lab
 * starts on a clean engine.
 */
export async function runLabSelfTest(id: string, outDir: string, cli: KindlabCli, deadlineMs: number): Promise<LabRunOutcome> {
  await mkdir(outDir, { recursive: true });
  const reportFile = join(outDir, 'report.json');
  const run = await kindlab(cli, ['run', id, '--yes', '--self-test', '--report', reportFile, '--junit', join(outDir, 'junit.xml')], deadlineMs);
  await writeFile(join(outDir, 'run.log'), log(run));
  const report = await readFile(reportFile, 'utf8').then(
    (t) => JSON.parse(t) as RunReport,
    () => undefined,
  );
  const timedOut = Boolean(run.timedOut);
  const problems: string[] = [];
  if (timedOut) problems.push(`stopped after ${Math.round(deadlineMs / 60_000)} min, the lab's deadline`);
  if (report) problems.push(...reportProblems(report));
  else problems.push(`kindlab exited with ${run.exitCode} without writing a report (see run.log)`);
  if (!timedOut && report?.outcome === 'passed' && run.exitCode !== 0) problems.push(`kindlab exited with ${run.exitCode} although the report passed`);

  const outcome: LabRunOutcome = { exitCode: run.exitCode, timedOut, problems, ...(report ? { report } : {}) };
  if (problems.length > 0) {
    const down = await kindlab(cli, ['down', id], teardownBudgetMs);
    await writeFile(join(outDir, 'down.log'), log(down));
    outcome.teardown = { exitCode: down.exitCode };
    if (down.exitCode !== 0) problems.push(`kindlab down ${id} exited with ${down.exitCode} (see down.log)`);
  }
  return outcome;
}

export interface LeftoverTools {
  runner: ProcessRunner;
  /** kindlab's own pinned kind (not whatever `kind` is on PATH). */
  kind: string;
  docker: string;
  env?: Env;
}

async function mustRun(t: LeftoverTools, command: string, args: string[]): Promise<string> {
  const r = await t.runner.run(command, args, { timeoutMs: 60_000, ...(t.env ? { env: t.env } : {}) });
  // A command that fails proves nothing: "no clusters" must be an answer, not an error.
  if (r.exitCode !== 0) throw new Error(`${[command, ...args].join(' ')} failed (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim().slice(0, 500)}`);
  return r.stdout;
}

const lines = (text: string) => text.split('\n').flatMap((l) => (l.trim() ? [l.trim()] : []));

/** "<label value>\t<container name>" lines of the containers carrying `label`. */
async function byLabel(t: LeftoverTools, label: string): Promise<Array<[string, string]>> {
  const out = await mustRun(t, t.docker, ['ps', '-a', '--filter', `label=${label}`, '--format', `{{.Label "${label}"}}\t{{.Names}}`]);
  return lines(out).map((l) => {
    const [value = '', name = ''] = l.split('\t');
    return [value, name];
  });
}

/**
 * What of lab `id` is still there: its kind clusters (asked of kindlab's pinned kind), their node
 * containers, the Envoy containers cloud-provider-kind ran for them, containers the lab started
 * with kindlab's labels, and the shared cloud-provider-kind container once no kindlab cluster is
 * left (kindlab down removes it then). Throws when a command fails.
 */
export async function findLeftovers(id: string, t: LeftoverTools): Promise<string[]> {
  const clusters = lines(await mustRun(t, t.kind, ['get', 'clusters']));
  const found = clusters.filter((c) => nameMatchesLab(c, id)).map((c) => `kind cluster ${c}`);
  for (const [cluster, name] of await byLabel(t, KIND_CLUSTER_LABEL)) {
    if (nameMatchesLab(cluster, id)) found.push(`node container ${name} (cluster ${cluster})`);
  }
  for (const [cluster, name] of await byLabel(t, CPK_CLUSTER_LABEL)) {
    if (nameMatchesLab(cluster, id)) found.push(`load balancer container ${name} (cluster ${cluster})`);
  }
  for (const [lab, name] of await byLabel(t, LAB_LABEL)) {
    if (lab === id) found.push(`lab container ${name}`);
  }
  if (!clusters.some(hasKindlabPrefix)) {
    const shared = lines(await mustRun(t, t.docker, ['ps', '-a', '--filter', `label=${OWNED_LABEL}=true`, '--filter', `label=${SCOPE_LABEL}=shared`, '--format', '{{.Names}}']));
    found.push(...shared.map((name) => `shared container ${name} with no kindlab cluster left`));
  }
  return [...new Set(found)];
}

/**
 * The kind kindlab itself runs: the pinned version from its tool cache (or a `kind` on PATH only if
 * it is exactly that version), found without downloading anything.
 */
export async function pinnedKind(runner: ProcessRunner, env: Env): Promise<string> {
  const tools = await createToolProvider({ cacheDir: kindlabPaths(env).cache, runner, env }).locateTools({
    overrides: {},
    tools: ['kind'],
    status: () => {},
  });
  if (!tools) throw new Error("kindlab's pinned kind is not installed (a lab run installs it), so leftover clusters cannot be listed");
  return tools.paths.kind;
}
