/** The record of an unattended run: JSON for tools, JUnit XML for CI, a summary for people. */
import { arch, platform, release } from 'node:os';
import type { CheckResult } from '../checks/types.js';
import { formatDuration } from '../core/duration.js';
import { renderSelfTest, selfTestCase, type SelfTestReport } from './self-test-report.js';
import type { CommandRecord } from './steps.js';

export type StepOutcome = 'passed' | 'failed' | 'skipped';

export interface StepReport {
  id: string;
  title: string;
  index: number;
  status: StepOutcome;
  durationMs: number;
  before: CheckResult[];
  commands: CommandRecord[];
  checks: CheckResult[];
  /** Why the step failed, in one sentence. */
  reason?: string;
}

export interface RunReport {
  kindlab: string;
  lab: { id: string; title: string; source: string };
  startedAt: string;
  durationMs: number;
  outcome: 'passed' | 'failed' | 'error';
  /** Set when provisioning or teardown failed (the phase and the message). */
  error?: string;
  /** What kind of problem `error` is: "environment" (the machine), "usage", ... or "internal" (a bug). */
  errorKind?: string;
  host: { os: string; release: string; arch: string; node: string };
  versions: Record<string, string>;
  provisionMs: number;
  teardownMs?: number;
  steps: StepReport[];
  /** `run --self-test`: each checkpoint before and after its step's solution. */
  selfTest?: SelfTestReport;
}

export function hostFacts(): RunReport['host'] {
  return { os: platform(), release: release(), arch: arch(), node: process.version };
}

const xmlEscape = (s: string) =>
  s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string)
    // XML 1.0 forbids most control characters; command output may contain them.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

const seconds = (ms: number) => (ms / 1000).toFixed(3);

/** JUnit XML for one or more runs: one testsuite per lab, one testcase per checkpoint and per step's commands. */
export function toJUnit(reports: RunReport[]): string {
  const suites = reports.map(suiteOf);
  const sum = (k: 'tests' | 'failures' | 'skipped') => suites.reduce((t, s) => t + s[k], 0);
  const time = seconds(reports.reduce((t, r) => t + r.durationMs, 0));
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="kindlab" tests="${sum('tests')}" failures="${sum('failures')}" skipped="${sum('skipped')}" time="${time}">`,
    ...suites.map((s) => s.xml),
    '</testsuites>',
    '',
  ].join('\n');
}

function suiteOf(report: RunReport): { xml: string; tests: number; failures: number; skipped: number } {
  const cases: string[] = [];
  let failures = 0;
  let skipped = 0;
  for (const step of report.steps) {
    const cls = xmlEscape(`${report.lab.id}.${step.id}`);
    const failedCmd = step.commands.find((c) => c.exitCode !== 0);
    if (step.commands.length > 0 || step.status === 'skipped') {
      const time = seconds(step.commands.reduce((t, c) => t + c.durationMs, 0));
      let body = '';
      if (step.status === 'skipped') {
        body = `<skipped message="${xmlEscape(step.reason ?? 'an earlier step failed')}"/>`;
        skipped++;
      } else if (failedCmd) {
        failures++;
        body = `<failure message="${xmlEscape(`command exited with ${failedCmd.exitCode}`)}">${xmlEscape(
          `$ ${failedCmd.script}\n${failedCmd.stdout}${failedCmd.stderr}`,
        )}</failure>`;
      }
      cases.push(`    <testcase classname="${cls}" name="commands" time="${time}">${body}</testcase>`);
    }
    for (const c of step.checks) {
      let body = '';
      if (c.status !== 'pass') {
        failures++;
        const text = [`expected: ${c.expected}`, `found: ${c.found}`, ...(c.details ?? []), ...(c.hint ? [`hint: ${c.hint}`] : []), ...(c.authorNote ? [`for the lab's author: ${c.authorNote}`] : [])].join('\n');
        body = `<failure message="${xmlEscape(c.title)}">${xmlEscape(text)}</failure>`;
      }
      cases.push(`    <testcase classname="${cls}" name="${xmlEscape(c.title)}" time="${seconds(c.durationMs)}">${body}</testcase>`);
    }
  }
  for (const c of report.selfTest?.checkpoints ?? []) {
    const t = selfTestCase(c);
    // Properties on a testcase: a common JUnit convention (github.com/testmoapp/junitxml, "Properties for suites & cases").
    const props = `<properties>${t.properties.map(([k, v]) => `<property name="${k}" value="${xmlEscape(v)}"/>`).join('')}</properties>`;
    const body = t.outcome === 'failure' ? `<failure message="${xmlEscape(t.message)}"/>` : t.outcome === 'skipped' ? `<skipped message="${xmlEscape(t.message)}"/>` : '';
    if (t.outcome === 'failure') failures++;
    if (t.outcome === 'skipped') skipped++;
    cases.push(`    <testcase classname="${xmlEscape(`${report.lab.id}.${c.step}`)}" name="${xmlEscape(`${c.title} fails before its solution`)}">${props}${body}</testcase>`);
  }
  if (report.error) {
    failures++;
    cases.unshift(`    <testcase classname="${xmlEscape(report.lab.id)}" name="environment"><failure message="${xmlEscape(report.error)}"/></testcase>`);
  }
  const xml = [
    `  <testsuite name="${xmlEscape(report.lab.id)}" tests="${cases.length}" failures="${failures}" skipped="${skipped}" time="${seconds(report.durationMs)}" timestamp="${report.startedAt}">`,
    ...cases,
    '  </testsuite>',
  ].join('\n');
  return { xml, tests: cases.length, failures, skipped };
}

export interface SummaryStyle {
  color: boolean;
}

const paint = (on: boolean, code: number, s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);

/** The per-step table printed at the end of `kindlab run`. */
export function renderSummary(report: RunReport, style: SummaryStyle): string {
  const mark = (s: StepOutcome) =>
    s === 'passed' ? paint(style.color, 32, style.color ? '✓' : 'PASS') : s === 'failed' ? paint(style.color, 31, style.color ? '✗' : 'FAIL') : paint(style.color, 90, style.color ? '-' : 'SKIP');
  const lines = [`${report.lab.id}: ${report.lab.title}`];
  if (report.provisionMs) lines.push(`  provision  ${formatDuration(report.provisionMs)}`);
  for (const s of report.steps) {
    const passedChecks = s.checks.filter((c) => c.status === 'pass').length;
    const checks = s.status === 'skipped' ? '' : `  ${passedChecks}/${s.checks.length} checks`;
    lines.push(`  ${mark(s.status)} ${String(s.index).padStart(2)}. ${s.title} (${formatDuration(s.durationMs)})${checks}`);
    if (s.status === 'failed' && s.reason) lines.push(`       ${s.reason}`);
  }
  if (report.teardownMs !== undefined) lines.push(`  teardown   ${formatDuration(report.teardownMs)}`);
  if (report.error) lines.push(`  error: ${report.error}`);
  if (report.selfTest) lines.push(renderSelfTest(report.selfTest, style.color).trimEnd());
  const verdict = report.outcome === 'passed' ? paint(style.color, 32, 'passed') : paint(style.color, 31, report.outcome === 'error' ? 'error' : 'failed');
  lines.push(`${verdict} in ${formatDuration(report.durationMs)}`);
  return lines.join('\n') + '\n';
}
