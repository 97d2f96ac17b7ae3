/**
 * Makes the pinned tools available for a run: the user's own copy when it is exactly the pinned
 * version, otherwise the cached or freshly downloaded one. The result includes a directory of links
 * to put first on PATH, so lab commands (`kubectl ...`, `istioctl ...`) run the pinned versions
 * whatever else is installed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, rename, rm, symlink } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { KindlabError, toMessage } from '../../core/errors.js';
import type { ProcessRunner } from '../../core/seams.js';
import { DEFAULT_SOURCES, sameVersion, TOOLS, type DownloadSources } from './catalog.js';
import { detectVersion, findOnPath, istioHomeOf } from './detect.js';
import type { DownloadOptions } from './download.js';
import { exeSuffix, hostPlatform, type HostPlatform } from './host.js';
import { installTool } from './install.js';
import type { ProgressSink } from './progress.js';
import { toolVersion, type Pins, type ToolName } from './versions.js';
import { pathExists } from '../../core/fs.js';

type Env = Record<string, string | undefined>;

export interface EnsureToolsOptions {
  /** kindlab's cache directory (KindlabPaths.cache). */
  cacheDir: string;
  runner: ProcessRunner;
  /** Environment used to search PATH and to run version commands. */
  env: Env;
  /** Tools this run needs; helm, Istio and cloud-provider-kind are only fetched for labs that use them. */
  need?: readonly ToolName[];
  fetchImpl?: typeof fetch;
  progress?: ProgressSink;
  host?: HostPlatform;
  sources?: Partial<DownloadSources>;
  /** Retry and timeout settings for downloads. */
  download?: Omit<DownloadOptions, 'fetchImpl' | 'progress'>;
  /** Consider tools found on PATH (default true). */
  usePath?: boolean;
}

export type ToolOrigin = 'path' | 'cache' | 'download';

export interface EnsuredTools {
  /** Put first on PATH: links named kind, kubectl, istioctl, helm, cloud-provider-kind. */
  binDir: string;
  /** Absolute paths of the needed tools. */
  paths: Partial<Record<ToolName, string>>;
  /** The Istio release directory (samples/, manifests/), when istioctl was needed. */
  istioHome: string | undefined;
  versions: Partial<Record<ToolName, string>>;
  origins: Partial<Record<ToolName, ToolOrigin>>;
}

interface Resolved {
  name: ToolName;
  path: string;
  home?: string;
  origin: ToolOrigin;
}

async function fromPath(name: ToolName, version: string, opts: EnsureToolsOptions, host: HostPlatform): Promise<Resolved | undefined> {
  const spec = TOOLS[name];
  const found = await findOnPath(spec.command, opts.env, host.os === 'windows');
  if (!found) return undefined;
  if (!sameVersion(await detectVersion(spec, found, opts.runner, opts.env), version)) return undefined;
  if (name !== 'istioctl') return { name, path: found, origin: 'path' };
  // Labs read Istio's samples/ and manifests/; a bare istioctl without its release tree is not enough.
  const home = await istioHomeOf(found);
  return home ? { name, path: found, home, origin: 'path' } : undefined;
}

async function resolveOne(name: ToolName, pins: Pins, opts: EnsureToolsOptions, host: HostPlatform, sources: DownloadSources): Promise<Resolved> {
  const version = toolVersion(pins, name);
  if (opts.usePath !== false) {
    const local = await fromPath(name, version, opts, host);
    if (local) return local;
  }
  const installed = await installTool(opts.cacheDir, TOOLS[name], version, host, sources, {
    ...opts.download,
    ...(opts.fetchImpl ? { fetchImpl: opts.fetchImpl } : {}),
    ...(opts.progress ? { progress: opts.progress } : {}),
  });
  return { name, path: installed.binary, ...(installed.home ? { home: installed.home } : {}), origin: installed.origin };
}


/**
 * A directory of links for exactly this set of tools, named after a hash of the set. Runs with
 * different pins (two labs, two terminals) get different directories and never rewrite each
 * other's links; the same set is built once and reused.
 */
async function linkDir(cacheDir: string, tools: Resolved[], host: HostPlatform): Promise<string> {
  const entries = tools
    .map((t) => [`${TOOLS[t.name].command}${exeSuffix(host)}`, t.path] as const)
    .sort(([a], [b]) => a.localeCompare(b));
  const key = createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 16);
  const dir = join(cacheDir, 'tools', 'bin', key);
  if (await pathExists(dir)) return dir;
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(tmp, { recursive: true });
  try {
    for (const [name, target] of entries) {
      // Symlinks need extra privileges on Windows; a copy works everywhere there.
      if (host.os === 'windows') await copyFile(target, join(tmp, name));
      else await symlink(target, join(tmp, name));
    }
    await rename(tmp, dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Someone else built the same directory meanwhile.
    if (!(code === 'EEXIST' || code === 'ENOTEMPTY' || code === 'EPERM') || !(await pathExists(dir))) throw err;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return dir;
}

export async function ensureTools(pins: Pins, opts: EnsureToolsOptions): Promise<EnsuredTools> {
  const host = opts.host ?? hostPlatform();
  const sources = { ...DEFAULT_SOURCES, ...opts.sources };
  const need = [...new Set(opts.need ?? (['kind', 'kubectl'] as const))];
  // In parallel: version probes are quick, and downloads are network-bound.
  // Every tool is settled before reporting, so one failed download does not hide another.
  const settled = await Promise.allSettled(need.map((name) => resolveOne(name, pins, opts, host, sources)));
  const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
  if (failures.length > 0) throw combine(failures);
  const resolved = settled.map((s) => (s as PromiseFulfilledResult<Resolved>).value);
  const binDir = await linkDir(opts.cacheDir, resolved, host);
  const result: EnsuredTools = { binDir, paths: {}, istioHome: undefined, versions: {}, origins: {} };
  for (const r of resolved) {
    result.paths[r.name] = r.path;
    result.versions[r.name] = toolVersion(pins, r.name);
    result.origins[r.name] = r.origin;
    if (r.home) result.istioHome = r.home;
  }
  return result;
}

function combine(failures: unknown[]): unknown {
  const [first, ...rest] = failures;
  if (rest.length === 0 || !(first instanceof KindlabError)) return first;
  return new KindlabError(first.kind, first.message, {
    ...(first.fix ? { fix: first.fix } : {}),
    details: [...first.details, ...rest.map((e) => `also: ${toMessage(e)}`)],
    cause: first,
  });
}

/** PATH with the pinned tools first. */
export function pathWithTools(binDir: string, env: Env, windows = process.platform === 'win32'): string {
  const current = env.PATH ?? env.Path ?? '';
  const sep = windows ? ';' : delimiter;
  return current ? `${binDir}${sep}${current}` : binDir;
}
