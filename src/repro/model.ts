/** What a reproduction records: the run itself plus the facts and cluster state around it. */
import type { RunReport } from '../engine/report.js';
import type { ClusterDump } from './dump.js';
import type { HostInfo, ToolVersion } from './facts.js';

export interface ReproData {
  report: RunReport;
  /** The step the run was asked to stop after (id), when --until was given. */
  until?: string;
  /** The version overrides of the run (--istio, --k8s, ...). */
  overrides: Record<string, string>;
  host: HostInfo;
  tools: ToolVersion[];
  /** Images the lab declares (derived list), for comparison with what ran. */
  declaredImages: string[];
  /** Per cluster of the lab. */
  dumps: Array<{ cluster: string; dump: ClusterDump }>;
  /** Why there is no cluster state, when there is none. */
  dumpSkipped?: string;
  /** The kindlab command line that reproduces this run. */
  command: string;
}
