/** Fakes shared by the doctor and docker tests: a scripted ProcessRunner and the docker info fixtures. */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ProcessRunner, RunOptions, RunResult } from '../../../src/core/seams.js';
import { parseDockerInfo } from '../../../src/platform/docker.js';
import type { DoctorContext, LabRequirements } from '../../../src/platform/doctor/types.js';
import { resolvePins } from '../../../src/platform/tools/versions.js';

export interface Call {
  command: string;
  args: string[];
  opts?: RunOptions;
}

type Reply = Partial<Pick<RunResult, 'exitCode' | 'stdout' | 'stderr' | 'timedOut'>>;

/** Answers by the command's base name ("docker", "kind"); unknown commands exit 127. */
export function fakeRunner(replies: Record<string, Reply | ((args: string[]) => Reply)>): ProcessRunner & { calls: Call[] } {
  const calls: Call[] = [];
  const run = async (command: string, args: string[], opts?: RunOptions): Promise<RunResult> => {
    calls.push({ command, args, ...(opts ? { opts } : {}) });
    const r = replies[basename(command)];
    const reply: Reply = typeof r === 'function' ? r(args) : (r ?? { exitCode: 127, stderr: `bash: ${command}: command not found\n` });
    return { argv: [command, ...args], exitCode: 0, stdout: '', stderr: '', durationMs: 1, ...reply };
  };
  return { calls, run, runScript: (script, opts) => run('bash', ['-c', script], opts) };
}

const fixturesDir = join(import.meta.dirname, '../../../fixtures/docker');

export type DockerFixture = 'docker-desktop-4gib' | 'linux-16gib' | 'rootless' | 'daemon-down' | 'daemon-down-servererrors' | 'permission-denied' | 'cli-missing';

/** A recorded `docker info --format '{{json .}}'` result, stdout serialized as the CLI prints it. */
export function dockerInfoFixture(name: DockerFixture): Pick<RunResult, 'exitCode' | 'stdout' | 'stderr'> & { raw: Record<string, unknown> | undefined } {
  const f = JSON.parse(readFileSync(join(fixturesDir, `${name}.json`), 'utf8')) as { exitCode: number; stderr: string; stdout: unknown };
  const stdout = typeof f.stdout === 'string' ? f.stdout : JSON.stringify(f.stdout);
  return { exitCode: f.exitCode, stderr: f.stderr, stdout, raw: typeof f.stdout === 'object' ? (f.stdout as Record<string, unknown>) : undefined };
}


/**
 * A DoctorContext where nothing touches the real machine unless a test opts in: docker info comes
 * from a fixture, files from a map, binds succeed, fetch fails.
 */
export function fakeContext(fixture: DockerFixture, over: Partial<DoctorContext> = {}): DoctorContext {
  const info = dockerInfoFixture(fixture);
  // `docker info` answers from the fixture; other docker commands (ps, ...) find nothing.
  const runner = over.runner ?? fakeRunner({ docker: (args) => (args[0] === 'info' ? info : { stdout: '' }) });
  return {
    runner,
    env: { PATH: '/nonexistent' },
    platform: 'linux',
    hostArch: 'x64',
    pins: resolvePins(),
    paths: { state: '/state/kindlab', cache: '/cache/kindlab' },
    docker: async () => parseDockerInfo(info),
    fs: {
      readFile: async (p) => {
        throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
      },
      freeBytes: async () => 100 * 1024 ** 3,
    },
    procRoot: '/proc-fake',
    net: { tryBind: async () => ({ ok: true }) },
    fetch: async () => {
      throw new Error('no network in tests');
    },
    networkTimeoutMs: 200,
    ...over,
  };
}

export function lab(over: Partial<LabRequirements> = {}): LabRequirements {
  return { id: 'lab1', requires: { memoryGiB: 8, cpus: 4 }, clusters: [{ workers: 2 }], ...over };
}
