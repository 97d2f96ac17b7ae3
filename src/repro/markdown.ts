/**
 * The Markdown summary of a reproduction, written to paste into an issue: short enough for a
 * GitHub comment (65,536 characters; kept well under), the failing step's evidence inline, the rest
 * folded in <details> blocks, and everything else in the report directory to attach.
 */
import type { CheckResult } from '../checks/types.js';
import { formatDuration } from '../core/duration.js';
import type { StepReport } from '../engine/report.js';
import type { ReproData } from './model.js';

/** Leaves room for the surrounding issue text. */
export const SUMMARY_LIMIT = 60_000;
const OUTPUT_TAIL_LINES = 40;

/** Code fences longer than any backtick run inside, so output cannot close them. */
export function fence(body: string, lang = ''): string {
  const longest = Math.max(2, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${lang}\n${body.replace(/\n+$/, '')}\n${ticks}`;
}

const OUTPUT_TAIL_CHARS = 8000;

/** The end of a command's output: the last lines, and at most a few thousand characters of them. */
export function tail(text: string, lines = OUTPUT_TAIL_LINES): string {
  const all = text.replace(/\n+$/, '').split('\n');
  let out = all.length <= lines ? all.join('\n') : [`… ${all.length - lines} earlier lines in the report directory`, ...all.slice(-lines)].join('\n');
  if (out.length > OUTPUT_TAIL_CHARS) out = `… output cut to its last ${OUTPUT_TAIL_CHARS} characters; all of it is in the report directory\n${out.slice(-OUTPUT_TAIL_CHARS)}`;
  return out;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const mark = (status: string) => (status === 'pass' || status === 'passed' ? '✅' : status === 'skipped' ? '⏭️' : '❌');

function checkLine(c: CheckResult): string {
  return `| ${mark(c.status)} | ${cell(c.title)} | ${cell(c.expected)} | ${cell(c.found)} | ${formatDuration(c.durationMs)} |`;
}

function stepSection(s: StepReport): string[] {
  const lines = [`#### ${mark(s.status)} Step ${s.index}: ${s.title} (\`${s.id}\`, ${formatDuration(s.durationMs)})`, ''];
  if (s.status === 'skipped') return [...lines, `Skipped: ${s.reason ?? 'an earlier step failed'}.`, ''];
  if (s.reason) lines.push(`**${s.reason}**`, '');
  for (const c of s.commands) {
    const failed = c.exitCode !== 0;
    lines.push(`${failed ? '❌' : '✅'} lab.md:${c.line}, exit ${c.timedOut ? 'timeout' : c.exitCode}, ${formatDuration(c.durationMs)}`, '', fence(c.script, 'sh'), '');
    const output = (c.stdout + (c.stderr ? (c.stdout ? '\n' : '') + c.stderr : '')).trim();
    if (output) {
      if (failed) lines.push(fence(tail(output)), '');
      else lines.push('<details><summary>output</summary>', '', fence(tail(output, 15)), '', '</details>', '');
    }
  }
  const checks = [...s.before, ...s.checks];
  if (checks.length > 0) {
    lines.push('| | checkpoint | expected | found | time |', '|---|---|---|---|---|', ...checks.map(checkLine), '');
    for (const c of checks.filter((x) => x.status !== 'pass' && x.details?.length)) lines.push(`<details><summary>details: ${cell(c.title)}</summary>`, '', fence((c.details ?? []).join('\n')), '', '</details>', '');
  }
  return lines;
}

export function renderReproMarkdown(d: ReproData): string {
  const r = d.report;
  const failedStep = r.steps.find((s) => s.status === 'failed');
  const head = [
    `### kindlab repro: \`${r.lab.id}\` ${r.outcome === 'passed' ? 'passed' : r.outcome === 'failed' ? `failed at step ${failedStep?.index ?? '?'} (${failedStep?.id ?? '?'})` : 'could not run'}`,
    '',
    `**Lab:** ${r.lab.title} (${r.lab.source})  `,
    `**Command:** \`${d.command}\`  `,
    `**kindlab:** ${r.kindlab}, ${r.startedAt}, ${formatDuration(r.durationMs)} (provisioning ${formatDuration(r.provisionMs)})`,
    ...(r.error ? ['', `**Error:** ${r.error}`] : []),
    '',
  ];

  const docker = 'error' in d.host.docker ? `unavailable (${d.host.docker.error})` : `${d.host.docker.serverVersion} on ${d.host.docker.os} (${d.host.docker.arch}), ${d.host.docker.cpus} CPUs, ${d.host.docker.memoryGiB} GiB, cgroup ${d.host.docker.cgroup}${d.host.docker.rootless ? ', rootless' : ''}`;
  const env = [
    '#### Environment',
    '',
    '| | |',
    '|---|---|',
    `| host | ${d.host.os} ${d.host.release} ${d.host.arch}, ${d.host.cpus} CPUs, ${d.host.memoryGiB} GiB, Node ${d.host.node} |`,
    `| Docker | ${cell(docker)} |`,
    ...Object.entries(r.versions).map(([k, v]) => `| ${cell(k)} (pinned) | ${cell(v)} |`),
    ...d.tools.map((t) => `| \`${cell(t.command)}\` | ${cell(t.output)} |`),
    ...(Object.keys(d.overrides).length ? [`| overrides | ${cell(Object.entries(d.overrides).map(([k, v]) => `--${k} ${v}`).join(' '))} |`] : []),
    '',
  ];

  const steps = ['#### Steps', '', '| | step | time | checkpoints |', '|---|---|---|---|'];
  for (const s of r.steps) {
    const passed = s.checks.filter((c) => c.status === 'pass').length;
    steps.push(`| ${mark(s.status)} | ${s.index}. ${cell(s.title)} | ${formatDuration(s.durationMs)} | ${s.status === 'skipped' ? '–' : `${passed}/${s.checks.length}`} |`);
  }
  steps.push('');

  // The failing step in full; passing steps folded.
  const detail: string[] = [];
  for (const s of r.steps) {
    if (s.status === 'skipped') continue;
    const body = stepSection(s);
    if (s.status === 'failed') detail.push(body.join('\n'));
    else detail.push([`<details><summary>Step ${s.index}: ${cell(s.title)} passed</summary>`, '', ...body, '</details>', ''].join('\n'));
  }

  const images = new Map<string, string>();
  for (const { dump } of d.dumps) for (const i of dump.images) images.set(i.image, i.imageID);
  const state = ['#### Cluster state', ''];
  if (d.dumpSkipped) state.push(`Not captured: ${d.dumpSkipped}.`, '');
  for (const { cluster, dump } of d.dumps) {
    state.push(`- \`${cluster}\`: namespaces ${dump.namespaces.map((n) => `\`${n}\``).join(', ') || 'none'}; ${dump.files.length} files${dump.errors.length ? `; ${dump.errors.length} commands failed` : ''}`);
  }
  if (images.size > 0) {
    state.push('', '<details><summary>images running in the cluster</summary>', '', '| image | resolved |', '|---|---|');
    for (const [image, id] of [...images].sort()) state.push(`| ${cell(image)} | ${cell(id)} |`);
    state.push('', '</details>');
  }
  state.push('', '_Full command output, objects, events, pod logs and Istio proxy state are in the report directory (attach it zipped)._', '');

  let text = [...head, ...env, ...steps, ...detail, ...state].join('\n');
  if (text.length > SUMMARY_LIMIT) {
    // Keep the head, environment, step table and cluster note; cut the step detail.
    const fixed = [...head, ...env, ...steps].join('\n');
    const rest = state.join('\n');
    let room = SUMMARY_LIMIT - fixed.length - rest.length - 200;
    // Whole steps only, failing step first, so no code fence is ever cut open.
    const order = [...detail].sort((a, b) => Number(a.startsWith('<details>')) - Number(b.startsWith('<details>')));
    const kept = new Set<string>();
    for (const section of order) {
      if (section.length > room) continue;
      kept.add(section);
      room -= section.length + 1;
    }
    const shown = detail.filter((x) => kept.has(x));
    text = `${fixed}\n${shown.join('\n')}\n_${detail.length - shown.length} step section(s) left out to fit an issue comment; see steps/ in the report directory._\n\n${rest}`;
  }
  return text;
}
