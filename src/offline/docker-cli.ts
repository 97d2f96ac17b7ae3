/** The few docker CLI calls the offline commands make, through the injected ProcessRunner. */
import { KindlabError } from '../core/errors.js';
import type { ProcessRunner, RunResult } from '../core/seams.js';
import { prettyCommand } from '../platform/exec.js';
import { formatImage, parseImage } from './image-ref.js';

export interface DockerCli {
  runner: ProcessRunner;
  /** The docker executable (KINDLAB_DOCKER or "docker"). */
  docker: string;
  env: Record<string, string | undefined>;
}

export const run = (d: DockerCli, args: string[], timeoutMs = 60_000): Promise<RunResult> => d.runner.run(d.docker, args, { env: d.env, timeoutMs });

/** A failed docker call as an environment error quoting the command and its last line of output. */
export function dockerFailed(r: RunResult, what: string): KindlabError {
  const last = (r.stderr || r.stdout).trim().split('\n').at(-1) ?? '';
  return new KindlabError('environment', `could not ${what}: ${last || `exit code ${r.exitCode}`}`, { details: [`command: ${prettyCommand(r.argv)}`] });
}

export async function mustDocker(d: DockerCli, args: string[], what: string, timeoutMs?: number): Promise<RunResult> {
  const r = await run(d, args, timeoutMs);
  if (r.exitCode !== 0) throw dockerFailed(r, what);
  return r;
}

export async function imagePresent(d: DockerCli, ref: string): Promise<boolean> {
  return (await run(d, ['image', 'inspect', '--format', '{{.Id}}', ref])).exitCode === 0;
}

/** linux/<arch> of the engine: images must match the daemon (a Mac's VM is arm64), not the CLI's host. */
export async function engineArch(d: DockerCli, fallback: string): Promise<string> {
  const r = await run(d, ['version', '--format', '{{.Server.Arch}}']);
  const arch = r.exitCode === 0 ? r.stdout.trim() : '';
  if (arch === 'x86_64' || arch === 'amd64') return 'amd64';
  if (arch === 'aarch64' || arch === 'arm64') return 'arm64';
  return arch || fallback;
}

/**
 * The name an image is saved under. `docker pull name:tag@sha256:…` stores the image by digest
 * only, and `docker save`/`docker load` with the classic image store keep tags but drop digests,
 * so a digest-pinned image gets a tag of its own that survives the trip: its tag when it has one,
 * else kindlab-<first 16 hex digits of the digest>.
 */
export function savedName(ref: string): string {
  const p = parseImage(ref);
  if (!p?.digest) return ref;
  return formatImage({ registry: p.registry, repository: p.repository, tag: p.tag ?? `kindlab-${p.digest.slice('sha256:'.length, 'sha256:'.length + 16)}` });
}
