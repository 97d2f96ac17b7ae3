/**
 * inotify limits. Multi-node and multi-cluster kind setups (and istio-cni, ztunnel) exhaust the
 * defaults (Ubuntu: 8192 watches, 128 instances) and fail with "too many open files". kind's
 * known-issues page recommends 524288 / 512.
 *
 * Only the Linux host is read here. On Docker Desktop and WSL2 the limits that matter are the VM's;
 * they are not namespaced, so a container could read them (`docker run --rm alpine cat ...`), but
 * that costs an image pull, so this probe skips and says how to check by hand.
 */
import { join } from 'node:path';
import type { DoctorContext, Finding, Probe } from '../types.js';

export const INOTIFY_MIN = { max_user_watches: 524_288, max_user_instances: 512 } as const;
type Limit = keyof typeof INOTIFY_MIN;

/** Total nodes the lab creates; with one node the defaults are usually enough. */
function nodeCount(ctx: DoctorContext): number {
  if (!ctx.lab) return 1;
  return ctx.lab.clusters.reduce((n, c) => n + (c.nodes?.length ?? (1 + (c.workers ?? 0))), 0);
}

async function readLimit(ctx: DoctorContext, name: Limit): Promise<number | undefined> {
  try {
    const n = Number.parseInt((await ctx.fs.readFile(join(ctx.procRoot, 'sys/fs/inotify', name))).trim(), 10);
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

export const inotifyProbe: Probe = {
  id: 'inotify',
  title: 'inotify limits',
  async run(ctx) {
    const docker = await ctx.docker();
    const vm = docker.state === 'ok' && docker.info.dockerDesktop;
    if (ctx.platform !== 'linux' || vm) {
      return [
        {
          id: this.id,
          title: this.title,
          status: 'skip',
          message: 'Docker runs in a VM here; its limits are not visible from the host',
          fix: 'To check by hand: docker run --rm alpine cat /proc/sys/fs/inotify/max_user_watches /proc/sys/fs/inotify/max_user_instances',
        },
      ];
    }
    const nodes = nodeCount(ctx);
    const findings: Finding[] = [];
    for (const name of Object.keys(INOTIFY_MIN) as Limit[]) {
      const id = `inotify.${name}`;
      const title = `fs.inotify.${name}`;
      const value = await readLimit(ctx, name);
      const min = INOTIFY_MIN[name];
      if (value === undefined) {
        findings.push({ id, title, status: 'skip', message: `cannot read ${join(ctx.procRoot, 'sys/fs/inotify', name)}` });
      } else if (value >= min) {
        findings.push({ id, title, status: 'ok', message: `${value} (≥ ${min})` });
      } else {
        findings.push({
          id,
          title,
          // A lone node rarely hits the limit; several nodes or clusters do (kind#2586, kind#2819).
          status: nodes > 1 ? 'fail' : 'warn',
          message: `${value}, below the ${min} kind recommends${nodes > 1 ? ` for a lab with ${nodes} nodes` : ''}`,
          fix: `sudo sysctl fs.inotify.${name}=${min} (add "fs.inotify.${name} = ${min}" to /etc/sysctl.conf to keep it).`,
        });
      }
    }
    return findings;
  },
};
