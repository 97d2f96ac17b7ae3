/** The real DoctorContext: processes, files, sockets and network of this machine. */
import { readFile, statfs } from 'node:fs/promises';
import { createServer } from 'node:net';
import { kindlabPaths } from '../../core/paths.js';
import { createDocker, type DockerStatus } from '../docker.js';
import { createProcessRunner } from '../exec.js';
import { resolvePins } from '../tools/versions.js';
import type { BindResult, DoctorContext } from './types.js';

export function tryBind(host: string, port: number): Promise<BindResult> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, code: err.code ?? 'UNKNOWN', message: err.message }));
    // exclusive: on a cluster-mode Node process the port would otherwise be shared with the primary.
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve({ ok: true })));
  });
}

export async function freeBytes(path: string): Promise<number> {
  const s = await statfs(path);
  return s.bavail * s.bsize;
}

function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}

export function defaultDoctorContext(overrides: Partial<DoctorContext> = {}): DoctorContext {
  const env = overrides.env ?? process.env;
  const runner = overrides.runner ?? createProcessRunner();
  const docker = once<DockerStatus>(() => createDocker(runner, env).info());
  const paths = kindlabPaths(env);
  return {
    runner,
    env,
    platform: process.platform,
    hostArch: process.arch,
    pins: resolvePins(),
    paths: { state: paths.state, cache: paths.cache },
    docker,
    fs: { readFile: (p) => readFile(p, 'utf8'), freeBytes },
    procRoot: '/proc',
    net: { tryBind },
    fetch: globalThis.fetch,
    networkTimeoutMs: 5000,
    ...overrides,
  };
}
