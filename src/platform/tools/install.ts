/**
 * The tool cache: `<cache>/tools/<name>/<version>/<os>-<arch>/`.
 *   single binaries (kind, kubectl):  <dir>/<command>
 *   archives (istioctl, helm, cloud-provider-kind):  <dir>/<archive>.tar.gz and the unpacked <dir>/root/
 * Archives are kept after unpacking: they are what was verified, a deleted `root/` can be rebuilt
 * from them offline, and removing them while another kindlab process is about to unpack them would
 * race.
 */
import { chmod, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { KindlabError } from '../../core/errors.js';
import type { Artifact, DownloadSources, ToolSpec } from './catalog.js';
import { artifactSizeLimits, downloadVerified, type DownloadOptions } from './download.js';
import { extractTarGz } from './extract.js';
import { exeSuffix, platformDir, type HostPlatform } from './host.js';

export interface InstalledTool {
  binary: string;
  /** For Istio: the unpacked release directory (ISTIO_HOME). */
  home?: string;
  /** 'cache' when nothing had to be downloaded. */
  origin: 'cache' | 'download';
}

export function toolDir(cacheDir: string, spec: ToolSpec, version: string, host: HostPlatform): string {
  return join(cacheDir, 'tools', spec.command, version, platformDir(host));
}

/** Where the tool's executable (and Istio's home) will be once installed. */
export function cachedLocation(cacheDir: string, spec: ToolSpec, version: string, host: HostPlatform, sources: DownloadSources) {
  const dir = toolDir(cacheDir, spec, version, host);
  const artifact = spec.artifact(version, host, sources);
  if (artifact.format === 'binary') return { dir, artifact, root: undefined, binary: join(dir, `${spec.command}${exeSuffix(host)}`) };
  const root = join(dir, 'root');
  return {
    dir,
    artifact,
    root,
    binary: join(root, artifact.binaryInArchive as string),
    ...(artifact.homeInArchive ? { home: join(root, artifact.homeInArchive) } : {}),
  };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

const label = (spec: ToolSpec, version: string) => `${spec.command} ${version}`;

async function unpack(artifact: Artifact, archive: string, root: string, binary: string): Promise<void> {
  await extractTarGz(archive, root);
  if (!(await isFile(binary))) {
    throw new KindlabError('environment', `${artifact.fileName} does not contain ${artifact.binaryInArchive}`, {
      fix: `The release layout may have changed upstream; delete ${root} and report this to the kindlab maintainers.`,
    });
  }
  // tar keeps the archive's modes, but make sure the one file we run is executable.
  await chmod(binary, 0o755);
}

export async function installTool(
  cacheDir: string,
  spec: ToolSpec,
  version: string,
  host: HostPlatform,
  sources: DownloadSources,
  download: DownloadOptions,
): Promise<InstalledTool> {
  const loc = cachedLocation(cacheDir, spec, version, host, sources);
  const home = 'home' in loc ? loc.home : undefined;
  if (await isFile(loc.binary)) return { binary: loc.binary, ...(home ? { home } : {}), origin: 'cache' };

  const { artifact } = loc;
  const common = {
    url: artifact.url,
    checksumUrl: artifact.checksumUrl,
    fileName: artifact.fileName,
    label: label(spec, version),
    maxBytes: artifactSizeLimits[artifact.format],
  };
  if (artifact.format === 'binary') {
    const got = await downloadVerified({ ...common, dest: loc.binary, mode: 0o755 }, download);
    return { binary: loc.binary, origin: got.cached ? 'cache' : 'download' };
  }
  const got = await downloadVerified({ ...common, dest: join(loc.dir, artifact.fileName) }, download);
  await unpack(artifact, got.path, loc.root as string, loc.binary);
  return { binary: loc.binary, ...(home ? { home } : {}), origin: got.cached ? 'cache' : 'download' };
}
