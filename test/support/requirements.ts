/**
 * Tests that need a host tool (shellcheck, python3, openssl, curl) or a service (Docker).
 *
 * In CI (`CI` set, as .ci/run does) every tool a test needs is installed by .ci/run, so a missing
 * one must fail the test, not skip it: `skipWithout` then returns false and the test runs and
 * fails on the missing tool. Elsewhere (a developer's laptop) the test is skipped, and a warning
 * says which tool is missing and how to get it, so a green run never hides a test that did not run.
 *
 * Docker is the one exception (`optional: true`): its engine cannot start in every sandbox, so its
 * tests skip with the reason printed, in CI too.
 */
import { spawnSync } from 'node:child_process';

export const inCI = Boolean(process.env.CI);

export interface Requirement {
  /** What is missing, e.g. "shellcheck". */
  name: string;
  /** Whether it is there. */
  available: boolean;
  /** How to get it, e.g. "apt-get install shellcheck". */
  install: string;
  /** Skip even in CI (Docker's engine). */
  optional?: boolean;
}

const warned = new Set<string>();

/** True when the tests needing `req` should be skipped (see the module comment). */
export function skipWithout(req: Requirement, ci = inCI): boolean {
  if (req.available) return false;
  if (ci && !req.optional) return false;
  if (!warned.has(req.name)) {
    warned.add(req.name);
    console.warn(`[skipped] tests needing ${req.name}: it is not available here (${req.install})${ci ? '' : '; in CI they run and fail without it'}`);
  }
  return true;
}

/** Whether `command args` runs and exits 0 (e.g. `shellcheck --version`). */
export function commandWorks(command: string, args: readonly string[] = ['--version']): boolean {
  const r = spawnSync(command, args, { stdio: 'ignore', timeout: 20_000 });
  return r.status === 0;
}
