/** The upstream report as text for a facilitator, or as JSON for scripts and the e2e suite. */
import { ExitCode } from '../../core/errors.js';
import type { CheckResult, UpstreamReport } from './check.js';

export function upstreamExitCode(r: UpstreamReport): ExitCode {
  if (r.drift.length > 0) return ExitCode.checkFailed;
  return r.unchecked.length > 0 ? ExitCode.environment : ExitCode.ok;
}

const red = (on: boolean, s: string) => (on ? `\u001b[31m${s}\u001b[39m` : s);
const yellow = (on: boolean, s: string) => (on ? `\u001b[33m${s}\u001b[39m` : s);
const dim = (on: boolean, s: string) => (on ? `\u001b[2m${s}\u001b[22m` : s);

/** "ECONNREFUSED ×40, ENOTFOUND ×12": why nothing answered, without one line per target. */
export function reasonCounts(results: readonly CheckResult[]): string {
  const counts = new Map<string, number>();
  for (const r of results) counts.set(r.detail, (counts.get(r.detail) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([why, n]) => `${why} ×${n}`)
    .join(', ');
}

export function offlineMessage(r: UpstreamReport): string {
  return `cannot check the pins upstream: none of the ${r.results.length} images and URLs could be reached (${reasonCounts(r.results)})`;
}

const counted = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

export function renderUpstreamText(r: UpstreamReport, opts: { color: boolean; hostsNote?: string }): string {
  const images = r.results.filter((x) => x.type === 'image').length;
  const lines = [`Upstream check: ${counted(images, 'image')} and ${counted(r.results.length - images, 'URL')} in ${(r.durationMs / 1000).toFixed(1)} s`];
  if (opts.hostsNote) lines.push(dim(opts.color, opts.hostsNote));
  const item = (mark: string, x: CheckResult) => {
    lines.push(`  ${mark} ${x.target}`, `      ${x.detail}`, `      ${dim(opts.color, `used by: ${x.usedBy.join(', ')}`)}`);
  };
  if (r.drift.length) {
    lines.push('', red(opts.color, `Drift (${r.drift.length}): no longer resolves as pinned`));
    for (const x of r.drift) item(red(opts.color, '✗'), x);
  }
  if (r.unchecked.length) {
    lines.push('', yellow(opts.color, `Not checked (${r.unchecked.length}): no usable answer`));
    for (const x of r.unchecked) item(yellow(opts.color, '?'), x);
  }
  if (r.unresolved.length) {
    const whys = [...new Set(r.unresolved.map((u) => u.why))];
    lines.push('', `Not derived (${r.unresolved.length}): images named only in these files were not checked (${whys.join('; ')})`);
  }
  const ok = r.results.length - r.drift.length - r.unchecked.length;
  lines.push('', `${ok} of ${r.results.length} resolve as pinned.`);
  return `${lines.join('\n')}\n`;
}

export function renderUpstreamJson(r: UpstreamReport): string {
  const images = r.results.filter((x) => x.type === 'image').length;
  const doc = {
    ok: upstreamExitCode(r) === ExitCode.ok,
    offline: r.offline,
    exitCode: upstreamExitCode(r),
    checked: { images, urls: r.results.length - images },
    durationMs: r.durationMs,
    drift: r.drift,
    unchecked: r.unchecked,
    unresolved: r.unresolved,
    results: r.results,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
