/**
 * Doctor probes: small checks of the learner's machine, each returning findings as data. The CLI
 * decides how to print them; `start`/`run` refuse to continue on any `fail`.
 */
import type { ProcessRunner } from '../../core/seams.js';
import type { FrontMatter } from '../../model/frontmatter-schema.js';
import type { Step } from '../../model/lab.js';
import type { DockerStatus } from '../docker.js';
import type { Pins } from '../tools/versions.js';

export type FindingStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface Finding {
  /** Stable id, e.g. "docker.memory", for --json consumers and tests. */
  id: string;
  title: string;
  status: FindingStatus;
  message: string;
  /** What to do about it, when there is something to do. */
  fix?: string;
  details?: string[];
}

/** The parts of a lab the probes look at; `steps` are the commands that decide its tools (labTools). */
export type LabRequirements = Pick<FrontMatter, 'id' | 'requires' | 'clusters'> & { addons?: FrontMatter['addons']; steps?: readonly Step[] };

export type BindResult = { ok: true } | { ok: false; code: string; message: string };

export interface DoctorContext {
  runner: ProcessRunner;
  env: Record<string, string | undefined>;
  /** The host OS as Node names it. */
  platform: NodeJS.Platform;
  /** The host CPU as Node names it (x64, arm64). */
  hostArch: string;
  lab?: LabRequirements;
  /** Without `lab`: the labs to judge the machine against (their front matter `requires`). */
  labs?: Array<Pick<FrontMatter, 'id' | 'requires'>>;
  pins: Pins;
  /** KindlabPaths: the state dir is where disk space is checked when Docker's root is not local. */
  paths: { state: string; cache: string };
  /** `docker info`, run once and shared by every probe. */
  docker(): Promise<DockerStatus>;
  fs: {
    readFile(path: string): Promise<string>;
    /** Free bytes available to unprivileged users on the filesystem holding `path`. */
    freeBytes(path: string): Promise<number>;
  };
  /** Root of the proc filesystem (tests point it at a fake tree). */
  procRoot: string;
  net: {
    /** Tries to listen on host:port and closes again at once. */
    tryBind(host: string, port: number): Promise<BindResult>;
  };
  fetch: typeof fetch;
  /** Upper bound for each network probe. */
  networkTimeoutMs: number;
}

export interface Probe {
  id: string;
  title: string;
  run(ctx: DoctorContext): Promise<Finding[]>;
}

export const GiB = 1024 ** 3;
