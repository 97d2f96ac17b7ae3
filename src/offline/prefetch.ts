/**
 * `kindlab prefetch`: everything a set of labs needs, fetched while there is a network. Tools go
 * to kindlab's cache (the same checksum-verified downloads a start would make, always into the
 * cache, even when PATH has them, because the cache is what a bundle carries); images are pulled
 * into the local Docker engine for the engine's own platform.
 */
import type { Lab } from '../model/lab.js';
import { TOOLS } from '../platform/tools/catalog.js';
import { hostPlatform, platformDir, type HostPlatform } from '../platform/tools/host.js';
import { toolDir } from '../platform/tools/install.js';
import type { EnsuredTools, EnsureToolsOptions } from '../platform/tools/resolve.js';
import { toolVersion, type Pins } from '../platform/tools/versions.js';
import { engineArch, imagePresent, run, savedName, type DockerCli } from './docker-cli.js';
import { labTools } from '../platform/lab-tools.js';
import { labImages, mergeImageLists } from './images.js';
import { REGISTRY_IMAGE } from './platform-images.js';
import { prefetchManifestPath, writeJson, type BundledImage, type BundledTool, type PrefetchManifest } from './state.js';

export type EnsureToolsFn = (pins: Pins, opts: EnsureToolsOptions) => Promise<EnsuredTools>;

export interface OfflineDeps extends DockerCli {
  cacheDir: string;
  stateDir: string;
  status: (message: string) => void;
  kindlabVersion: string;
  /** src/platform/tools ensureTools; replaced in tests. */
  ensureTools: EnsureToolsFn;
  fetchImpl?: typeof fetch;
}

export interface PrefetchOptions {
  pins: Pins;
  /** Tool builds to fetch besides this host's (attendees on other systems). */
  extraPlatforms?: HostPlatform[];
  host?: HostPlatform;
}

export type PullOutcome = 'present' | 'pulled' | 'failed';

export interface PrefetchResult {
  manifest: PrefetchManifest;
  pulls: Array<{ ref: string; outcome: PullOutcome; error?: string }>;
}

export async function prefetch(labs: readonly Lab[], deps: OfflineDeps, opts: PrefetchOptions): Promise<PrefetchResult> {
  const { pins } = opts;
  const host = opts.host ?? hostPlatform();
  const need = [...new Set(labs.flatMap(labTools))];
  const platforms = [host, ...(opts.extraPlatforms ?? []).filter((p) => platformDir(p) !== platformDir(host))];

  const tools: BundledTool[] = [];
  let istioHome: string | undefined;
  for (const p of platforms) {
    deps.status(`Fetching tools for ${platformDir(p)}: ${need.map((t) => TOOLS[t].command).join(', ')}`);
    const got = await deps.ensureTools(pins, {
      cacheDir: deps.cacheDir,
      runner: deps.runner,
      env: deps.env,
      need,
      host: p,
      usePath: false,
      ...(deps.fetchImpl ? { fetchImpl: deps.fetchImpl } : {}),
    });
    if (p === host) istioHome = got.istioHome;
    for (const t of need) {
      const version = toolVersion(pins, t);
      const dir = toolDir(deps.cacheDir, TOOLS[t], version, p);
      tools.push({ tool: t, version, platform: platformDir(p), dir: dir.slice(deps.cacheDir.length + 1) });
    }
  }

  // After the tools: the Istio release now in the cache resolves $ISTIO_HOME/samples references.
  const lists = [];
  for (const lab of labs) lists.push(await labImages(lab, { pins, ...(istioHome ? { istioHome } : {}) }));
  const merged = mergeImageLists(lists);
  const images: BundledImage[] = merged.images.map((i) => ({ ref: i.ref, saved: savedName(i.ref), place: i.place, labs: i.labs }));
  images.push({ ref: REGISTRY_IMAGE, saved: REGISTRY_IMAGE, place: 'host', labs: [] });

  const arch = await engineArch(deps, host.arch);
  const pulls: PrefetchResult['pulls'] = [];
  for (const img of images) {
    if (await imagePresent(deps, img.saved)) {
      pulls.push({ ref: img.ref, outcome: 'present' });
      continue;
    }
    deps.status(`Pulling ${img.ref}`);
    const r = await run(deps, ['pull', '--platform', `linux/${arch}`, img.ref], 30 * 60_000);
    if (r.exitCode !== 0) {
      pulls.push({ ref: img.ref, outcome: 'failed', error: (r.stderr || r.stdout).trim().split('\n').at(-1) ?? `exit code ${r.exitCode}` });
      continue;
    }
    if (img.saved !== img.ref) {
      const t = await run(deps, ['tag', img.ref, img.saved]);
      if (t.exitCode !== 0) {
        pulls.push({ ref: img.ref, outcome: 'failed', error: `pulled, but could not tag it ${img.saved}` });
        continue;
      }
    }
    pulls.push({ ref: img.ref, outcome: 'pulled' });
  }

  const manifest: PrefetchManifest = {
    version: 1,
    createdAt: new Date().toISOString(),
    kindlab: deps.kindlabVersion,
    labs: labs.map((l) => l.meta.id),
    platform: `linux/${arch}`,
    pins: { kind: pins.kind, k8s: pins.k8s, nodeImage: pins.nodeImage, kubectl: pins.kubectl, istio: pins.istio, helm: pins.helm },
    images,
    tools,
    unresolved: merged.unresolved,
  };
  await writeJson(prefetchManifestPath(deps.cacheDir), manifest);
  return { manifest, pulls };
}
