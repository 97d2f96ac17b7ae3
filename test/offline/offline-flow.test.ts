/**
 * prefetch → bundle → import → doctor's offline finding.
 *
 * No image can be pulled here (no network, and usually no Docker engine), so every docker command
 * goes to a recording fake runner: the tests check the command sequence (pull for the engine's
 * platform, tag digest-pinned images, save, load, push) and the files written. The tar archive,
 * the tool cache copy and the state files are real. The registry the images are pushed to is a
 * real one (Debian's docker-registry on 127.0.0.1) when installed: the fake `docker push` uploads
 * a small image to it over the registry API, and readiness then asks that registry, over HTTP,
 * for each manifest exactly as containerd would ask the mirror.
 */
import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { list as tarList } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunOptions } from '../../src/core/seams.js';
import { findLab } from '../../src/lab/catalog.js';
import type { Lab } from '../../src/model/lab.js';
import { bundle } from '../../src/offline/bundle.js';
import { savedName } from '../../src/offline/docker-cli.js';
import { parseImage } from '../../src/offline/image-ref.js';
import { importBundle, pushedDigest } from '../../src/offline/import.js';
import { prefetch, type OfflineDeps } from '../../src/offline/prefetch.js';
import { offlineFinding, offlineMirrors, offlineReadiness } from '../../src/offline/readiness.js';
import { containerEndpoint, registryRunArgs, type RegistryBackend } from '../../src/offline/registry.js';
import { offlineStatePath, prefetchManifestPath, readJson, type OfflineState, type PrefetchManifest } from '../../src/offline/state.js';
import { TOOLS } from '../../src/platform/tools/catalog.js';
import { toolDir } from '../../src/platform/tools/install.js';
import type { EnsuredTools } from '../../src/platform/tools/resolve.js';
import { resolvePins, toolVersion, type ToolName } from '../../src/platform/tools/versions.js';
import { FakeRunner } from '../checks/fake-runner.js';
import { pushTinyImage, REGISTRY_BIN, startRegistry, type TestRegistry } from './registry-helper.js';

const pins = resolvePins({});
const host = { os: 'linux' as const, arch: 'amd64' as const };

/** A docker CLI that remembers which images it "has". */
function fakeDocker(registry?: TestRegistry) {
  const images = new Set<string>();
  const runner = new FakeRunner(async (_cmd, args) => {
    const [sub, ...rest] = args;
    if (sub === 'version') return { stdout: 'x86_64\n' };
    if (sub === 'image' && rest[0] === 'inspect') return images.has(rest.at(-1) as string) ? { stdout: 'sha256:x\n' } : { exitCode: 1, stderr: 'No such image' };
    if (sub === 'pull') {
      images.add(rest.at(-1) as string);
      return { stdout: 'pulled\n' };
    }
    if (sub === 'tag') {
      if (!images.has(rest[0] as string)) return { exitCode: 1, stderr: `No such image: ${rest[0]}` };
      images.add(rest[1] as string);
      return {};
    }
    if (sub === 'save') {
      await writeFile(rest[1] as string, `fake docker save of ${rest.slice(2).join(' ')}\n`);
      return {};
    }
    if (sub === 'load') {
      // What the fake save wrote: the names come back, as docker load restores tags.
      const text = await readFile(rest[1] as string, 'utf8');
      for (const name of text.replace('fake docker save of ', '').trim().split(' ')) images.add(name);
      return { stdout: 'Loaded image\n' };
    }
    if (sub === 'rmi') return {};
    if (sub === 'push') {
      const target = rest[0] as string;
      if (!registry) return { stdout: `${target.split(':').at(-1)}: digest: sha256:${'b'.repeat(64)} size: 528\n` };
      // Upload an image under the same name to the real registry, as docker push would.
      const path = target.slice(target.indexOf('/') + 1);
      const colon = path.lastIndexOf(':');
      const digest = await pushTinyImage(registry.url, path.slice(0, colon), path.slice(colon + 1));
      return { stdout: `${path.slice(colon + 1)}: digest: ${digest} size: 528\n` };
    }
    return { exitCode: 1, stderr: `fake docker: unexpected ${args.join(' ')}` };
  });
  return { runner, images };
}

/** ensureTools that "downloads" by writing the cache files the real one would leave. */
function fakeEnsureTools() {
  const calls: Array<{ need: readonly ToolName[]; host: string }> = [];
  const fn = async (p: typeof pins, o: { cacheDir: string; need?: readonly ToolName[]; host?: { os: string; arch: string } }): Promise<EnsuredTools> => {
    const h = (o.host ?? host) as typeof host;
    calls.push({ need: o.need ?? [], host: `${h.os}-${h.arch}` });
    const paths: EnsuredTools['paths'] = {};
    for (const t of o.need ?? []) {
      const dir = toolDir(o.cacheDir, TOOLS[t], toolVersion(p, t), h);
      await mkdir(dir, { recursive: true });
      const artifact = TOOLS[t].artifact(toolVersion(p, t), h, { kind: '', kubectl: '', istio: '', helm: '', cloudProviderKind: '' });
      // Where installTool leaves them: binaries under the command's name, archives under their own.
      const file = join(dir, artifact.format === 'binary' ? TOOLS[t].command : artifact.fileName);
      await writeFile(file, `${t} ${toolVersion(p, t)}\n`);
      if (artifact.format === 'binary') paths[t] = file;
    }
    return { binDir: join(o.cacheDir, 'tools', 'bin', 'x'), paths, istioHome: undefined, versions: {}, origins: {} };
  };
  return { fn, calls };
}

async function makeDeps(runner: FakeRunner, ensure: ReturnType<typeof fakeEnsureTools>, root?: string): Promise<OfflineDeps> {
  const dir = root ?? (await mkdtemp(join(tmpdir(), 'kl-offline-')));
  return { runner, docker: 'docker', env: {}, cacheDir: join(dir, 'cache'), stateDir: join(dir, 'state'), status: () => undefined, kindlabVersion: '0.0.0-test', ensureTools: ensure.fn };
}

const dockerCalls = (r: FakeRunner) => r.calls.map((c) => c.args.join(' '));

let labs: Lab[];
beforeAll(async () => {
  labs = [await findLab('canary-l4'), await findLab('ingress-ha')];
});

describe('prefetch (recorded docker commands; no image is pulled)', () => {
  it('fetches the labs\' tools into the cache for each platform and pulls every image for the engine\'s platform', async () => {
    const { runner, images } = fakeDocker();
    const ensure = fakeEnsureTools();
    const deps = await makeDeps(runner, ensure);
    const r = await prefetch(labs, deps, { pins, host, extraPlatforms: [{ os: 'darwin', arch: 'arm64' }] });

    expect(ensure.calls.map((c) => c.host)).toEqual(['linux-amd64', 'darwin-arm64']);
    // ingress-ha installs its controller with helm in a step: the bundle must carry helm.
    expect(ensure.calls[0]?.need).toEqual(['kind', 'kubectl', 'helm']);
    const pulls = dockerCalls(runner).filter((c) => c.startsWith('pull '));
    expect(pulls.every((p) => p.startsWith('pull --platform linux/amd64 '))).toBe(true);
    expect(pulls).toContain(`pull --platform linux/amd64 docker.io/${pins.nodeImage}`);
    // Digest-pinned images get a tag that survives docker save/load.
    const controller = r.manifest.images.find((i) => i.ref.startsWith('registry.k8s.io/ingress-nginx/controller:'));
    expect(controller?.saved).toBe('registry.k8s.io/ingress-nginx/controller:v1.15.1');
    expect(dockerCalls(runner)).toContain(`tag ${controller?.ref} ${controller?.saved}`);
    expect(images.has(controller?.saved as string)).toBe(true);
    expect(r.pulls.every((p) => p.outcome === 'pulled')).toBe(true);

    const saved = await readJson<PrefetchManifest>(prefetchManifestPath(deps.cacheDir));
    expect(saved?.labs).toEqual(['canary-l4', 'ingress-ha']);
    expect(saved?.platform).toBe('linux/amd64');
    expect(saved?.tools.map((t) => `${t.tool}@${t.platform}`)).toEqual(['kind@linux-amd64', 'kubectl@linux-amd64', 'helm@linux-amd64', 'kind@darwin-arm64', 'kubectl@darwin-arm64', 'helm@darwin-arm64']);

    // A second prefetch pulls nothing that is already there.
    runner.calls.length = 0;
    const again = await prefetch(labs, deps, { pins, host });
    expect(again.pulls.every((p) => p.outcome === 'present')).toBe(true);
    expect(dockerCalls(runner).some((c) => c.startsWith('pull'))).toBe(false);
  });

  it('a failed pull is reported per image and the rest still happen', async () => {
    const { runner } = fakeDocker();
    const inner = runner.handler;
    runner.handler = (cmd, args, opts: RunOptions) => (args[0] === 'pull' && String(args.at(-1)).includes('envoy') ? { exitCode: 1, stderr: 'Error response from daemon: network unreachable' } : inner(cmd, args, opts));
    const r = await prefetch([labs[0] as Lab], await makeDeps(runner, fakeEnsureTools()), { pins, host });
    const failed = r.pulls.filter((p) => p.outcome === 'failed');
    expect(failed.map((f) => f.ref)).toEqual(['docker.io/envoyproxy/envoy:v1.33.2']);
    expect(failed[0]?.error).toMatch(/network unreachable/);
    expect(r.pulls.filter((p) => p.outcome === 'pulled').length).toBeGreaterThan(2);
  });
});

describe('bundle and import', () => {
  let registry: TestRegistry | undefined;
  beforeAll(async () => {
    if (REGISTRY_BIN) registry = await startRegistry();
    else console.warn('[partly skipped] offline import against a real registry: docker-registry is not installed (apt-get install docker-registry)');
  });
  afterAll(async () => registry?.stop());

  it('bundle writes one tar with the manifest, docker save output and the tool downloads; it refuses without a prefetch', async () => {
    const { runner } = fakeDocker();
    const deps = await makeDeps(runner, fakeEnsureTools());
    await expect(bundle(join(deps.cacheDir, '..', 'b.tar'), deps)).rejects.toThrow(/nothing has been prefetched/);
    await prefetch([labs[0] as Lab], deps, { pins, host });
    const file = join(deps.cacheDir, '..', 'b.tar');
    const r = await bundle(file, deps);
    const entries: string[] = [];
    await tarList({ file, onReadEntry: (e) => entries.push(e.path) });
    expect(entries.slice(0, 2)).toEqual(['bundle.json', 'images.tar']);
    expect(entries).toContain(`tools/kind/${pins.kind}/linux-amd64/kind`);
    expect(entries).toContain(`tools/kubectl/${pins.kubectl}/linux-amd64/kubectl`);
    const save = dockerCalls(runner).find((c) => c.startsWith('save '));
    expect(save).toContain('docker.io/library/registry:2.8.3');
    expect(r.images).toBe((await readJson<PrefetchManifest>(prefetchManifestPath(deps.cacheDir)))?.images.length);
  });

  it('import loads the images, restores the tools, pushes cluster images to the registry and records what is served', async () => {
    // Facilitator's machine.
    const facilitator = fakeDocker();
    const fdeps = await makeDeps(facilitator.runner, fakeEnsureTools());
    await prefetch(labs, fdeps, { pins, host });
    const file = join(fdeps.cacheDir, '..', 'workshop.tar');
    await bundle(file, fdeps);

    // Attendee's machine: nothing in the cache, the registry from this test (or a stand-in).
    const attendee = fakeDocker(registry);
    const adeps = await makeDeps(attendee.runner, fakeEnsureTools());
    const endpoint = registry ? { pushHost: registry.host, apiUrl: registry.url, mirrorUrl: 'http://kindlab-registry:5000' } : containerEndpoint();
    let ensured = 0;
    const backend: RegistryBackend = { ensure: async () => (ensured++, { ...endpoint, started: true }), running: async () => ({ ...endpoint, started: false }) };
    const r = await importBundle(file, adeps, backend);

    expect(ensured).toBe(1);
    const calls = dockerCalls(attendee.runner);
    expect(calls[0]).toMatch(/^load -i .*images\.tar$/);
    const manifest = (await readJson<PrefetchManifest>(prefetchManifestPath(fdeps.cacheDir))) as PrefetchManifest;
    const cluster = manifest.images.filter((i) => i.place === 'cluster');
    expect(calls.filter((c) => c.startsWith('push '))).toHaveLength(cluster.length);
    const controller = cluster.find((i) => i.ref.includes('ingress-nginx/controller')) as (typeof cluster)[number];
    expect(calls).toContain(`tag ${savedName(controller.ref)} ${endpoint.pushHost}/ingress-nginx/controller:v1.15.1`);
    expect(r.toolFiles).toBe(3);
    expect((await stat(join(adeps.cacheDir, 'tools', 'kind', pins.kind, 'linux-amd64', 'kind'))).isFile()).toBe(true);

    const state = (await readJson<OfflineState>(offlineStatePath(adeps.stateDir))) as OfflineState;
    expect(state.labs).toEqual(['canary-l4', 'ingress-ha']);
    // The pushed manifest is not the upstream one, so the digest-pinned controller is honestly not served by digest.
    expect(state.images.find((i) => i.ref === controller.ref)?.served).toBe('tag-only');
    expect(state.images.filter((i) => i.place === 'cluster' && !parseImage(i.ref)?.digest).every((i) => i.served === 'yes')).toBe(true);

    if (!registry) return;
    // canary-l4 has no digest-pinned cluster image: with host images "loaded" it can start offline.
    for (const img of manifest.images) attendee.images.add(img.ref);
    const ready = await offlineReadiness(labs[0] as Lab, pins, { ...adeps, host });
    expect(ready.missing).toEqual([]);
    expect(ready.ready).toBe(true);
    // ingress-ha's controller is pinned by digest, which the registry does not hold.
    const notReady = await offlineReadiness(labs[1] as Lab, pins, { ...adeps, host });
    expect(notReady.ready).toBe(false);
    expect(notReady.missing.join('\n')).toMatch(/ingress-nginx\/controller:v1\.15\.1@sha256:.* \(not in the local registry\)/);
    const finding = await offlineFinding(labs[1] as Lab, pins, { ...adeps, host });
    expect(finding).toMatchObject({ id: 'offline', status: 'warn' });

    const mirrors = await offlineMirrors(adeps.stateDir);
    expect(mirrors).toMatchObject({ 'docker.io': 'http://kindlab-registry:5000', 'registry.k8s.io': 'http://kindlab-registry:5000', 'quay.io': 'http://kindlab-registry:5000', 'gcr.io': 'http://kindlab-registry:5000' });
  });

  it('doctor\'s finding says what is missing when nothing was imported, and never fails the machine', async () => {
    const { runner } = fakeDocker();
    const deps = await makeDeps(runner, fakeEnsureTools());
    const f = await offlineFinding(labs[0] as Lab, pins, { ...deps, host });
    expect(f.status).toBe('warn');
    expect(f.message).toMatch(/no offline bundle has been imported/);
    expect(f.details?.join('\n')).toMatch(/tool kind v0\.33\.0/);
    expect(await offlineMirrors(deps.stateDir)).toEqual({});
  });

  it('registry container: kind network, loopback-only port, kindlab labels that survive `down <lab>`, storage in the cache', () => {
    const args = registryRunArgs({ image: 'docker.io/library/registry:2.8.3', storageDir: '/c/offline/registry' });
    expect(args).toEqual(expect.arrayContaining(['--network', 'kind', '-p', '127.0.0.1:5001:5000', '-v', '/c/offline/registry:/var/lib/registry']));
    expect(args.join(' ')).toContain('--label dev.kindlab.owned=true --label dev.kindlab.scope=offline');
    expect(pushedDigest(`v1: digest: sha256:${'c'.repeat(64)} size: 1`)).toBe(`sha256:${'c'.repeat(64)}`);
  });
});
