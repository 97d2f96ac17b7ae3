/**
 * `kindlab import <bundle>`: makes this machine able to start the bundle's labs without internet.
 *  1. unpack the bundle (next to the cache, so the image archive is not copied twice);
 *  2. `docker load` the images: host images (kind nodes, cloud-provider-kind, Envoy, the registry)
 *     are then where Docker looks for them;
 *  3. put the tool files into kindlab's cache, never replacing what is there (the cache holds only
 *     checksum-verified files, so an existing one is already right);
 *  4. start the local registry and push every cluster image into it under its upstream path, so
 *     containerd in the nodes finds it through the mirror configured for its registry;
 *  5. record all of it in <state>/offline.json for `start`, `run` and `doctor`.
 *
 * A digest-pinned image is only served when the digest the registry computes for the pushed
 * manifest is the pinned one; Docker's classic image store re-creates manifests on push, so the
 * digest can differ and containerd would then go upstream. import reports such images as
 * "tag-only" rather than pretending they are served.
 */
import { cp, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { x as untar } from 'tar';
import { KindlabError } from '../core/errors.js';
import { BUNDLE_IMAGES, BUNDLE_MANIFEST } from './bundle.js';
import { mustDocker, run } from './docker-cli.js';
import { parseImage } from './image-ref.js';
import type { OfflineDeps } from './prefetch.js';
import { mirrorPath, type RegistryBackend } from './registry.js';
import { offlineStatePath, writeJson, type OfflineState, type PrefetchManifest, type Served } from './state.js';
import { pathExists } from '../core/fs.js';

export interface ImportResult {
  state: OfflineState;
  loaded: number;
  pushed: number;
  toolFiles: number;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** `docker push` ends with "<tag>: digest: sha256:… size: N". */
export function pushedDigest(output: string): string | undefined {
  return /digest: (sha256:[0-9a-f]{64})/.exec(output)?.[1];
}

export async function importBundle(file: string, deps: OfflineDeps, registry: RegistryBackend): Promise<ImportResult> {
  if (!(await isFile(file))) throw new KindlabError('usage', `no bundle at ${file}`, { fix: 'Pass the file written by `kindlab bundle`.' });
  await mkdir(deps.cacheDir, { recursive: true });
  const work = await mkdtemp(join(deps.cacheDir, '.import-'));
  try {
    deps.status(`Unpacking ${file}`);
    try {
      await untar({ file, cwd: work, strict: true });
    } catch (err) {
      throw new KindlabError('usage', `${file} is not a kindlab bundle (${(err as Error).message})`);
    }
    let manifest: PrefetchManifest;
    try {
      manifest = JSON.parse(await readFile(join(work, BUNDLE_MANIFEST), 'utf8')) as PrefetchManifest;
    } catch {
      throw new KindlabError('usage', `${file} has no ${BUNDLE_MANIFEST}: not a kindlab bundle`);
    }
    if (manifest.version !== 1) throw new KindlabError('usage', `${file} is a bundle format this kindlab does not read (version ${String(manifest.version)})`);

    deps.status(`Loading ${manifest.images.length} images (docker load)`);
    await mustDocker(deps, ['load', '-i', join(work, BUNDLE_IMAGES)], 'load the images', 60 * 60_000);

    let toolFiles = 0;
    for (const t of manifest.tools) {
      const from = join(work, t.dir);
      if (!(await pathExists(from))) continue;
      await cp(from, join(deps.cacheDir, t.dir), { recursive: true, force: false, errorOnExist: false });
      toolFiles++;
    }

    const endpoint = await registry.ensure();
    if (endpoint.started) deps.status(`Started the local registry (${endpoint.pushHost})`);
    const images: OfflineState['images'] = [];
    let pushed = 0;
    for (const img of manifest.images) {
      if (img.place !== 'cluster') {
        images.push({ ...img, served: 'no', note: 'host image: loaded into Docker' });
        continue;
      }
      const p = parseImage(img.ref);
      if (!p) continue;
      const target = `${endpoint.pushHost}/${mirrorPath(p)}:${p.tag ?? (parseImage(img.saved)?.tag as string)}`;
      deps.status(`Pushing ${img.ref} to the local registry`);
      const tag = await run(deps, ['tag', img.saved, target]);
      const push = tag.exitCode === 0 ? await run(deps, ['push', target], 10 * 60_000) : tag;
      // The extra name was only needed for the push.
      await run(deps, ['rmi', '--no-prune', target]);
      if (push.exitCode !== 0) {
        images.push({ ...img, served: 'no', note: (push.stderr || push.stdout).trim().split('\n').at(-1) ?? 'push failed' });
        continue;
      }
      pushed++;
      let served: Served = 'yes';
      let note: string | undefined;
      if (p.digest) {
        const got = pushedDigest(push.stdout + push.stderr);
        if (got !== p.digest) {
          served = 'tag-only';
          note = `the registry holds it as ${got ?? 'an unknown digest'}, not ${p.digest}; nodes pulling it by digest go upstream`;
          if (p.tag === undefined) served = 'no';
        }
      }
      images.push({ ...img, served, ...(note ? { note } : {}) });
    }

    const state: OfflineState = {
      version: 1,
      importedAt: new Date().toISOString(),
      bundle: file,
      labs: manifest.labs,
      platform: manifest.platform,
      registry: { pushHost: endpoint.pushHost, apiUrl: endpoint.apiUrl, mirrorUrl: endpoint.mirrorUrl },
      images,
      tools: manifest.tools,
    };
    await writeJson(offlineStatePath(deps.stateDir), state);
    return { state, loaded: manifest.images.length, pushed, toolFiles };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}


