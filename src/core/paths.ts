/**
 * Where kindlab keeps things (XDG base directories). Tests point these elsewhere with
 * XDG_STATE_HOME / XDG_CACHE_HOME / XDG_CONFIG_HOME, never the user's real directories.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

type Env = Record<string, string | undefined>;

function base(env: Env, variable: string, fallback: string): string {
  const v = env[variable];
  return v && v.startsWith('/') ? v : join(env.HOME || homedir(), fallback);
}

export interface KindlabPaths {
  /** Progress, locks, per-lab kubeconfigs and run directories. */
  state: string;
  /** Downloaded tools and releases, image archives. */
  cache: string;
  config: string;
}

export function kindlabPaths(env: Env = process.env): KindlabPaths {
  return {
    state: join(base(env, 'XDG_STATE_HOME', '.local/state'), 'kindlab'),
    cache: join(base(env, 'XDG_CACHE_HOME', '.cache'), 'kindlab'),
    config: join(base(env, 'XDG_CONFIG_HOME', '.config'), 'kindlab'),
  };
}

/** The per-lab working directory: kubeconfig, progress, captured variables, logs. */
export function labStateDir(paths: KindlabPaths, labId: string): string {
  return join(paths.state, 'labs', labId);
}
