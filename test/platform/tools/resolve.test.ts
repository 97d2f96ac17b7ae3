import { mkdir, mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { c as createTar } from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KindlabError } from '../../../src/core/errors.js';
import { createProcessRunner } from '../../../src/platform/exec.js';
import type { DownloadSources } from '../../../src/platform/tools/catalog.js';
import { ensureTools, pathWithTools, type EnsureToolsOptions } from '../../../src/platform/tools/resolve.js';
import { resolvePins } from '../../../src/platform/tools/versions.js';
import { fakeTool, writeExe } from './fake-tools.js';
import { serve, sha256, startServer, type FixtureServer } from './http-fixture.js';

const runner = createProcessRunner();
const pins = resolvePins();
const linux = { os: 'linux', arch: 'amd64' } as const;

let server: FixtureServer;
let root: string;
let pathDir: string;
let cacheDir: string;

beforeEach(async () => {
  server = await startServer();
  root = await mkdtemp(join(tmpdir(), 'kindlab-tools-'));
  pathDir = join(root, 'path');
  cacheDir = join(root, 'cache');
  await mkdir(pathDir, { recursive: true });
});
afterEach(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

const sources = (): DownloadSources => ({
  kind: `${server.url}/kind`,
  kubectl: `${server.url}/release`,
  istio: `${server.url}/istio`,
  helm: `${server.url}/helm`,
  cloudProviderKind: `${server.url}/cpk`,
});

const noNetwork: typeof fetch = async (input) => {
  throw new Error(`unexpected request to ${String(input)}`);
};

function options(extra: Partial<EnsureToolsOptions> = {}): EnsureToolsOptions {
  return {
    cacheDir,
    runner,
    // Only the fake tools: the build machine's own kubectl must not be found.
    env: { PATH: pathDir, HOME: root },
    host: linux,
    sources: sources(),
    download: { attempts: 2, backoffMs: 5, stallTimeoutMs: 2000 },
    ...extra,
  };
}

const kindVersion = 'kind v0.33.0 go1.25.1 linux/amd64';
const kubectlJson = (v: string) => JSON.stringify({ clientVersion: { major: '1', minor: '35', gitVersion: v } });
const istioJson = (v: string) => JSON.stringify({ clientVersion: { version: v, revision: 'x', status: 'Clean' } });

/** Builds a tar.gz of `files` (path → content; executables end in bin/<x> or are listed). */
async function tarball(name: string, files: Record<string, string>): Promise<Buffer> {
  const src = join(root, `src-${name}`);
  for (const [p, content] of Object.entries(files)) {
    await writeExe(join(src, p), content);
  }
  const file = join(root, `${name}.tar.gz`);
  const top = [...new Set(Object.keys(files).map((p) => p.split('/')[0] as string))];
  await createTar({ gzip: true, file, cwd: src, portable: true }, top);
  return readFile(file);
}

async function fakeIstioRelease(version = '1.31.1') {
  return tarball(`istio-${version}`, {
    [`istio-${version}/bin/istioctl`]: fakeTool(istioJson(version)),
    [`istio-${version}/samples/bookinfo/platform/kube/bookinfo.yaml`]: 'apiVersion: v1\nkind: Service\n',
    [`istio-${version}/manifests/profiles/demo.yaml`]: 'apiVersion: install.istio.io/v1alpha1\n',
    [`istio-${version}/tools/certs/Makefile.selfsigned.mk`]: '# certs\n',
  });
}

function serveBinary(path: string, body: string, checksumSuffix: string, checksumLine: (hex: string) => string) {
  server.route(path, serve(body));
  server.route(`${path}${checksumSuffix}`, serve(checksumLine(sha256(body))));
}

describe('ensureTools', () => {
  it('uses tools on PATH whose version matches the pin exactly, without any request', async () => {
    await writeExe(join(pathDir, 'kind'), fakeTool(kindVersion));
    await writeExe(join(pathDir, 'kubectl'), fakeTool(kubectlJson('v1.35.8')));
    const tools = await ensureTools(pins, options({ fetchImpl: noNetwork }));
    expect(tools.origins).toEqual({ kind: 'path', kubectl: 'path' });
    expect(tools.paths.kind).toBe(join(pathDir, 'kind'));
    expect(await readlink(join(tools.binDir, 'kubectl'))).toBe(join(pathDir, 'kubectl'));
    expect(tools.versions).toEqual({ kind: 'v0.33.0', kubectl: 'v1.35.8' });
    expect(tools.istioHome).toBeUndefined();
    expect(pathWithTools(tools.binDir, { PATH: '/usr/bin' }, false)).toBe(`${tools.binDir}:/usr/bin`);
  });

  it('downloads the pinned version when PATH has another one, then reuses the cache', async () => {
    await writeExe(join(pathDir, 'kind'), fakeTool(kindVersion));
    await writeExe(join(pathDir, 'kubectl'), fakeTool(kubectlJson('v1.34.0')));
    serveBinary('/release/v1.35.8/bin/linux/amd64/kubectl', fakeTool(kubectlJson('v1.35.8')), '.sha256', (h) => `${h}\n`);

    const first = await ensureTools(pins, options());
    expect(first.origins).toEqual({ kind: 'path', kubectl: 'download' });
    expect(first.paths.kubectl).toBe(join(cacheDir, 'tools/kubectl/v1.35.8/linux-amd64/kubectl'));
    // The link in binDir runs the downloaded, verified file.
    const res = await runner.run(join(first.binDir, 'kubectl'), ['version', '--client', '-o', 'json'], { env: { PATH: pathDir } });
    expect(JSON.parse(res.stdout).clientVersion.gitVersion).toBe('v1.35.8');

    const requests = server.requests.length;
    const second = await ensureTools(pins, options());
    expect(second.origins.kubectl).toBe('cache');
    expect(second.binDir).toBe(first.binDir);
    expect(server.requests.length).toBe(requests);
  });

  it('downloads kind from its release layout when nothing is on PATH', async () => {
    serveBinary('/kind/v0.33.0/kind-linux-amd64', fakeTool(kindVersion), '.sha256sum', (h) => `${h}  kind-linux-amd64\n`);
    serveBinary('/release/v1.35.8/bin/linux/amd64/kubectl', fakeTool(kubectlJson('v1.35.8')), '.sha256', (h) => h);
    const tools = await ensureTools(pins, options());
    expect(tools.origins).toEqual({ kind: 'download', kubectl: 'download' });
    expect((await stat(tools.paths.kind as string)).mode & 0o111).not.toBe(0);
  });

  it('unpacks the whole Istio release and points ISTIO_HOME at it', async () => {
    const archive = await fakeIstioRelease();
    server.route('/istio/1.31.1/istio-1.31.1-linux-amd64.tar.gz', serve(archive));
    // Istio's release-builder writes "<hex> <name>" with a single space.
    server.route('/istio/1.31.1/istio-1.31.1-linux-amd64.tar.gz.sha256', serve(`${sha256(archive)} istio-1.31.1-linux-amd64.tar.gz\n`));

    const tools = await ensureTools(pins, options({ need: ['istioctl'] }));
    const home = join(cacheDir, 'tools/istioctl/1.31.1/linux-amd64/root/istio-1.31.1');
    expect(tools.istioHome).toBe(home);
    expect(tools.paths.istioctl).toBe(join(home, 'bin/istioctl'));
    expect((await stat(join(home, 'samples/bookinfo/platform/kube/bookinfo.yaml'))).isFile()).toBe(true);
    expect((await stat(join(home, 'manifests/profiles/demo.yaml'))).isFile()).toBe(true);
    const res = await runner.run(join(tools.binDir, 'istioctl'), ['version', '--remote=false', '-o', 'json'], { env: { PATH: pathDir } });
    expect(JSON.parse(res.stdout).clientVersion.version).toBe('1.31.1');
    // Only the verified archive and the finished tree: no temp directories.
    expect((await readdir(join(cacheDir, 'tools/istioctl/1.31.1/linux-amd64'))).sort()).toEqual(['istio-1.31.1-linux-amd64.tar.gz', 'root']);
  });

  it('ignores an istioctl on PATH that has no release tree beside it', async () => {
    await writeExe(join(pathDir, 'istioctl'), fakeTool(istioJson('1.31.1')));
    const archive = await fakeIstioRelease();
    server.route('/istio/1.31.1/istio-1.31.1-linux-amd64.tar.gz', serve(archive));
    server.route('/istio/1.31.1/istio-1.31.1-linux-amd64.tar.gz.sha256', serve(`${sha256(archive)} istio-1.31.1-linux-amd64.tar.gz`));
    const tools = await ensureTools(pins, options({ need: ['istioctl'] }));
    expect(tools.origins.istioctl).toBe('download');
    expect(tools.istioHome).toMatch(/root\/istio-1\.31\.1$/);
  });

  it('uses an unpacked Istio release on PATH, samples and all', async () => {
    const home = join(root, 'istio-1.31.1');
    await writeExe(join(home, 'bin/istioctl'), fakeTool(istioJson('1.31.1')));
    await mkdir(join(home, 'samples'), { recursive: true });
    await mkdir(join(home, 'manifests'), { recursive: true });
    const tools = await ensureTools(pins, options({ need: ['istioctl'], env: { PATH: `${join(home, 'bin')}:${pathDir}` }, fetchImpl: noNetwork }));
    expect(tools.origins.istioctl).toBe('path');
    expect(tools.istioHome).toBe(home);
  });

  it('fetches helm and cloud-provider-kind archives in parallel', async () => {
    const helm = await tarball('helm', { 'linux-amd64/helm': fakeTool('v4.2.4+g1a2b3c4'), 'linux-amd64/LICENSE': 'Apache-2.0' });
    server.route('/helm/helm-v4.2.4-linux-amd64.tar.gz', serve(helm));
    server.route('/helm/helm-v4.2.4-linux-amd64.tar.gz.sha256sum', serve(`${sha256(helm)}  helm-v4.2.4-linux-amd64.tar.gz\n`));
    const cpk = await tarball('cpk', { 'cloud-provider-kind': fakeTool('cloud-provider-kind 0.11.1'), 'LICENSE': 'Apache-2.0' });
    server.route('/cpk/v0.11.1/cloud-provider-kind_0.11.1_linux_amd64.tar.gz', serve(cpk));
    server.route(
      '/cpk/v0.11.1/cloud-provider-kind_0.11.1_checksums.txt',
      serve(
        [
          `${'1'.repeat(64)}  cloud-provider-kind_0.11.1_darwin_arm64.tar.gz`,
          `${sha256(cpk)}  cloud-provider-kind_0.11.1_linux_amd64.tar.gz`,
          `${'2'.repeat(64)}  cloud-provider-kind_0.11.1_linux_arm64.tar.gz`,
        ].join('\n'),
      ),
    );
    const tools = await ensureTools(pins, options({ need: ['helm', 'cloudProviderKind'] }));
    expect(tools.paths.helm).toMatch(/tools\/helm\/v4\.2\.4\/linux-amd64\/root\/linux-amd64\/helm$/);
    expect(tools.paths.cloudProviderKind).toMatch(/root\/cloud-provider-kind$/);
    const res = await runner.run(join(tools.binDir, 'cloud-provider-kind'), ['version'], { env: { PATH: pathDir } });
    expect(res.stdout.trim()).toBe('cloud-provider-kind 0.11.1');
  });

  it('explains an archive that lacks the expected executable', async () => {
    const helm = await tarball('helm-bad', { 'helm/helm': fakeTool('v4.2.4') });
    server.route('/helm/helm-v4.2.4-linux-amd64.tar.gz', serve(helm));
    server.route('/helm/helm-v4.2.4-linux-amd64.tar.gz.sha256sum', serve(`${sha256(helm)}  helm-v4.2.4-linux-amd64.tar.gz`));
    await expect(ensureTools(pins, options({ need: ['helm'] }))).rejects.toThrow(/does not contain linux-amd64\/helm/);
  });

  it('reports every tool that failed, not only the first', async () => {
    let err: unknown;
    try {
      await ensureTools(pins, options({ need: ['kind', 'kubectl'] }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KindlabError);
    const k = err as KindlabError;
    expect(k.message).toMatch(/404/);
    expect(k.details.join('\n')).toMatch(/also: .*404/);
  });
});
