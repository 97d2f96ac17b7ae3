/** Finding tools the user already has, and asking them their version. */
import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import type { ProcessRunner } from '../../core/seams.js';
import type { ToolSpec } from './catalog.js';

type Env = Record<string, string | undefined>;

async function isExecutable(path: string): Promise<boolean> {
  try {
    const s = await stat(path);
    if (!s.isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable named `command` on env.PATH (tries .exe on Windows). */
export async function findOnPath(command: string, env: Env, windows = process.platform === 'win32'): Promise<string | undefined> {
  const dirs = (env.PATH ?? env.Path ?? '').split(windows ? ';' : delimiter).filter(Boolean);
  const names = windows ? [`${command}.exe`, command] : [command];
  for (const dir of dirs) {
    for (const name of names) {
      const candidate = join(dir, name);
      if (await isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

/**
 * The version `path` reports, or undefined when it cannot say (non-zero exit, unknown output,
 * timeout). The timeout matters: a tool too old to know the version subcommand may start doing
 * real work instead (cloud-provider-kind before v0.11 starts its controller).
 */
export async function detectVersion(spec: ToolSpec, path: string, runner: ProcessRunner, env: Env, timeoutMs = 10_000): Promise<string | undefined> {
  const res = await runner.run(path, spec.versionArgs, { env, timeoutMs });
  if (res.exitCode !== 0 || res.timedOut) return undefined;
  return spec.parseVersion(res.stdout);
}

/**
 * The Istio release directory an istioctl belongs to, when it sits in an unpacked release
 * (`<home>/bin/istioctl` with `samples/` and `manifests/` beside `bin/`). Labs need those trees, so
 * an istioctl installed on its own (Homebrew, `istioctl-*.tar.gz`) is not enough by itself.
 */
export async function istioHomeOf(istioctlPath: string): Promise<string | undefined> {
  try {
    const home = dirname(dirname(await realpath(istioctlPath)));
    const [samples, manifests] = await Promise.all([stat(join(home, 'samples')), stat(join(home, 'manifests'))]);
    return samples.isDirectory() && manifests.isDirectory() ? home : undefined;
  } catch {
    return undefined;
  }
}
