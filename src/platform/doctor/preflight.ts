/**
 * One verdict per lab, shared by `kindlab doctor --lab` and the preflight of `start`/`run`/`repro`:
 * both split the probes the same way and decide readiness with the same rule, so doctor can never
 * say a machine runs a lab that start then refuses (as it did when doctor checked inotify without
 * the lab, where a single node only warns, and start with it, where several nodes fail).
 */
import type { ToolOverrides } from '../types.js';
import { blockingFindings, defaultProbes, runDoctor } from './index.js';
import type { DoctorContext, Finding, LabRequirements } from './types.js';

/** Probes whose findings depend on the lab (its requirements, nodes, ports, tools, own clusters). */
export const LAB_PROBE_IDS: ReadonlySet<string> = new Set(['docker.resources', 'inotify', 'disk', 'ports', 'tools', 'clusters']);
/** Probes that only ever warn: a network that blocks a registry may still pull through a mirror or proxy. */
export const ADVISORY_PROBE_IDS: ReadonlySet<string> = new Set(['registries']);

export const machineProbes = defaultProbes.filter((p) => !LAB_PROBE_IDS.has(p.id));
export const labProbes = defaultProbes.filter((p) => LAB_PROBE_IDS.has(p.id));

export interface LabVerdict {
  /** Findings about the machine alone (Docker, runtime, architecture, registries when checked). */
  machine: Finding[];
  /** Findings about this machine for this lab. */
  lab: Finding[];
  /** No finding of either list fails. */
  ready: boolean;
}

export interface PreflightOptions {
  lab: LabRequirements;
  overrides?: ToolOverrides;
  context?: Partial<DoctorContext>;
  /** Machine findings already gathered (doctor checks several labs against one machine run). */
  machine?: Finding[];
}

export async function checkLab(opts: PreflightOptions): Promise<LabVerdict> {
  const common = { ...(opts.overrides ? { overrides: opts.overrides } : {}), ...(opts.context ? { context: opts.context } : {}) };
  // Without a run from doctor, the advisory probes are left out: they cannot change the verdict and
  // the network ones may take seconds on a blocked network.
  const machine = opts.machine ?? (await runDoctor({ ...common, lab: opts.lab, probes: machineProbes.filter((p) => !ADVISORY_PROBE_IDS.has(p.id)) }));
  const lab = await runDoctor({ ...common, lab: opts.lab, probes: labProbes });
  return { machine, lab, ready: blockingFindings([...machine, ...lab]).length === 0 };
}

/**
 * `kindlab doctor`: the machine once (every probe when no lab is named), then each lab's verdict
 * as checkLab gives it to `start`.
 */
export async function checkLabs(labs: readonly LabRequirements[], opts: Omit<PreflightOptions, 'lab' | 'machine'> = {}): Promise<{ machine: Finding[]; labs: LabVerdict[] }> {
  const common = { ...(opts.overrides ? { overrides: opts.overrides } : {}), ...(opts.context ? { context: opts.context } : {}) };
  const machine = await runDoctor({ ...common, probes: labs.length ? machineProbes : defaultProbes });
  const verdicts: LabVerdict[] = [];
  for (const lab of labs) verdicts.push(await checkLab({ ...opts, lab, machine }));
  return { machine, labs: verdicts };
}
