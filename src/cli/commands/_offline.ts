/** What the offline and repro commands share: the docker CLI seam and the offline deps from a Cli. */
import type { Cli } from '../context.js';
import { mirrorsFrom } from './_shared.js';
import type { OfflineDeps } from '../../offline/prefetch.js';

export async function offlineDeps(cli: Cli): Promise<OfflineDeps> {
  const [{ runner }, { ensureTools }] = await Promise.all([cli.engineDeps(), import('../../platform/tools/resolve.js')]);
  return {
    runner,
    docker: cli.env.KINDLAB_DOCKER || 'docker',
    env: cli.env,
    cacheDir: cli.paths.cache,
    stateDir: cli.paths.state,
    status: (m) => cli.status(m),
    kindlabVersion: cli.version,
    ensureTools,
  };
}

/** "1.30.4,1.31.1" → ["1.30.4", "1.31.1"]; undefined stays undefined. */
export function listArg(value: unknown): string[] | undefined {
  if (typeof value !== 'string' || !value.trim()) return undefined;
  return value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/**
 * Mirrors for a new cluster: an imported offline bundle's registry (restarted if needed), overridden
 * by any --registry-mirror the user gave. Without an imported bundle this is just the flags.
 */
export async function registryMirrorsFor(cli: Cli, rawArgs: string[]): Promise<Record<string, string>> {
  const given = mirrorsFrom(rawArgs);
  const [{ ensureOfflineMirrors }, { runner }] = await Promise.all([import('../../offline/readiness.js'), cli.engineDeps()]);
  const offline = await ensureOfflineMirrors({ runner, docker: cli.env.KINDLAB_DOCKER || 'docker', env: cli.env, cacheDir: cli.paths.cache, stateDir: cli.paths.state });
  return { ...offline, ...given };
}
