/**
 * bundle → import with a real Docker engine and real registries, where this machine allows it:
 * a tiny image is built locally (docker import, nothing pulled), pushed to an "upstream" registry
 * (Debian's docker-registry on 127.0.0.1) and pulled back, then `bundle` saves it with `docker save`
 * into the tar, the image is removed, and `import` loads it with `docker load` and pushes it into a
 * second registry standing in for kindlab-registry, where it is then found by digest and by tag.
 *
 * Skipped, with the reason, without a reachable Docker engine (DOCKER_HOST is honoured) or without
 * docker-registry. Pulling the labs' real images needs the internet and is not done here.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle } from '../../src/offline/bundle.js';
import { importBundle } from '../../src/offline/import.js';
import type { OfflineDeps } from '../../src/offline/prefetch.js';
import { registryHas, type RegistryBackend } from '../../src/offline/registry.js';
import { prefetchManifestPath, writeJson, type PrefetchManifest } from '../../src/offline/state.js';
import { createProcessRunner } from '../../src/platform/exec.js';
import { REGISTRY_BIN, startRegistry, type TestRegistry } from './registry-helper.js';

const run = promisify(execFile);

async function dockerReachable(): Promise<string | undefined> {
  try {
    await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 15_000 });
    return undefined;
  } catch (err) {
    return `Docker is not reachable (${(err as Error).message.split('\n')[0]})`;
  }
}

const reason = !REGISTRY_BIN ? 'docker-registry is not installed' : await dockerReachable();
if (reason) console.warn(`[skipped] offline bundle/import with a real Docker engine: ${reason}.`);

describe.skipIf(reason !== undefined)('bundle and import with a real Docker engine and registries', () => {
  let upstream: TestRegistry;
  let local: TestRegistry;
  let ref: string;
  beforeAll(async () => {
    upstream = await startRegistry();
    local = await startRegistry();
    const dir = await mkdtemp(join(tmpdir(), 'kl-rootfs-'));
    await mkdir(join(dir, 'etc'));
    await writeFile(join(dir, 'etc', 'kindlab-test'), `built ${Date.now()}\n`);
    ref = `${upstream.host}/kindlab-test/tiny:1`;
    await run('sh', ['-c', `tar -C '${dir}' -c . | docker import - ${ref}`]);
    await run('docker', ['push', ref]);
    await run('docker', ['rmi', ref]);
    await run('docker', ['pull', ref]);
  }, 120_000);
  afterAll(async () => {
    await run('docker', ['rmi', '-f', ref]).catch(() => undefined);
    await upstream?.stop();
    await local?.stop();
  });

  it('saves, loads and serves the image by its upstream path', async () => {
    const root = await mkdtemp(join(tmpdir(), 'kl-real-offline-'));
    const deps: OfflineDeps = {
      runner: createProcessRunner(),
      docker: 'docker',
      env: process.env,
      cacheDir: join(root, 'cache'),
      stateDir: join(root, 'state'),
      status: () => undefined,
      kindlabVersion: '0.0.0-test',
      ensureTools: async () => {
        throw new Error('not used');
      },
    };
    const manifest: PrefetchManifest = { version: 1, createdAt: '', kindlab: '0', labs: ['demo'], platform: 'linux/amd64', pins: {}, images: [{ ref, saved: ref, place: 'cluster', labs: ['demo'] }], tools: [], unresolved: [] };
    await writeJson(prefetchManifestPath(deps.cacheDir), manifest);
    const file = join(root, 'bundle.tar');
    const b = await bundle(file, deps);
    expect(b.bytes).toBeGreaterThan(1024);

    await run('docker', ['rmi', ref]);
    const endpoint = { pushHost: local.host, apiUrl: local.url, mirrorUrl: 'http://kindlab-registry:5000' };
    const backend: RegistryBackend = { ensure: async () => ({ ...endpoint, started: true }), running: async () => ({ ...endpoint, started: false }) };
    const r = await importBundle(file, deps, backend);
    expect(r.pushed).toBe(1);
    expect(r.state.images[0]?.served).toBe('yes');
    // Loaded back into Docker under its name, and in the local registry under its upstream path.
    await run('docker', ['image', 'inspect', ref]);
    expect(await registryHas(local.url, 'kindlab-test/tiny', '1')).toBe(true);
    const { stdout } = await run('docker', ['inspect', '--format', '{{index .RepoDigests 0}}', ref]).catch(() => ({ stdout: '' }));
    if (stdout.includes('@')) expect(await registryHas(local.url, 'kindlab-test/tiny', stdout.trim().split('@')[1] as string)).toBe(true);
  }, 120_000);
});
