/**
 * A real OCI distribution registry for tests: Debian's `docker-registry` (distribution 2.8) serving
 * on 127.0.0.1, and a minimal image pushed into it over the registry HTTP API (what `docker push`
 * does), so tests need no Docker engine. `available` is false when the binary is not installed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REGISTRY_BIN = ['/usr/bin/docker-registry', '/usr/sbin/docker-registry'].find((p) => existsSync(p));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface TestRegistry {
  url: string;
  host: string;
  stop(): Promise<void>;
}

/** `config`: extra lines for the registry's config.yml (an `auth:` section, say). */
export async function startRegistry(opts: { config?: string[] } = {}): Promise<TestRegistry> {
  if (!REGISTRY_BIN) throw new Error('docker-registry is not installed');
  const dir = await mkdtemp(join(tmpdir(), 'kl-registry-'));
  const port = await freePort();
  const config = join(dir, 'config.yml');
  await writeFile(
    config,
    ['version: 0.1', 'log: {level: error}', 'storage:', `  filesystem: {rootdirectory: ${join(dir, 'data')}}`, 'http:', `  addr: 127.0.0.1:${port}`, ...(opts.config ?? []), ''].join('\n'),
  );
  const child: ChildProcess = spawn(REGISTRY_BIN, ['serve', config], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      // Any answer means it is listening; a registry with token auth answers 401.
      if ((await fetch(`${url}/v2/`)).status < 500) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    host: `127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export async function putBlob(url: string, repo: string, body: Buffer, headers: Record<string, string> = {}): Promise<string> {
  const digest = sha(body);
  const start = await fetch(`${url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers });
  if (start.status !== 202) throw new Error(`blob upload start: HTTP ${start.status}`);
  const location = new URL(start.headers.get('location') as string, url);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', body, headers: { ...headers, 'content-type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`blob upload: HTTP ${put.status}`);
  return digest;
}

/** PUTs a manifest under a tag or digest; returns the digest the registry computed. */
export async function putManifest(url: string, repo: string, reference: string, manifest: string, mediaType: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${url}/v2/${repo}/manifests/${reference}`, { method: 'PUT', body: manifest, headers: { ...headers, 'content-type': mediaType } });
  if (res.status !== 201) throw new Error(`manifest put: HTTP ${res.status} ${await res.text()}`);
  return res.headers.get('docker-content-digest') ?? sha(manifest);
}

/** Pushes a one-layer image as repo:tag; returns the manifest digest. `salt` makes another image under the same name. */
export async function pushTinyImage(url: string, repo: string, tag: string, opts: { arch?: string; salt?: string; headers?: Record<string, string> } = {}): Promise<string> {
  const { arch = 'amd64', salt = '', headers = {} } = opts;
  const layer = Buffer.from(`layer of ${repo}:${tag}${arch === 'amd64' ? '' : ` ${arch}`}${salt}`);
  const config = Buffer.from(JSON.stringify({ architecture: arch, os: 'linux', rootfs: { type: 'layers', diff_ids: [sha(layer)] }, config: {} }));
  const layerDigest = await putBlob(url, repo, layer, headers);
  const configDigest = await putBlob(url, repo, config, headers);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: configDigest },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar', size: layer.length, digest: layerDigest }],
  });
  return putManifest(url, repo, tag, manifest, 'application/vnd.docker.distribution.manifest.v2+json', headers);
}
