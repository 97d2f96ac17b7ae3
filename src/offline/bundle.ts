/**
 * `kindlab bundle <file>`: what `prefetch` gathered, as one tar to copy to attendee machines.
 *
 *   bundle.json     the prefetch manifest (labs, pins, images and the names they are saved under)
 *   images.tar      `docker save` of every image
 *   tools/...       the tool cache entries for the pinned versions (downloads as verified; the
 *                   unpacked trees are left out, the importing kindlab unpacks them from the
 *                   archives again, so symlinks in a release never need to survive the copy)
 *
 * Uncompressed: the image layers are already compressed, and tar can then append the tools without
 * copying them first.
 */
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { create as tarCreate, replace as tarAppend } from 'tar';
import { KindlabError } from '../core/errors.js';
import { imagePresent, mustDocker } from './docker-cli.js';
import type { OfflineDeps } from './prefetch.js';
import { prefetchManifestPath, readJson, type PrefetchManifest } from './state.js';
import { pathExists } from '../core/fs.js';

export const BUNDLE_MANIFEST = 'bundle.json';
export const BUNDLE_IMAGES = 'images.tar';

export interface BundleResult {
  file: string;
  bytes: number;
  images: number;
  toolFiles: string[];
}


/** The files of a tool's cache directory worth carrying: binaries and archives, not the unpacked root/. */
async function toolFiles(cacheDir: string, rel: string): Promise<string[]> {
  const dir = join(cacheDir, rel);
  if (!(await pathExists(dir))) return [];
  const names = await readdir(dir, { withFileTypes: true });
  return names.filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => posix.join(rel.split('\\').join('/'), e.name));
}

export async function bundle(file: string, deps: OfflineDeps): Promise<BundleResult> {
  const manifest = await readJson<PrefetchManifest>(prefetchManifestPath(deps.cacheDir));
  if (!manifest) throw new KindlabError('usage', 'nothing has been prefetched yet', { fix: 'Run `kindlab prefetch <lab…>` (or --all) first, with a network.' });

  const missing: string[] = [];
  for (const img of manifest.images) if (!(await imagePresent(deps, img.saved))) missing.push(img.saved);
  const tools: string[] = [];
  for (const t of manifest.tools) {
    const files = await toolFiles(deps.cacheDir, t.dir);
    if (files.length === 0) missing.push(`${t.tool} ${t.version} (${t.platform})`);
    tools.push(...files);
  }
  if (missing.length > 0) {
    throw new KindlabError('environment', `${missing.length} prefetched item${missing.length > 1 ? 's are' : ' is'} no longer on this machine`, {
      details: missing,
      fix: 'Run `kindlab prefetch` again for the same labs, then bundle.',
    });
  }

  // Staging next to the output: images.tar is as big as the bundle, and the same filesystem avoids a copy.
  const staging = await mkdtemp(join(dirname(file), '.kindlab-bundle-'));
  try {
    await writeFile(join(staging, BUNDLE_MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
    deps.status(`Saving ${manifest.images.length} images (docker save)`);
    await mustDocker(deps, ['save', '-o', join(staging, BUNDLE_IMAGES), ...manifest.images.map((i) => i.saved)], 'save the images', 60 * 60_000);
    deps.status(`Writing ${file}`);
    await tarCreate({ file, cwd: staging, portable: true }, [BUNDLE_MANIFEST, BUNDLE_IMAGES]);
    if (tools.length > 0) await tarAppend({ file, cwd: deps.cacheDir, portable: true }, tools);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { file, bytes: (await stat(file)).size, images: manifest.images.length, toolFiles: tools };
}
