/**
 * What every command gets: the terminal, paths, flags, and lazy factories for the heavy parts
 * (process runner, Kubernetes client, platform, prompts), so `kindlab list` never loads them.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock, Prompter, Terminal } from '../core/seams.js';
import { kindlabPaths, labStateDir, type KindlabPaths } from '../core/paths.js';
import type { EngineDeps } from '../engine/runtime.js';
import type { Platform } from '../platform/types.js';
import { createLiveStatus } from './live-status.js';
import { createTerminal } from './terminal.js';

export interface Cli {
  term: Terminal;
  env: Record<string, string | undefined>;
  paths: KindlabPaths;
  verbose: boolean;
  version: string;
  /** A phase or wait for the user: one live line on a terminal (src/cli/live-status.ts), plain lines in a pipe. */
  status(message: string): void;
  /** Ends the live status block, if one is drawn (before exiting). */
  settle(): void;
  engineDeps(): Promise<EngineDeps>;
  platform(): Promise<Platform>;
  prompter(opts: { yes: boolean }): Promise<Prompter>;
  labDir(labId: string): string;
  /** The lab that one-shot commands (check, hint, ...) act on when --lab is not given. */
  currentLab(): Promise<string | undefined>;
  setCurrentLab(labId: string): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const t = setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => {
        clearTimeout(t);
        reject(signal.reason);
      }, { once: true });
    }),
};

export function packageRoot(): string {
  // dist/cli/context.js or src/cli/context.ts → the package root is two levels up.
  return dirname(dirname(dirname(fileURLToPath(import.meta.url))));
}

let cachedVersion: string | undefined;
export function kindlabVersion(): string {
  cachedVersion ??= (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return cachedVersion;
}

export function createCli(opts: { verbose: boolean; noColor: boolean; env?: Record<string, string | undefined> }): Cli {
  const env = opts.env ?? process.env;
  const screen = createTerminal(env, opts.noColor);
  const live = createLiveStatus({ isTTY: screen.isTTY, color: screen.color, write: screen.err });
  // Whatever else is printed ends the live block first, so output never lands inside it.
  const term: Terminal = {
    ...screen,
    out: (t) => (live.pause(), screen.out(t)),
    err: (t) => (live.pause(), screen.err(t)),
  };
  const paths = kindlabPaths(env);
  let deps: Promise<EngineDeps> | undefined;
  let platform: Promise<Platform> | undefined;
  const currentFile = join(paths.state, 'current-lab');
  const cli: Cli = {
    term,
    env,
    paths,
    verbose: opts.verbose,
    version: kindlabVersion(),
    status: (m) => live.status(m),
    settle: () => live.pause(),
    engineDeps() {
      deps ??= (async () => {
        const [{ createProcessRunner }, { createKubeClientFactory }, { runCheck }] = await Promise.all([
          import('../platform/exec.js'),
          import('../platform/kube.js'),
          import('../checks/run.js'),
        ]);
        return { runner: createProcessRunner(), kube: createKubeClientFactory(), clock: systemClock, runCheck, baseEnv: env };
      })();
      return deps;
    },
    platform() {
      platform ??= (async () => {
        const [{ createPlatform }, { createToolProvider }, d] = await Promise.all([
          import('../platform/platform.js'),
          import('../platform/tool-provider.js'),
          cli.engineDeps(),
        ]);
        const tools = createToolProvider({
          cacheDir: paths.cache,
          runner: d.runner,
          env,
          progress: live.progress,
        });
        return createPlatform({ runner: d.runner, kube: d.kube, clock: d.clock, env, paths, ensureTools: tools.ensureTools, locateTools: tools.locateTools });
      })();
      return platform;
    },
    async prompter({ yes }) {
      live.pause();
      const { createPrompter } = await import('./prompter.js');
      return createPrompter({ yes });
    },
    labDir: (labId) => labStateDir(paths, labId),
    async currentLab() {
      try {
        return (await readFile(currentFile, 'utf8')).trim() || undefined;
      } catch {
        return undefined;
      }
    },
    async setCurrentLab(labId) {
      await mkdir(dirname(currentFile), { recursive: true });
      await writeFile(currentFile, labId + '\n');
    },
  };
  return cli;
}
