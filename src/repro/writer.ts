/**
 * The report directory: everything about one reproduction, readable without kindlab.
 *
 *   summary.md            paste into an issue
 *   report.json           the run report (steps, commands with output and timing, checkpoints) and facts
 *   junit.xml             the same checkpoints for CI tooling
 *   environment.txt       host, Docker, tool versions, images declared and running
 *   steps/NN-<id>.md      each step: every command with its full output and timing, every checkpoint
 *   clusters/<name>/...   the cluster state (see dump.ts)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { formatDuration } from '../core/duration.js';
import { toJUnit, type StepReport } from '../engine/report.js';
import { fence, renderReproMarkdown } from './markdown.js';
import type { ReproData } from './model.js';

const pad = (n: number) => String(n).padStart(2, '0');

export function stepFileName(s: Pick<StepReport, 'index' | 'id'>): string {
  return `${pad(s.index)}-${s.id.replace(/[^A-Za-z0-9._-]/g, '_')}.md`;
}

export function renderStepFile(s: StepReport): string {
  const lines = [`# Step ${s.index}: ${s.title}`, '', `id: ${s.id}  `, `status: ${s.status}${s.reason ? ` (${s.reason})` : ''}  `, `duration: ${formatDuration(s.durationMs)}`, ''];
  for (const [label, list] of [
    ['Checkpoints observed before the commands', s.before],
    ['Checkpoints', s.checks],
  ] as const) {
    if (list.length === 0) continue;
    lines.push(`## ${label}`, '');
    for (const c of list) {
      lines.push(`- **${c.status.toUpperCase()}** ${c.title} (lab.md:${c.line}, ${formatDuration(c.durationMs)})`, `  - expected: ${c.expected}`, `  - found: ${c.found}`);
      for (const d of c.details ?? []) lines.push(`  - ${d}`);
      if (c.hint) lines.push(`  - hint: ${c.hint}`);
      if (c.authorNote) lines.push(`  - for the lab's author: ${c.authorNote}`);
    }
    lines.push('');
  }
  if (s.commands.length) lines.push('## Commands', '');
  s.commands.forEach((c, i) => {
    lines.push(`### ${i + 1}. lab.md:${c.line}: exit ${c.timedOut ? 'timeout' : c.exitCode} in ${formatDuration(c.durationMs)}`, '', fence(c.script, 'sh'), '');
    if (c.stdout) lines.push('stdout:', '', fence(c.stdout), '');
    if (c.stderr) lines.push('stderr:', '', fence(c.stderr), '');
  });
  return lines.join('\n');
}

export function renderEnvironment(d: ReproData): string {
  const out = [`kindlab ${d.report.kindlab}`, `command: ${d.command}`, '', '# host', JSON.stringify(d.host, null, 2), '', '# pinned versions used by the run'];
  for (const [k, v] of Object.entries(d.report.versions)) out.push(`${k}: ${v}`);
  out.push('', '# tools, as the lab ran them');
  for (const t of d.tools) out.push(`$ ${t.command}`, t.output, '');
  out.push('# images the lab declares or derives', ...d.declaredImages, '');
  out.push('# images running in the clusters (image -> resolved digest)');
  for (const { cluster, dump } of d.dumps) for (const i of dump.images) out.push(`${cluster} ${i.namespace}/${i.pod}/${i.container}: ${i.image} -> ${i.imageID}`);
  return out.join('\n') + '\n';
}

async function put(dir: string, rel: string, content: string): Promise<void> {
  const file = join(dir, rel);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, content);
}

/** Writes the directory and returns the Markdown summary it holds. */
export async function writeReportDir(dir: string, d: ReproData): Promise<string> {
  await mkdir(dir, { recursive: true });
  const summary = renderReproMarkdown(d);
  await put(dir, 'summary.md', summary);
  const json = {
    ...d.report,
    repro: {
      command: d.command,
      ...(d.until ? { until: d.until } : {}),
      overrides: d.overrides,
      hostInfo: d.host,
      tools: d.tools,
      declaredImages: d.declaredImages,
      clusters: d.dumps.map(({ cluster, dump }) => ({ cluster, context: dump.context, namespaces: dump.namespaces, images: dump.images, errors: dump.errors, commands: dump.commands })),
      ...(d.dumpSkipped ? { dumpSkipped: d.dumpSkipped } : {}),
    },
  };
  await put(dir, 'report.json', JSON.stringify(json, null, 2) + '\n');
  await put(dir, 'junit.xml', toJUnit([d.report]));
  await put(dir, 'environment.txt', renderEnvironment(d));
  for (const s of d.report.steps) await put(dir, join('steps', stepFileName(s)), renderStepFile(s));
  for (const { cluster, dump } of d.dumps) {
    for (const f of dump.files) await put(dir, join('clusters', cluster.replace(/[^A-Za-z0-9._-]/g, '_'), f.path), f.content);
    if (dump.errors.length) await put(dir, join('clusters', cluster, 'errors.txt'), dump.errors.join('\n') + '\n');
  }
  return summary;
}
