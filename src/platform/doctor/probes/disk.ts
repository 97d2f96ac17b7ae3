/**
 * Free disk space where images will land. Disk pressure makes a cluster "create" and then evict
 * everything, which is hard to diagnose later. On a Linux host with a local daemon that is Docker's
 * root dir; with Docker Desktop images live in the VM's own disk, invisible from here, so kindlab's
 * state directory is checked instead and the finding says so.
 */
import { dirname } from 'node:path';
import type { DoctorContext, Probe } from '../types.js';
import { GiB } from '../types.js';

/** Node image, Istio and sample images, with room to spare, for labs that do not say. */
export const DEFAULT_DISK_GIB = 10;
export const DISK_WARN_FACTOR = 1.5;

/** statfs needs an existing path: walk up until one exists. */
async function freeBytesNear(ctx: DoctorContext, path: string): Promise<{ path: string; free: number } | undefined> {
  let p = path;
  for (;;) {
    try {
      return { path: p, free: await ctx.fs.freeBytes(p) };
    } catch {
      const up = dirname(p);
      if (up === p) return undefined;
      p = up;
    }
  }
}

export const diskProbe: Probe = {
  id: 'disk',
  title: 'Free disk space',
  async run(ctx) {
    const docker = await ctx.docker();
    const local = docker.state === 'ok' && ctx.platform === 'linux' && !docker.info.dockerDesktop && docker.info.dockerRootDir !== '';
    const target = local && docker.state === 'ok' ? docker.info.dockerRootDir : ctx.paths.state;
    const measured = await freeBytesNear(ctx, target);
    if (!measured) return [{ id: this.id, title: this.title, status: 'skip', message: `cannot measure free space for ${target}` }];
    const need = ctx.lab?.requires.diskGiB ?? DEFAULT_DISK_GIB;
    const free = measured.free / GiB;
    const where = local ? `${measured.path} (Docker's data)` : measured.path;
    const message = `${free.toFixed(1)} GiB free on ${where}; ${ctx.lab ? `lab "${ctx.lab.id}"` : 'a lab'} needs about ${need} GiB`;
    const details = local ? undefined : ['Docker Desktop and remote daemons keep images on their own disk; check it with `docker system df`.'];
    const fix = 'Free space with `docker system prune` (removes stopped containers and unused images) or enlarge the Docker disk.';
    if (free < need) return [{ id: this.id, title: this.title, status: 'fail', message, fix, ...(details ? { details } : {}) }];
    if (free < need * DISK_WARN_FACTOR) return [{ id: this.id, title: this.title, status: 'warn', message, fix, ...(details ? { details } : {}) }];
    return [{ id: this.id, title: this.title, status: 'ok', message, ...(details ? { details } : {}) }];
  },
};
