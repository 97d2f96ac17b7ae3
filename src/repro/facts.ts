/**
 * Facts about the machine for a bug report: the host, the Docker engine's resources, and the
 * version each tool prints when run exactly as the lab ran it (the lab's PATH, so the pinned copies).
 */
import { arch, cpus, platform, release, totalmem } from 'node:os';
import type { ProcessRunner } from '../core/seams.js';
import { createDocker } from '../platform/docker.js';

export interface DockerFacts {
  serverVersion: string;
  os: string;
  arch: string;
  cpus: number;
  memoryGiB: number;
  cgroup: string;
  rootless: boolean;
  dockerDesktop: boolean;
  kernel: string;
}

export interface HostInfo {
  os: string;
  release: string;
  arch: string;
  node: string;
  cpus: number;
  memoryGiB: number;
  docker: DockerFacts | { error: string };
}

export interface ToolVersion {
  tool: string;
  command: string;
  /** The tool's own words (first lines), or why it could not say. */
  output: string;
  ok: boolean;
}

const gib = (bytes: number) => Math.round((bytes / 1024 ** 3) * 10) / 10;

export async function hostInfo(runner: ProcessRunner, env: Record<string, string | undefined>): Promise<HostInfo> {
  const status = await createDocker(runner, env).info();
  const docker: HostInfo['docker'] =
    status.state === 'ok'
      ? {
          serverVersion: status.info.serverVersion,
          os: status.info.operatingSystem,
          arch: status.info.architecture,
          cpus: status.info.cpus,
          memoryGiB: gib(status.info.memTotalBytes),
          cgroup: [status.info.cgroupVersion && `v${status.info.cgroupVersion}`, status.info.cgroupDriver].filter(Boolean).join(' '),
          rootless: status.info.rootless,
          dockerDesktop: status.info.dockerDesktop,
          kernel: status.info.kernelVersion,
        }
      : { error: `${status.state}: ${status.message}` };
  return { os: platform(), release: release(), arch: arch(), node: process.version, cpus: cpus().length, memoryGiB: gib(totalmem()), docker };
}

/** The version commands, none of which talks to a cluster. */
export const VERSION_COMMANDS: Array<{ tool: string; args: string[] }> = [
  { tool: 'kind', args: ['version'] },
  { tool: 'kubectl', args: ['version', '--client'] },
  { tool: 'istioctl', args: ['version', '--remote=false'] },
  { tool: 'helm', args: ['version', '--short'] },
  { tool: 'docker', args: ['version', '--format', 'client {{.Client.Version}}, server {{.Server.Version}}'] },
];

export async function toolVersions(runner: ProcessRunner, env: Record<string, string | undefined>, tools = VERSION_COMMANDS): Promise<ToolVersion[]> {
  return Promise.all(
    tools.map(async ({ tool, args }) => {
      const r = await runner.run(tool, args, { env, timeoutMs: 20_000 });
      const text = (r.exitCode === 0 ? r.stdout : r.stderr || r.stdout).trim().split('\n').slice(0, 4).join('\n');
      return { tool, command: [tool, ...args].join(' '), output: r.exitCode === 0 ? text : `not available (exit ${r.exitCode}${text ? `: ${text.split('\n')[0]}` : ''})`, ok: r.exitCode === 0 };
    }),
  );
}
