/**
 * The docker CLI, through the ProcessRunner. Only what kindlab needs: is the daemon usable and how
 * big is it, which containers carry a label, remove them, and a container's IP on a network.
 *
 * `docker info --format '{{json .}}'` is the probe. Its behaviour when the daemon is unreachable was
 * read from docker/cli `cli/command/system/info.go`: with a --format it still prints the JSON (the
 * client part, zero-valued server fields and a `ServerErrors` list), writes the error to stderr and
 * can exit 0. So the exit code alone does not tell "daemon down"; ServerErrors does. Older CLIs exit
 * non-zero instead; both are handled.
 */
import { KindlabError } from '../core/errors.js';
import type { ProcessRunner, RunResult } from '../core/seams.js';
import { prettyCommand } from './exec.js';

type Env = Record<string, string | undefined>;

export interface DockerInfo {
  serverVersion: string;
  /** Bytes of memory the daemon's host (or Docker Desktop's VM) has. */
  memTotalBytes: number;
  cpus: number;
  osType: string;
  /** As the daemon reports it: x86_64, aarch64, ... */
  architecture: string;
  /** "1" or "2"; empty when unknown. */
  cgroupVersion: string;
  cgroupDriver: string;
  rootless: boolean;
  operatingSystem: string;
  /** Docker Desktop runs the daemon in a VM: host networking, memory and /proc differ from the host's. */
  dockerDesktop: boolean;
  dockerRootDir: string;
  kernelVersion: string;
  securityOptions: string[];
  /** Daemon warnings (e.g. "No swap limit support"). */
  warnings: string[];
}

export type DockerStatus =
  | { state: 'ok'; info: DockerInfo }
  | { state: 'cli-missing'; message: string }
  | { state: 'daemon-down'; message: string }
  | { state: 'permission-denied'; message: string }
  | { state: 'error'; message: string };

interface RawInfo {
  ServerVersion?: string;
  MemTotal?: number;
  NCPU?: number;
  OSType?: string;
  Architecture?: string;
  CgroupVersion?: string;
  CgroupDriver?: string;
  OperatingSystem?: string;
  DockerRootDir?: string;
  KernelVersion?: string;
  SecurityOptions?: string[] | null;
  Warnings?: string[] | null;
  ServerErrors?: string[];
}

/** The last stderr line is the command's own error; earlier ones may be shell profile noise. */
const lastLine = (text: string) => text.trim().split('\n').at(-1) ?? '';

const patterns = {
  // Only a *docker* "not found": the runner's shell may print unrelated profile noise such as
  // "pyenv: command not found" before the real error.
  cliMissing: /\bdocker(\.exe)?:? (command )?not found|spawn docker ENOENT|'docker' is not recognized/i,
  permission: /permission denied/i,
  daemonDown: /cannot connect to the docker daemon|is the docker daemon running|error during connect|dockerDesktopLinuxEngine|docker_engine/i,
};

/** Sorts a failure into the cases a learner fixes differently, quoting the line that decided. */
function classify(text: string, exitCode: number): DockerStatus {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const pick = (re: RegExp) => lines.find((l) => re.test(l));
  const permission = pick(patterns.permission);
  if (permission) return { state: 'permission-denied', message: permission };
  const down = pick(patterns.daemonDown);
  if (down) return { state: 'daemon-down', message: down };
  const missing = pick(patterns.cliMissing);
  if (missing || exitCode === 127) return { state: 'cli-missing', message: missing ?? 'docker: command not found' };
  return { state: 'error', message: lines.at(-1) ?? `docker exited with code ${exitCode}` };
}

/** Pure: turns the result of `docker info --format '{{json .}}'` into a status. */
export function parseDockerInfo(res: Pick<RunResult, 'exitCode' | 'stdout' | 'stderr'>): DockerStatus {
  let raw: RawInfo | undefined;
  try {
    raw = JSON.parse(res.stdout) as RawInfo;
  } catch {
    raw = undefined;
  }
  const serverErrors = raw?.ServerErrors ?? [];
  // Zero-valued server fields mean the CLI answered for a daemon it never reached.
  const empty = !raw || (!raw.ServerVersion && !raw.NCPU);
  if (res.exitCode !== 0 || serverErrors.length > 0 || empty) {
    return classify([...serverErrors, res.stderr, res.stdout.startsWith('{') ? '' : res.stdout].join('\n'), res.exitCode);
  }
  const securityOptions = raw?.SecurityOptions ?? [];
  const operatingSystem = raw?.OperatingSystem ?? '';
  const r = raw as RawInfo;
  return {
    state: 'ok',
    info: {
      serverVersion: r.ServerVersion ?? '',
      memTotalBytes: r.MemTotal ?? 0,
      cpus: r.NCPU ?? 0,
      osType: r.OSType ?? '',
      architecture: r.Architecture ?? '',
      cgroupVersion: r.CgroupVersion ?? '',
      cgroupDriver: r.CgroupDriver ?? '',
      // SecurityOptions entries look like "name=rootless" or "name=seccomp,profile=builtin".
      rootless: securityOptions.some((o) => o.split(',').includes('name=rootless')),
      operatingSystem,
      dockerDesktop: /docker desktop/i.test(operatingSystem),
      dockerRootDir: r.DockerRootDir ?? '',
      kernelVersion: r.KernelVersion ?? '',
      securityOptions,
      warnings: r.Warnings ?? [],
    },
  };
}

export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  state: string;
  status: string;
  labels: Record<string, string>;
}

/** `docker ps --format '{{json .}}'` prints Labels as "k=v,k2=v2". */
function parseLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    if (eq < 0) labels[pair] = '';
    else labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return labels;
}

export interface Docker {
  info(): Promise<DockerStatus>;
  /** All containers (running or not) matching a label filter ("key" or "key=value"). */
  listContainers(filter: { label: string }): Promise<ContainerSummary[]>;
  /** Force-removes containers; returns the ids removed. Already gone counts as removed. */
  removeContainers(ids: string[]): Promise<string[]>;
  /** The container's IPv4 address on a network, or undefined when it is not attached. */
  containerIP(name: string, network: string): Promise<string | undefined>;
}

export function createDocker(runner: ProcessRunner, env: Env, timeoutMs = 30_000): Docker {
  const docker = (args: string[]) => runner.run('docker', args, { env, timeoutMs });

  const failed = (res: RunResult, what: string) =>
    new KindlabError('environment', `failed to ${what}: ${lastLine(res.stderr) || `exit code ${res.exitCode}`}`, {
      details: [`command: ${prettyCommand(res.argv)}`],
    });

  return {
    async info() {
      return parseDockerInfo(await docker(['info', '--format', '{{json .}}']));
    },

    async listContainers({ label }) {
      const res = await docker(['ps', '--all', '--no-trunc', '--filter', `label=${label}`, '--format', '{{json .}}']);
      if (res.exitCode !== 0) throw failed(res, `list containers labelled ${label}`);
      return res.stdout
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => {
          const c = JSON.parse(l) as Record<string, string>;
          return {
            id: c.ID ?? '',
            name: c.Names ?? '',
            image: c.Image ?? '',
            state: c.State ?? '',
            status: c.Status ?? '',
            labels: parseLabels(c.Labels),
          };
        });
    },

    async removeContainers(ids) {
      if (ids.length === 0) return [];
      const res = await docker(['rm', '--force', ...ids]);
      // `docker rm` removes what it can and reports the rest; "No such container" is success here.
      const otherErrors = res.stderr.split('\n').filter((l) => l.trim() !== '' && !/no such container/i.test(l));
      if (res.exitCode !== 0 && otherErrors.length > 0) throw failed(res, `remove containers ${ids.join(' ')}`);
      return ids;
    },

    async containerIP(name, network) {
      const res = await docker(['inspect', '--format', '{{json .NetworkSettings.Networks}}', name]);
      if (res.exitCode !== 0) {
        if (/no such (object|container)/i.test(res.stderr)) return undefined;
        throw failed(res, `inspect container ${name}`);
      }
      const networks = JSON.parse(res.stdout || 'null') as Record<string, { IPAddress?: string }> | null;
      const ip = networks?.[network]?.IPAddress;
      return ip ? ip : undefined;
    },
  };
}
