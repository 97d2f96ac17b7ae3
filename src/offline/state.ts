/**
 * What the offline commands remember between runs:
 *  - <cache>/offline/prefetch.json: what `prefetch` gathered (labs, pins, images, tools); `bundle`
 *    packs exactly that.
 *  - <state>/offline.json: what `import` loaded and where the registry serves it; `start`/`run`
 *    read it to point the kind nodes at the registry, and `doctor` to say whether a lab can start
 *    offline.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { ImagePlace } from '../platform/addons/types.js';
import type { RegistryEndpoint } from './registry.js';

export interface BundledImage {
  /** The reference the labs use. */
  ref: string;
  /** The name it is saved under in the bundle (differs for digest-pinned images, see savedName). */
  saved: string;
  place: ImagePlace;
  labs: string[];
}

export interface BundledTool {
  tool: string;
  version: string;
  /** os-arch, as the cache directory names it. */
  platform: string;
  /** Relative to the cache directory (tools/<command>/<version>/<os-arch>). */
  dir: string;
}

export interface PrefetchManifest {
  version: 1;
  createdAt: string;
  kindlab: string;
  labs: string[];
  /** linux/<arch> the images were pulled for. */
  platform: string;
  pins: Record<string, string>;
  images: BundledImage[];
  tools: BundledTool[];
  unresolved: Array<{ lab: string; ref: string; why: string }>;
}

export type Served = 'yes' | 'tag-only' | 'no';

export interface OfflineState {
  version: 1;
  importedAt: string;
  bundle: string;
  labs: string[];
  platform: string;
  registry: RegistryEndpoint;
  images: Array<BundledImage & { served: Served; note?: string }>;
  tools: BundledTool[];
}

export const prefetchManifestPath = (cacheDir: string) => join(cacheDir, 'offline', 'prefetch.json');
export const offlineStatePath = (stateDir: string) => join(stateDir, 'offline.json');
export const registryStorageDir = (cacheDir: string) => join(cacheDir, 'offline', 'registry');

export async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export async function writeJson(file: string, data: unknown): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, JSON.stringify(data, null, 2) + '\n');
}
