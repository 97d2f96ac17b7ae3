/**
 * Joins the two halves of the platform: the tools layer (find or download pinned binaries) and
 * the cluster layer, which only needs paths. `locate` never downloads: attach and down must work
 * offline and must not start a download the user did not ask for.
 */
import type { ProcessRunner } from '../core/seams.js';
import type { PlatformTools } from './kind/tools.js';
import type { ToolRequest } from './platform.js';
import { ensureTools, resolvePins, type EnsuredTools, type ProgressSink } from './tools/index.js';

export interface ToolProviderOptions {
  cacheDir: string;
  runner: ProcessRunner;
  env: Record<string, string | undefined>;
  progress?: ProgressSink;
}

function toPlatformTools(t: EnsuredTools, env: Record<string, string | undefined>): PlatformTools {
  return {
    binDir: t.binDir,
    paths: {
      kind: t.paths.kind ?? 'kind',
      kubectl: t.paths.kubectl ?? 'kubectl',
      // Docker is the user's engine, never downloaded.
      docker: env.KINDLAB_DOCKER || 'docker',
      ...(t.paths.helm ? { helm: t.paths.helm } : {}),
      ...(t.paths.istioctl ? { istioctl: t.paths.istioctl } : {}),
    },
    ...(t.istioHome ? { istioHome: t.istioHome } : {}),
    versions: t.versions,
  };
}

const noDownloads: typeof fetch = async () => {
  throw new Error('not installed');
};

export function createToolProvider(opts: ToolProviderOptions) {
  const base = { cacheDir: opts.cacheDir, runner: opts.runner, env: opts.env, ...(opts.progress ? { progress: opts.progress } : {}) };
  return {
    async ensureTools(req: ToolRequest): Promise<PlatformTools> {
      return toPlatformTools(await ensureTools(resolvePins(req.overrides), { ...base, need: req.tools }), opts.env);
    },
    async locateTools(req: ToolRequest): Promise<PlatformTools | undefined> {
      try {
        return toPlatformTools(await ensureTools(resolvePins(req.overrides), { ...base, need: req.tools, fetchImpl: noDownloads, download: { attempts: 1 } }), opts.env);
      } catch {
        return undefined;
      }
    },
  };
}
