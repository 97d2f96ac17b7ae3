/**
 * `kindlab doctor` and the pre-flight of `start`/`run`: runs the probes and returns findings.
 * Printing and exit codes belong to the CLI (renderFindings, blockingFindings).
 */
import { ExitCode, toMessage } from '../../core/errors.js';
import type { ToolOverrides } from '../types.js';
import { resolvePins } from '../tools/versions.js';
import { defaultDoctorContext } from './context.js';
import { archProbe } from './probes/arch.js';
import { clustersProbe } from './probes/clusters.js';
import { diskProbe } from './probes/disk.js';
import { dockerProbe } from './probes/docker.js';
import { inotifyProbe } from './probes/inotify.js';
import { portsProbe } from './probes/ports.js';
import { registriesProbe } from './probes/registries.js';
import { resourcesProbe } from './probes/resources.js';
import { runtimeProbe } from './probes/runtime.js';
import { toolsProbe } from './probes/tools.js';
import type { DoctorContext, Finding, LabRequirements, Probe } from './types.js';

export type { DoctorContext, Finding, FindingStatus, LabRequirements, Probe } from './types.js';
export { renderFindings } from './render.js';

/** In the order findings are shown: the runtime first, because most other problems follow from it. */
export const defaultProbes: Probe[] = [
  dockerProbe,
  resourcesProbe,
  runtimeProbe,
  archProbe,
  inotifyProbe,
  diskProbe,
  portsProbe,
  toolsProbe,
  clustersProbe,
  registriesProbe,
];

export interface RunDoctorOptions {
  /** The lab about to start (`lab.meta` works); without one, probes check a single-cluster Istio baseline. */
  lab?: LabRequirements;
  probes?: Probe[];
  /** The run's --kind/--k8s/--istio/... flags, so tool findings compare against what will really be used. */
  overrides?: ToolOverrides;
  /** Replaces parts of the real context (tests, or the CLI passing its runner and pins). */
  context?: Partial<DoctorContext>;
}

export async function runDoctor(opts: RunDoctorOptions = {}): Promise<Finding[]> {
  const ctx = defaultDoctorContext({
    ...(opts.overrides ? { pins: resolvePins(opts.overrides) } : {}),
    ...opts.context,
    ...(opts.lab ? { lab: opts.lab } : {}),
  });
  const probes = opts.probes ?? defaultProbes;
  // Probes are independent and mostly wait on processes or the network: run them together,
  // report in the declared order. A probe that throws is a kindlab bug; it must not hide the rest.
  const results = await Promise.all(
    probes.map((p) =>
      p.run(ctx).catch((err: unknown): Finding[] => [
        { id: p.id, title: p.title, status: 'warn', message: `this check could not run: ${toMessage(err)}` },
      ]),
    ),
  );
  return results.flat();
}

/** Findings that stop `start` and `run`. */
export function blockingFindings(findings: Finding[]): Finding[] {
  return findings.filter((f) => f.status === 'fail');
}

export function doctorExitCode(findings: Finding[]): ExitCode {
  return blockingFindings(findings).length > 0 ? ExitCode.environment : ExitCode.ok;
}
