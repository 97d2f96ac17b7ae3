/**
 * Docker's memory and CPUs against what the lab declares in `requires`; without a lab, against
 * every lab's, so doctor, `list` and the README all read the one number in the front matter. Too
 * little memory is the most common cause of Istio failures, and it shows up as unrelated errors
 * (image pull timeouts, "resources not ready after 5m0s", Pending pods), so it is checked before
 * anything is created.
 */
import type { DoctorContext, Finding, Probe } from '../types.js';
import { GiB } from '../types.js';
import { dockerInfoOrSkip } from './docker.js';

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

/** Which labs (from their front matter `requires`) this Docker has the memory and CPUs for. */
function againstCatalog(ctx: DoctorContext, labs: NonNullable<DoctorContext['labs']>, info: { memTotalBytes: number; cpus: number; dockerDesktop: boolean }): Finding[] {
  const fitsMemory = (l: (typeof labs)[number]) => info.memTotalBytes >= l.requires.memoryGiB * GiB * REPORTED_MEMORY_FACTOR;
  const fitsCpus = (l: (typeof labs)[number]) => info.cpus >= l.requires.cpus;
  const range = (values: number[], unit: string) => {
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    return lo === hi ? `${lo}${unit}` : `${lo}–${hi}${unit}`;
  };
  const verdict = (fit: typeof labs): Finding['status'] => (fit.length === labs.length ? 'ok' : fit.length > 0 ? 'warn' : 'fail');
  const tooSmall = (fit: typeof labs, need: (l: (typeof labs)[number]) => string) => {
    const left = labs.filter((l) => !fit.includes(l));
    return left.length ? `; not for ${left.map((l) => `${l.id} (${need(l)})`).join(', ')}` : '';
  };
  const memFit = labs.filter(fitsMemory);
  const cpuFit = labs.filter(fitsCpus);
  const mostMemory = Math.max(...labs.map((l) => l.requires.memoryGiB));
  const mostCpus = Math.max(...labs.map((l) => l.requires.cpus));
  return [
    {
      id: 'docker.memory',
      title: 'Docker memory',
      status: verdict(memFit),
      message: `Docker has ${gib(info.memTotalBytes)} GiB of memory; the labs need ${range(labs.map((l) => l.requires.memoryGiB), ' GiB')}: enough for ${memFit.length} of ${labs.length}${tooSmall(memFit, (l) => `${l.requires.memoryGiB} GiB`)}`,
      ...(memFit.length < labs.length ? { fix: memoryFix(ctx, info.dockerDesktop, mostMemory) } : {}),
    },
    {
      id: 'docker.cpus',
      title: 'Docker CPUs',
      status: verdict(cpuFit),
      message: `Docker has ${info.cpus} CPUs; the labs need ${range(labs.map((l) => l.requires.cpus), '')}: enough for ${cpuFit.length} of ${labs.length}${tooSmall(cpuFit, (l) => `${l.requires.cpus} CPUs`)}`,
      ...(cpuFit.length < labs.length ? { fix: info.dockerDesktop ? `Docker Desktop → Settings → Resources → CPU limit: ${mostCpus} for every lab.` : 'Use a machine with more CPUs for the larger labs.' } : {}),
    },
  ];
}

export const resourcesProbe: Probe = {
  id: 'docker.resources',
  title: 'Docker memory and CPUs',
  async run(ctx) {
    const got = await dockerInfoOrSkip(ctx, 'docker.memory', 'Docker memory');
    if (!got.info) return [got.skip, { ...got.skip, id: 'docker.cpus', title: 'Docker CPUs' }];
    const info = got.info;
    // What a lab needs is written in one place, its front matter: without a lab, judge against all of them.
    if (!ctx.lab) {
      if (ctx.labs?.length) return againstCatalog(ctx, ctx.labs, info);
      const skip: Finding = { id: 'docker.memory', title: 'Docker memory', status: 'skip', message: 'no lab to compare with' };
      return [skip, { ...skip, id: 'docker.cpus', title: 'Docker CPUs' }];
    }
    const req = ctx.lab.requires;
    const whose = `lab "${ctx.lab.id}"`;
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
