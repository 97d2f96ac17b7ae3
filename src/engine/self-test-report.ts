/**
 * What `kindlab run --self-test` found, per checkpoint: did it fail before its step's solution ran,
 * did it pass after? The shapes in the JSON report, and their text and JUnit forms. The engine that
 * fills them is src/engine/self-test.ts.
 */
import type { CheckKind } from '../model/check-schema.js';
import type { CheckResult } from '../checks/types.js';

/**
 * How the checkpoint ended when run before its step's commands: a failed verdict, an error (its
 * target does not exist yet, say), `unevaluable` (it uses a ${VAR} no check has captured yet), or a pass.
 */
export type BeforeOutcome = 'fail' | 'error' | 'unevaluable' | 'pass';

/**
 * - shown-failing: failed before its solution and passed after: the checkpoint is seen to tell the two apart;
 * - passed-before: passed before its solution although the author did not mark it (a finding);
 * - holds-before: marked `holdsBefore` by the author, with a reason; accepted;
 * - failed-after: did not pass after its solution (the lab run fails too);
 * - not-run: its step did not run, or its commands failed.
 */
export type SelfTestVerdict = 'shown-failing' | 'passed-before' | 'holds-before' | 'failed-after' | 'not-run';

export interface CheckpointSelfTest {
  /** Step id. */
  step: string;
  /** Line of the check in lab.md. */
  line: number;
  kind: CheckKind;
  title: string;
  verdict: SelfTestVerdict;
  /** It did not pass when run before the step's commands. */
  failedBefore: boolean;
  /** How the run before the commands ended; absent when the step did not run. */
  before?: BeforeOutcome;
  /** What it found before the commands ran. */
  foundBefore?: string;
  /** It passed after the step's commands ran. */
  passedAfter: boolean;
  /** The author's reason why it already holds before the solution (the check's `holdsBefore`). */
  holdsBefore?: string;
  /** Why it was not shown failing (or the author's holdsBefore reason), why it failed after, or why it did not run. */
  reason?: string;
}

export interface SelfTestSummary {
  /** Checkpoints of the steps that ran or were skipped (```check blocks; `check before` baselines are not counted). */
  checkpoints: number;
  /** Failed before their solution and passed after. */
  shownFailing: number;
  /** Of shownFailing: those that failed before only because a variable they use was not captured yet. */
  unevaluable: number;
  passedBefore: number;
  holdsBefore: number;
  failedAfter: number;
  notRun: number;
}

export interface SelfTestReport {
  /** Deadlines of the run before the commands: poll and watch kinds, and sample kinds (one attempt). */
  beforeDeadlineMs: { check: number; sample: number };
  summary: SelfTestSummary;
  checkpoints: CheckpointSelfTest[];
}

export function summarize(checkpoints: CheckpointSelfTest[]): SelfTestSummary {
  const count = (v: SelfTestVerdict) => checkpoints.filter((c) => c.verdict === v).length;
  return {
    checkpoints: checkpoints.length,
    shownFailing: count('shown-failing'),
    unevaluable: checkpoints.filter((c) => c.verdict === 'shown-failing' && c.before === 'unevaluable').length,
    passedBefore: count('passed-before'),
    holdsBefore: count('holds-before'),
    failedAfter: count('failed-after'),
    notRun: count('not-run'),
  };
}

/** Whether the self-test itself found a problem: a checkpoint that passed before its solution, or failed after. */
export function selfTestFailed(st: SelfTestReport): boolean {
  return st.summary.passedBefore > 0 || st.summary.failedAfter > 0;
}

const paint = (on: boolean, code: number, s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);

const marks: Record<SelfTestVerdict, { color: number; symbol: string; word: string }> = {
  'shown-failing': { color: 32, symbol: '✓', word: 'OK  ' },
  'passed-before': { color: 31, symbol: '✗', word: 'FAIL' },
  'failed-after': { color: 31, symbol: '✗', word: 'FAIL' },
  'holds-before': { color: 33, symbol: '~', word: 'MARK' },
  'not-run': { color: 90, symbol: '-', word: 'SKIP' },
};

const beforeWords: Record<BeforeOutcome, string> = {
  fail: 'failed before',
  error: 'errored before',
  unevaluable: 'not evaluable before',
  pass: 'passed before',
};

/** The self-test part of the summary printed at the end of `kindlab run --self-test`. */
export function renderSelfTest(st: SelfTestReport, color: boolean): string {
  const s = st.summary;
  const extra = [
    s.unevaluable ? `${s.unevaluable} of them only because a variable was not captured yet` : '',
    s.holdsBefore ? `${s.holdsBefore} marked as holding before` : '',
    s.passedBefore ? `${s.passedBefore} passed before their solution` : '',
    s.failedAfter ? `${s.failedAfter} failed after` : '',
    s.notRun ? `${s.notRun} not run` : '',
  ].filter(Boolean);
  const lines = [`self-test: ${s.shownFailing} of ${s.checkpoints} checkpoints failed before their solution and passed after${extra.length ? ` (${extra.join(', ')})` : ''}`];
  for (const c of st.checkpoints) {
    const m = marks[c.verdict];
    const how = [c.before ? beforeWords[c.before] : 'not run before', c.passedAfter ? 'passed after' : 'did not pass after'].join(', ');
    lines.push(`  ${paint(color, m.color, color ? m.symbol : m.word)} ${c.step}: ${c.title} (lab.md:${c.line}) — ${how}`);
    if (c.reason) lines.push(`       ${c.reason}`);
  }
  return lines.join('\n') + '\n';
}

/** One line while the run goes: a checkpoint run before its step's commands. */
export function renderBeforeCheck(r: CheckResult, holdsBefore: string | undefined, color: boolean): string {
  if (r.status !== 'pass') return paint(color, 90, `  before the commands: ${r.title}: does not pass, as it should (${r.found})`) + '\n';
  if (holdsBefore !== undefined) return paint(color, 90, `  before the commands: ${r.title}: holds already, as marked (${holdsBefore})`) + '\n';
  return `${paint(color, 31, '  before the commands: ')}${r.title}: passes already, before its solution (${r.found})\n`;
}

/** The JUnit testcase for a checkpoint's self-test: its outcome, message and the fields as properties. */
export function selfTestCase(c: CheckpointSelfTest): { outcome: 'pass' | 'failure' | 'skipped'; message: string; properties: Array<[string, string]> } {
  const properties: Array<[string, string]> = [
    ['verdict', c.verdict],
    ['failedBefore', String(c.failedBefore)],
    ['passedAfter', String(c.passedAfter)],
    ...(c.before ? ([['before', c.before]] as Array<[string, string]>) : []),
    ...(c.foundBefore !== undefined ? ([['foundBefore', c.foundBefore]] as Array<[string, string]>) : []),
    ...(c.holdsBefore !== undefined ? ([['holdsBefore', c.holdsBefore]] as Array<[string, string]>) : []),
    ...(c.reason !== undefined ? ([['reason', c.reason]] as Array<[string, string]>) : []),
  ];
  // This testcase is about "before"; passing after is the checkpoint's own testcase.
  if (c.before === undefined) return { outcome: 'skipped', message: c.reason ?? 'not run', properties };
  if (c.holdsBefore !== undefined) return { outcome: 'skipped', message: `holds before its solution: ${c.holdsBefore}`, properties };
  if (c.before === 'pass') return { outcome: 'failure', message: c.reason ?? 'passed before its solution', properties };
  return { outcome: 'pass', message: '', properties };
}
