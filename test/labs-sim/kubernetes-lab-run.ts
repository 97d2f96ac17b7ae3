/**
 * Running a Kubernetes lab unattended on the simulated cluster, for test/labs-sim/<lab>.test.ts:
 * the real CLI (`kindlab run <lab> --yes --skip-doctor --report ...`) with the harness's fakes on
 * PATH and the sim behaving as a kind cluster does for these labs (test/sim/behaviour/
 * kubernetes-labs.ts). Helpers read the JSON report and make a variant of a lab (a learner's
 * mistake in a manifest or a skipped command) without touching the shipped one.
 *
 * Waits: the labs' shell loops sleep while a real cluster converges (`sleep 2` between polls, a
 * 20-second watch while a node is down). The sim converges within milliseconds, so a `sleep` on
 * PATH divides every wait by SLEEP_FACTOR; the loops' iteration counts, and so what they wait for,
 * stay as written. The time not slept still passes on the lab clock (test/sim/behaviour/
 * lab-clock.ts), which the models of slow processes follow (a stopped node turns NotReady after
 * the node-monitor grace period).
 *
 * Misbehaviour runs stop at the failing step (`--until`), cap checkpoint timeouts
 * (`--check-timeout`) and skip the teardown (`--keep`; the passing runs cover it): they cost only
 * what it takes to reach the checkpoint that must fail.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import type { CheckResult } from '../../src/checks/types.js';
import type { RunReport, StepReport } from '../../src/engine/report.js';
import { createProcessRunner } from '../../src/platform/exec.js';
import { installCreditingSleep, labClock } from '../sim/behaviour/lab-clock.js';
import { simulateKubernetesLabs, type KubernetesLabsOptions, type KubernetesLabsWorld } from '../sim/behaviour/kubernetes-labs.js';
import { createSimHarness, type SimHarness } from '../sim/harness.js';
import { writeLabVariant, type LabEdits } from './lab-variant.js';

export const repo = resolve(import.meta.dirname, '../..');
const bin = join(repo, 'bin/kindlab.js');
export const SLEEP_FACTOR = 20;

export interface LabSim {
  h: SimHarness;
  world: KubernetesLabsWorld;
  cleanup(): Promise<void>;
}

/** A harness with the Kubernetes-lab behaviour and shortened sleeps. */
export async function startLabSim(opts: KubernetesLabsOptions = {}): Promise<LabSim> {
  const h = await createSimHarness();
  // Hundreds of fake calls per run, each a new Node process: compile the fakes' modules once.
  h.env.NODE_COMPILE_CACHE = join(h.dir, 'compile-cache');
  const clockFile = join(h.dir, 'lab-clock');
  const world = simulateKubernetesLabs(h, { clock: labClock(clockFile), ...opts });
  await installCreditingSleep(h.binDir, clockFile, `t / ${SLEEP_FACTOR}`, `test/labs-sim: the sim converges in milliseconds, so waits are ${SLEEP_FACTOR} times shorter.`);
  return {
    h,
    world,
    async cleanup() {
      world.stop();
      await h.cleanup();
    },
  };
}

/**
 * Runs `fn` with a fresh LabSim and cleans up after it. Each test has its own sim, fakes and
 * directories, so the tests of a file can run concurrently: nearly all their work is in child
 * processes (kindlab, bash, the fakes), which then share the machine's cores.
 */
export async function withLabSim<T>(opts: KubernetesLabsOptions, fn: (sim: LabSim) => Promise<T>): Promise<T> {
  const sim = await startLabSim(opts);
  try {
    return await fn(sim);
  } finally {
    await sim.cleanup();
  }
}

/** Per-test time limit: a lab run takes 5-30 s here, longer when the tests of a file share the CPU. */
export const LAB_TIMEOUT_MS = 120_000;

export interface LabRun {
  exitCode: number;
  stderr: string;
  report: RunReport;
}

/**
 * `kindlab run <lab> --yes --skip-doctor --report <file> [extra]`. `labsPath` points at a variant
 * of the lab (labVariant); by default the shipped labs are used.
 */
export async function runLab(sim: LabSim, lab: string, extra: string[] = [], labsPath?: string): Promise<LabRun> {
  const report = join(sim.h.dir, `report-${lab}.json`);
  const cpu0 = process.cpuUsage();
  const r = await createProcessRunner().run(process.execPath, [bin, 'run', lab, '--yes', '--skip-doctor', '--report', report, ...extra], {
    env: { ...sim.h.env, NO_COLOR: '1', ...(labsPath ? { KINDLAB_LABS_PATH: labsPath } : {}) },
    cwd: sim.h.dir,
    timeoutMs: 180_000,
  });
  let parsed: RunReport;
  try {
    parsed = JSON.parse(await readFile(report, 'utf8')) as RunReport;
  } catch {
    throw new Error(`kindlab run ${lab} wrote no report (exit ${r.exitCode}):\n${r.stderr.slice(-3000)}`);
  }
  const run = { exitCode: r.exitCode, stderr: r.stderr, report: parsed };
  if (process.env.KINDLAB_SIM_TIMINGS) {
    const cpu = process.cpuUsage(cpu0);
    console.log(`${timings(run)}\n  sim process CPU ${Math.round((cpu.user + cpu.system) / 1000)} ms`);
  }
  return run;
}

/** A copy of a lab with text replaced, under the harness's directory (see lab-variant.ts). */
export function labVariant(sim: LabSim, id: string, edits: LabEdits): Promise<string> {
  return writeLabVariant(sim.h.dir, id, edits);
}

export function step(report: RunReport, id: string): StepReport {
  const s = report.steps.find((x) => x.id === id);
  if (!s) throw new Error(`no step ${id} in the report (steps: ${report.steps.map((x) => x.id).join(', ')})`);
  return s;
}

/** The check of a step with this kind whose name (or title) matches. */
export function check(report: RunReport, stepId: string, kind: string, name?: RegExp): CheckResult {
  const s = step(report, stepId);
  const found = s.checks.filter((c) => c.kind === kind && (!name || name.test(c.title)));
  if (found.length !== 1) throw new Error(`step ${stepId}: ${found.length} ${kind} checks matching ${name ?? 'any name'} (${s.checks.map((c) => `${c.kind}:${c.title}`).join(', ')})`);
  return found[0]!;
}

/** "old 21.7% (91) / new 78.3% (329)" → { old: 91, new: 329 } (the counts a traffic check found). */
export function trafficCounts(found: string | undefined): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of (found ?? '').matchAll(/([\w-]+) [\d.]+% \((\d+)\)/g)) counts[m[1]!] = Number(m[2]);
  return counts;
}

export function share(counts: Record<string, number>, cls: string): number {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return total ? (counts[cls] ?? 0) / total : NaN;
}

/** Every step passed, with every checkpoint (and every `check before` baseline). */
export function expectAllPassed(run: LabRun, steps: string[]): void {
  const failures = run.report.steps.flatMap((s) => [
    ...(s.status === 'passed' ? [] : [`step ${s.id}: ${s.status}${s.reason ? ` (${s.reason})` : ''}`]),
    ...[...s.before, ...s.checks].filter((c) => c.status !== 'pass').map((c) => `${s.id} ${c.kind} ${c.title}: expected ${c.expected}, found ${c.found}`),
  ]);
  expect(failures, run.stderr.slice(-4000)).toEqual([]);
  expect(run.report.outcome).toBe('passed');
  expect(run.exitCode).toBe(0);
  expect(run.report.steps.map((s) => [s.id, s.status])).toEqual(steps.map((id) => [id, 'passed']));
}

/** Durations of a run's parts, for finding what makes a simulated run slow (KINDLAB_SIM_TIMINGS=1). */
export function timings(run: LabRun): string {
  const r = run.report;
  return [
    `${r.lab.id}: ${r.durationMs} ms (provision ${r.provisionMs}, teardown ${r.teardownMs ?? 0})`,
    ...r.steps.map(
      (s) =>
        `  ${s.id} ${s.status} ${s.durationMs} ms: commands ${s.commands.map((c) => c.durationMs).join('+')}; checks ${[...s.before, ...s.checks].map((c) => `${c.kind}=${c.durationMs}`).join(' ')}`,
    ),
  ].join('\n');
}
