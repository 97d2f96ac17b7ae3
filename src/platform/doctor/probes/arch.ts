/**
 * CPU architecture. kind node images exist for amd64 and arm64 only, and must match the daemon's
 * architecture: forcing amd64 on Apple Silicon (DOCKER_DEFAULT_PLATFORM=linux/amd64) makes the
 * control plane crash under emulation (kind#2632).
 */
import type { Finding, Probe } from '../types.js';

export function normalizeArch(arch: string): string {
  const a = arch.toLowerCase();
  if (a === 'x86_64' || a === 'amd64' || a === 'x64') return 'amd64';
  if (a === 'aarch64' || a === 'arm64' || a.startsWith('armv8')) return 'arm64';
  return a;
}

export const archProbe: Probe = {
  id: 'arch',
  title: 'Architecture',
  async run(ctx) {
    const docker = await ctx.docker();
    if (docker.state !== 'ok') return [{ id: this.id, title: this.title, status: 'skip', message: 'needs a working Docker (see the Docker finding)' }];
    const daemon = normalizeArch(docker.info.architecture);
    const host = normalizeArch(ctx.hostArch);
    const findings: Finding[] = [];
    if (daemon !== 'amd64' && daemon !== 'arm64') {
      return [
        {
          id: this.id,
          title: this.title,
          status: 'fail',
          message: `Docker runs on ${docker.info.architecture}; kind node images exist for amd64 and arm64 only`,
          fix: 'Use an amd64 or arm64 machine.',
        },
      ];
    }
    const forced = ctx.env.DOCKER_DEFAULT_PLATFORM;
    const forcedArch = forced ? normalizeArch(forced.split('/')[1] ?? '') : undefined;
    if (forced && forcedArch !== daemon) {
      findings.push({
        id: 'arch.default-platform',
        title: 'DOCKER_DEFAULT_PLATFORM',
        status: 'warn',
        message: `DOCKER_DEFAULT_PLATFORM=${forced} forces ${forcedArch} images on an ${daemon} Docker; kind nodes crash under emulation`,
        fix: 'Unset it for kindlab: `unset DOCKER_DEFAULT_PLATFORM` (and remove it from your shell profile).',
      });
    }
    if (host !== daemon) {
      findings.push({
        id: this.id,
        title: this.title,
        status: 'warn',
        message: `this machine is ${host} but Docker runs ${daemon} (emulated); clusters will be slow or fail`,
        fix: `Install the ${host} build of Docker.`,
      });
    } else {
      findings.unshift({ id: this.id, title: this.title, status: 'ok', message: `${daemon} (kind node images are multi-arch)` });
    }
    return findings;
  },
};
