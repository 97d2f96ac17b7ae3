/**
 * The local registry that serves a bundle's images to kind nodes: a `registry:2` container named
 * kindlab-registry on the `kind` Docker network, the way kind's own local-registry recipe does it
 * (site/static/examples/kind-with-registry.sh). Nodes reach it by name through Docker's DNS on that
 * network; kindlab pushes into it through a port published on 127.0.0.1 only.
 *
 * Its storage is a directory in kindlab's cache, not the container: `kindlab down --all` removes the
 * container (it is labelled as kindlab's), and the next import or start recreates it without pushing
 * everything again. It is labelled scope=offline, so `down <lab>` leaves it alone.
 */
import { mkdir } from 'node:fs/promises';
import { OWNED_LABEL, SCOPE_LABEL } from '../platform/kind/names.js';
import { mustDocker, run, type DockerCli } from './docker-cli.js';
import type { ImageParts } from './image-ref.js';

export const REGISTRY_CONTAINER = 'kindlab-registry';
export const REGISTRY_HOST_PORT = 5001;
export const KIND_NETWORK = 'kind';

export interface RegistryEndpoint {
  /** host:port to push to from this machine (127.0.0.1:5001). */
  pushHost: string;
  /** URL of the registry's API root from this machine, for readiness checks. */
  apiUrl: string;
  /** URL the kind nodes use as a mirror. */
  mirrorUrl: string;
}

/** Where a registry runs; the real one is a container, tests use a registry process on 127.0.0.1. */
export interface RegistryBackend {
  ensure(): Promise<RegistryEndpoint & { started: boolean }>;
  /** The endpoint if it is running now, without starting anything. */
  running(): Promise<(RegistryEndpoint & { started: false }) | undefined>;
}

export interface ContainerRegistryOptions {
  image: string;
  storageDir: string;
  hostPort?: number;
}

export function registryRunArgs(o: ContainerRegistryOptions): string[] {
  return [
    'run',
    '-d',
    '--name',
    REGISTRY_CONTAINER,
    '--label',
    `${OWNED_LABEL}=true`,
    '--label',
    `${SCOPE_LABEL}=offline`,
    '--network',
    KIND_NETWORK,
    // Loopback only: an unauthenticated registry should not be reachable from the venue network.
    '-p',
    `127.0.0.1:${o.hostPort ?? REGISTRY_HOST_PORT}:5000`,
    '-v',
    `${o.storageDir}:/var/lib/registry`,
    o.image,
  ];
}

export function containerEndpoint(hostPort = REGISTRY_HOST_PORT): RegistryEndpoint {
  return { pushHost: `127.0.0.1:${hostPort}`, apiUrl: `http://127.0.0.1:${hostPort}`, mirrorUrl: `http://${REGISTRY_CONTAINER}:5000` };
}

export function containerRegistry(d: DockerCli, o: ContainerRegistryOptions): RegistryBackend {
  const endpoint = containerEndpoint(o.hostPort);
  const state = async () => {
    const r = await run(d, ['inspect', '--format', '{{.State.Running}}', REGISTRY_CONTAINER]);
    return r.exitCode !== 0 ? 'absent' : r.stdout.trim() === 'true' ? 'running' : 'stopped';
  };
  return {
    async running() {
      return (await state()) === 'running' ? { ...endpoint, started: false } : undefined;
    },
    async ensure() {
      const now = await state();
      if (now === 'running') return { ...endpoint, started: false };
      if (now === 'stopped') await run(d, ['rm', '-f', REGISTRY_CONTAINER]);
      // kind creates the `kind` network with its first cluster; before any cluster exists the
      // registry creates it, and kind then uses the existing network (kind pkg/cluster/internal/providers/docker/network.go).
      if ((await run(d, ['network', 'inspect', KIND_NETWORK])).exitCode !== 0) {
        await mustDocker(d, ['network', 'create', KIND_NETWORK], 'create the kind Docker network');
      }
      await mkdir(o.storageDir, { recursive: true });
      await mustDocker(d, registryRunArgs(o), 'start the kindlab-registry container', 120_000);
      return { ...endpoint, started: true };
    },
  };
}

/** The repository path an image gets in the local registry: its path upstream, as containerd asks a mirror for it. */
export function mirrorPath(p: ImageParts): string {
  return p.repository;
}

/** Upstream registries the nodes pull through the local registry (the usual four plus any a bundle uses). */
export const DEFAULT_MIRRORED = ['docker.io', 'registry.k8s.io', 'gcr.io', 'quay.io'];

export function mirrorsFor(registries: readonly string[], mirrorUrl: string): Record<string, string> {
  const all = [...new Set([...DEFAULT_MIRRORED, ...registries])].sort();
  return Object.fromEntries(all.map((r) => [r, mirrorUrl]));
}

/** Asks the registry for one manifest (HEAD, with the media types containerd accepts). */
export async function registryHas(apiUrl: string, repository: string, reference: string, fetchImpl: typeof fetch = fetch): Promise<boolean> {
  try {
    const res = await fetchImpl(`${apiUrl}/v2/${repository}/manifests/${reference}`, {
      method: 'HEAD',
      headers: {
        accept: [
          'application/vnd.oci.image.index.v1+json',
          'application/vnd.docker.distribution.manifest.list.v2+json',
          'application/vnd.oci.image.manifest.v1+json',
          'application/vnd.docker.distribution.manifest.v2+json',
        ].join(', '),
      },
      signal: AbortSignal.timeout(5000),
    });
    return res.ok;
  } catch {
    return false;
  }
}
