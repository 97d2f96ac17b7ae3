/**
 * Can a lab start on this machine without internet? The answer `doctor` gives per lab, and what
 * `start`/`run` use to point the kind nodes at the local registry.
 *
 * Offline means: every tool in kindlab's cache, every host image in Docker's image store (by the
 * exact reference kind and cloud-provider-kind will use), and every cluster image in the running
 * local registry under the reference containerd will ask the mirror for.
 */
import type { Lab } from '../model/lab.js';
import { labTools } from '../platform/lab-tools.js';
import type { Finding } from '../platform/doctor/types.js';
import { DEFAULT_SOURCES, TOOLS } from '../platform/tools/catalog.js';
import { hostPlatform, type HostPlatform } from '../platform/tools/host.js';
import { cachedLocation } from '../platform/tools/install.js';
import { toolVersion, type Pins } from '../platform/tools/versions.js';
import { imagePresent, type DockerCli } from './docker-cli.js';
import { manifestReference, parseImage } from './image-ref.js';
import { labImages } from './images.js';
import { REGISTRY_IMAGE } from './platform-images.js';
import { containerRegistry, mirrorPath, mirrorsFor, registryHas } from './registry.js';
import { offlineStatePath, readJson, registryStorageDir, type OfflineState } from './state.js';
import { pathExists } from '../core/fs.js';

export interface ReadinessDeps extends DockerCli {
  cacheDir: string;
  stateDir: string;
  fetchImpl?: typeof fetch;
  host?: HostPlatform;
}

export interface Readiness {
  lab: string;
  ready: boolean;
  missing: string[];
  /** References that could not be derived, so readiness cannot be promised for them. */
  unknown: string[];
}


/** Installed, or its verified download is there to be unpacked without a network. */
async function toolCached(cacheDir: string, tool: keyof typeof TOOLS, version: string, host: HostPlatform): Promise<boolean> {
  const loc = cachedLocation(cacheDir, TOOLS[tool], version, host, DEFAULT_SOURCES);
  return (await pathExists(loc.binary)) || (loc.root !== undefined && (await pathExists(`${loc.dir}/${loc.artifact.fileName}`)));
}

export async function registryUp(apiUrl: string, fetchImpl: typeof fetch = fetch): Promise<boolean> {
  try {
    const res = await fetchImpl(`${apiUrl}/v2/`, { signal: AbortSignal.timeout(3000) });
    return res.ok;
  } catch {
    return false;
  }
}

export async function offlineReadiness(lab: Lab, pins: Pins, deps: ReadinessDeps): Promise<Readiness> {
  const host = deps.host ?? hostPlatform();
  const missing: string[] = [];
  for (const t of labTools(lab)) {
    if (!(await toolCached(deps.cacheDir, t, toolVersion(pins, t), host))) missing.push(`tool ${TOOLS[t].command} ${toolVersion(pins, t)}`);
  }
  const istio = cachedLocation(deps.cacheDir, TOOLS.istioctl, pins.istio, host, DEFAULT_SOURCES);
  const istioHome = 'home' in istio && istio.home && (await pathExists(istio.home)) ? istio.home : undefined;
  const list = await labImages(lab, { pins, ...(istioHome ? { istioHome } : {}) });

  const state = await readJson<OfflineState>(offlineStatePath(deps.stateDir));
  const fetchImpl = deps.fetchImpl ?? fetch;
  const registry = state && (await registryUp(state.registry.apiUrl, fetchImpl)) ? state.registry : undefined;
  for (const img of list.images) {
    if (img.place === 'host') {
      if (!(await imagePresent(deps, img.ref))) missing.push(`image ${img.ref} (not in Docker's image store)`);
      continue;
    }
    const p = parseImage(img.ref);
    if (!p) continue;
    if (!registry) {
      missing.push(`image ${img.ref}`);
      continue;
    }
    if (!(await registryHas(registry.apiUrl, mirrorPath(p), manifestReference(p), fetchImpl))) missing.push(`image ${img.ref} (not in the local registry)`);
  }
  return { lab: lab.meta.id, ready: missing.length === 0 && list.unresolved.length === 0, missing, unknown: list.unresolved.map((u) => `${u.ref}: ${u.why}`) };
}

/** The readiness as a doctor finding. Never `fail`: a lab that cannot start offline still starts online. */
export async function offlineFinding(lab: Lab, pins: Pins, deps: ReadinessDeps): Promise<Finding> {
  const r = await offlineReadiness(lab, pins, deps);
  const state = await readJson<OfflineState>(offlineStatePath(deps.stateDir));
  const base = { id: 'offline', title: 'Offline start' };
  if (r.ready) return { ...base, status: 'ok', message: 'every tool and image is on this machine; the lab can start without internet' };
  const details = [...r.missing.slice(0, 12), ...(r.missing.length > 12 ? [`… and ${r.missing.length - 12} more`] : []), ...r.unknown.map((u) => `cannot tell: ${u}`)];
  const why = !state ? 'no offline bundle has been imported' : r.missing.length ? `${r.missing.length} item${r.missing.length > 1 ? 's' : ''} missing` : 'some images could not be derived';
  return {
    ...base,
    status: 'warn',
    message: `cannot start without internet: ${why}`,
    details,
    fix: state ? 'Import a bundle that includes this lab (kindlab import <file>), or start it with a network.' : 'With a network nothing is needed; for a venue without one: kindlab prefetch, kindlab bundle, then kindlab import on this machine.',
  };
}

/**
 * Registry mirrors for the kind nodes when a bundle has been imported and its registry runs; empty
 * otherwise. `start`/`run` merge these under any --registry-mirror the user gave.
 */
export async function offlineMirrors(stateDir: string, fetchImpl: typeof fetch = fetch): Promise<Record<string, string>> {
  const state = await readJson<OfflineState>(offlineStatePath(stateDir));
  if (!state || !(await registryUp(state.registry.apiUrl, fetchImpl))) return {};
  const registries = state.images.filter((i) => i.place === 'cluster' && i.served !== 'no').map((i) => parseImage(i.ref)?.registry ?? '').filter(Boolean);
  return mirrorsFor(registries, state.registry.mirrorUrl);
}

/**
 * offlineMirrors for a start: when a bundle was imported but its registry container is gone
 * (`down --all`, a Docker restart), it is started again from the image and storage on this machine.
 */
export async function ensureOfflineMirrors(d: DockerCli & { cacheDir: string; stateDir: string }, fetchImpl: typeof fetch = fetch): Promise<Record<string, string>> {
  const state = await readJson<OfflineState>(offlineStatePath(d.stateDir));
  if (!state) return {};
  if (!(await registryUp(state.registry.apiUrl, fetchImpl))) {
    try {
      await containerRegistry(d, { image: REGISTRY_IMAGE, storageDir: registryStorageDir(d.cacheDir) }).ensure();
    } catch {
      return {};
    }
    for (let i = 0; i < 20 && !(await registryUp(state.registry.apiUrl, fetchImpl)); i++) await new Promise((r) => setTimeout(r, 500));
  }
  return offlineMirrors(d.stateDir, fetchImpl);
}
