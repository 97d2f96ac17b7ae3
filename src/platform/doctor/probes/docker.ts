/** Is Docker usable at all? Every other container-related probe depends on this one. */
import type { DockerStatus } from '../../docker.js';
import type { DoctorContext, Finding, Probe } from '../types.js';

const isDesktopOs = (p: NodeJS.Platform) => p === 'darwin' || p === 'win32';

function unreachable(status: Exclude<DockerStatus, { state: 'ok' }>, platform: NodeJS.Platform): Omit<Finding, 'id' | 'title'> {
  switch (status.state) {
    case 'cli-missing':
      return {
        status: 'fail',
        message: 'the docker command was not found on PATH',
        fix: isDesktopOs(platform)
          ? 'Install Docker Desktop (or Colima / OrbStack on macOS), start it once, then open a new terminal.'
          : 'Install Docker Engine (https://docs.docker.com/engine/install/) and make sure `docker` is on PATH.',
      };
    case 'daemon-down':
      return {
        status: 'fail',
        message: 'the docker command works but the Docker daemon is not running',
        fix: isDesktopOs(platform)
          ? 'Start Docker Desktop and wait until it reports "Engine running", then run the command again.'
          : 'Start the daemon (`sudo systemctl start docker`), or start Docker Desktop if you use it.',
        details: [status.message],
      };
    case 'permission-denied':
      return {
        status: 'fail',
        message: 'you are not allowed to talk to the Docker daemon',
        fix:
          'Add yourself to the docker group (`sudo usermod -aG docker $USER`), then log out and back in. ' +
          'If ~/.docker was created by `sudo docker`, give it back: `sudo chown -R $USER ~/.docker`.',
        details: [status.message],
      };
    case 'error':
      return { status: 'fail', message: `docker info failed: ${status.message}`, fix: 'Run `docker info` to see the full error.' };
  }
}

/** For probes that need a working daemon: the info, or a skip finding explaining why not. */
export async function dockerInfoOrSkip(ctx: DoctorContext, id: string, title: string) {
  const status = await ctx.docker();
  if (status.state === 'ok') return { info: status.info };
  return { skip: { id, title, status: 'skip', message: 'needs a working Docker (see the Docker finding)' } satisfies Finding };
}

export const dockerProbe: Probe = {
  id: 'docker',
  title: 'Docker',
  async run(ctx) {
    const status = await ctx.docker();
    if (status.state !== 'ok') return [{ id: this.id, title: this.title, ...unreachable(status, ctx.platform) }];
    const i = status.info;
    return [
      {
        id: this.id,
        title: this.title,
        status: 'ok',
        message: `Docker ${i.serverVersion} is running (${i.operatingSystem || i.osType}, ${i.architecture})`,
      },
    ];
  },
};
