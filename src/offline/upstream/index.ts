/**
 * `kindlab doctor --upstream`: are the pins still there? Every image digest and tag and every
 * download URL the labs and the platform use is resolved against the real registries and hosts
 * (or the mirrors KINDLAB_UPSTREAM_HOSTS names). Exit codes: 0 all resolve as pinned, 1 drift,
 * 3 some or all could not be checked (offline, blocked, rate-limited).
 *
 *   kindlab doctor --upstream [--lab id ...] [--istio 1.32.0 ...] [--json]
 *
 * Loaded only when --upstream is given, so plain `doctor` and `--help` stay fast.
 */
import { envError, type ExitCode } from '../../core/errors.js';
import { findLab, listLabs } from '../../lab/catalog.js';
import type { Lab } from '../../model/lab.js';
import type { ToolOverrides } from '../../platform/types.js';
import { resolvePins } from '../../platform/tools/versions.js';
import { runUpstreamCheck, type CheckOptions } from './check.js';
import { parseHostMap, UPSTREAM_HOSTS_ENV } from '../../platform/upstream/hosts.js';
import { offlineMessage, renderUpstreamJson, renderUpstreamText, upstreamExitCode } from './render.js';
import { upstreamTargets } from './targets.js';

export { runUpstreamCheck, type CheckResult, type UpstreamReport } from './check.js';
export { upstreamTargets, type UpstreamTargets } from './targets.js';
export { upstreamExitCode } from './render.js';

export interface UpstreamDoctorOptions {
  /** Labs to check; empty means every lab in the catalog. */
  labIds: readonly string[];
  overrides: ToolOverrides;
  json: boolean;
  color: boolean;
  env: Record<string, string | undefined>;
  cacheDir: string;
  out: (text: string) => void;
  status: (message: string) => void;
  /** Limits of the check (the CLI uses the defaults). */
  limits?: Omit<CheckOptions, 'hosts'>;
}

export async function upstreamDoctor(opts: UpstreamDoctorOptions): Promise<ExitCode> {
  const hosts = parseHostMap(opts.env[UPSTREAM_HOSTS_ENV]);
  const pins = resolvePins(opts.overrides);
  const catalog = { env: opts.env };
  const ids = opts.labIds.length ? opts.labIds : (await listLabs(catalog)).map((l) => l.id);
  const labs: Lab[] = [];
  for (const id of ids) labs.push(await findLab(id, catalog));
  const targets = await upstreamTargets(labs, pins, opts.cacheDir);
  opts.status(`Resolving ${targets.images.length} images and ${targets.urls.length} URLs upstream`);
  const report = await runUpstreamCheck(targets, { hosts, ...opts.limits });
  if (opts.json) {
    opts.out(renderUpstreamJson(report));
    return upstreamExitCode(report);
  }
  if (report.offline) {
    throw envError(offlineMessage(report), `Run it again with internet access, or point ${UPSTREAM_HOSTS_ENV} at mirrors this machine can reach.`);
  }
  const note = hosts.size ? `asked through ${UPSTREAM_HOSTS_ENV}: ${[...hosts].map(([h, b]) => `${h} → ${b}`).join(', ')}` : undefined;
  opts.out(renderUpstreamText(report, { color: opts.color, ...(note ? { hostsNote: note } : {}) }));
  return upstreamExitCode(report);
}
