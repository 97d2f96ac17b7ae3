/**
 * Docker's memory and CPUs against what the lab declares in `requires`. Too little memory is the
 * most common cause of Istio failures, and it shows up as unrelated errors (image pull timeouts,
 * "resources not ready after 5m0s", Pending pods), so it is checked before anything is created.
 */
import type { DoctorContext, Finding, Probe } from '../types.js';
import { GiB } from '../types.js';
import { dockerInfoOrSkip } from './docker.js';

/**
 * Without a lab: enough for one kind cluster with Istio's demo profile; failing below 6 GiB / 2 CPUs and
 * warning below 8 GiB matches what Istio's docs ask of Docker Desktop (8 GB, 4 CPUs).
 */
export const DEFAULT_REQUIREMENT = { memoryGiB: 6, cpus: 2 };
/** Headroom above the requirement before the memory finding turns green. */
export const MEMORY_MARGIN_GIB = 2;
/**
 * A VM or host reports a little less than its nominal size (the kernel keeps some): Docker Desktop
 * set to 8 GiB shows about 7.7 GiB. Comparisons allow for that, or an exactly-sized VM would fail.
 */
export const REPORTED_MEMORY_FACTOR = 0.95;

const gib = (bytes: number) => (bytes / GiB).toFixed(1);

function memoryFix(ctx: DoctorContext, desktop: boolean, wantGiB: number): string {
  if (desktop) return `Docker Desktop → Settings → Resources → Memory: set at least ${wantGiB} GiB, then Apply & restart.`;
  if (ctx.env.WSL_DISTRO_NAME) return `Raise the WSL2 VM's memory: in %UserProfile%\\.wslconfig set memory=${wantGiB}GB under [wsl2], then run \`wsl --shutdown\`.`;
  return 'Close memory-hungry programs, delete leftover kind clusters, or use a machine with more memory.';
}

export const resourcesProbe: Probe = {
  id: 'docker.resources',
  title: 'Docker memory and CPUs',
  async run(ctx) {
    const got = await dockerInfoOrSkip(ctx, 'docker.memory', 'Docker memory');
    if (!got.info) return [got.skip, { ...got.skip, id: 'docker.cpus', title: 'Docker CPUs' }];
    const info = got.info;
    const req = ctx.lab?.requires ?? DEFAULT_REQUIREMENT;
    const whose = ctx.lab ? `lab "${ctx.lab.id}"` : 'a single-cluster Istio lab';
    const findings: Finding[] = [];

    const have = info.memTotalBytes;
    const failBelow = req.memoryGiB * GiB * REPORTED_MEMORY_FACTOR;
    const warnBelow = (req.memoryGiB + MEMORY_MARGIN_GIB) * GiB * REPORTED_MEMORY_FACTOR;
    const numbers = `Docker has ${gib(have)} GiB of memory; ${whose} needs ${req.memoryGiB} GiB`;
    if (have < failBelow) {
      findings.push({ id: 'docker.memory', title: 'Docker memory', status: 'fail', message: numbers, fix: memoryFix(ctx, info.dockerDesktop, req.memoryGiB + MEMORY_MARGIN_GIB) });
    } else if (have < warnBelow) {
      findings.push({
        id: 'docker.memory',
        title: 'Docker memory',
        status: 'warn',
        message: `${numbers} (${req.memoryGiB + MEMORY_MARGIN_GIB} GiB leaves room for image pulls and your other containers)`,
        fix: memoryFix(ctx, info.dockerDesktop, req.memoryGiB + MEMORY_MARGIN_GIB),
      });
    } else {
      findings.push({ id: 'docker.memory', title: 'Docker memory', status: 'ok', message: numbers });
    }

    // CPUs are time-shared, so being exactly at the requirement is fine: only below it fails.
    const cpuNumbers = `Docker has ${info.cpus} CPUs; ${whose} needs ${req.cpus}`;
    findings.push(
      info.cpus < req.cpus
        ? {
            id: 'docker.cpus',
            title: 'Docker CPUs',
            status: 'fail',
            message: cpuNumbers,
            fix: info.dockerDesktop
              ? `Docker Desktop → Settings → Resources → CPU limit: at least ${req.cpus}.`
              : ctx.env.WSL_DISTRO_NAME
                ? `Set processors=${req.cpus} in %UserProfile%\\.wslconfig, then run \`wsl --shutdown\`.`
                : 'Use a machine with more CPUs for this lab.',
          }
        : { id: 'docker.cpus', title: 'Docker CPUs', status: 'ok', message: cpuNumbers },
    );
    return findings;
  },
};
