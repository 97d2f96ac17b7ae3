/**
 * Where each tool is published and how to recognise its version.
 *
 * Release layouts, and how each was checked (upstream snapshots read through the research tools):
 * - kind: `https://kind.sigs.k8s.io/dl/<v>/kind-<os>-<arch>`. VERIFIED: kind `site/layouts/index.redirects`
 *   maps `/dl/v*` to `github.com/kubernetes-sigs/kind/releases/download/v:splat`; `hack/release/build/cross.sh`
 *   builds `kind-<GOOS>-<GOARCH>` for windows/amd64, darwin/{amd64,arm64}, linux/{amd64,arm64} (no windows/arm64)
 *   and writes `<name>.sha256sum` with `shasum -a 256` (`<hex>  <name>`).
 * - kubectl: `https://dl.k8s.io/release/<v>/bin/<os>/<arch>/kubectl[.exe]` plus `.sha256` holding only the hex.
 *   ASSUMED from the Kubernetes install docs as quoted in many scripts (no primary source in the corpus).
 * - Istio: `https://github.com/istio/istio/releases/download/<v>/istio-<v>-<suffix>.tar.gz` plus `.sha256`.
 *   VERIFIED: istio/release-builder `pkg/build/archive.go` (2026-08-21) builds linux-amd64, linux-arm64,
 *   osx-amd64, osx-arm64, win-amd64 (zip), plus the older names `osx` and `win`; the archive's top directory is
 *   `istio-<v>/` with `bin/istioctl`, `samples/`, `manifests/`, `tools/`. `pkg/util/files.go CreateSha` writes
 *   `<hex> <name>` (one space). downloadIstio uses `osx` for Intel Macs and `osx-arm64` for Apple Silicon; we do
 *   the same because `osx` also exists for older releases someone may pass with --istio.
 * - Helm: `https://get.helm.sh/helm-<v>-<os>-<arch>.tar.gz` plus `.sha256sum` (`<hex>  <name>`); the archive holds
 *   `<os>-<arch>/helm`. VERIFIED: helm/helm Makefile targets `dist`, `fetch-dist`, `checksum` (2026-08-20);
 *   Windows builds are .zip.
 * - cloud-provider-kind: GitHub release assets made by GoReleaser with no archive settings:
 *   `cloud-provider-kind_<v without v>_<os>_<arch>.tar.gz` and `cloud-provider-kind_<v without v>_checksums.txt`
 *   (`<hex>  <name>` per line). VERIFIED: its `.goreleaser.yaml` at v0.11.1 sets only builds/ldflags; the default
 *   names come from goreleaser.com/customization/checksum and GoReleaser's archive defaults (binary at the archive
 *   root). ASSUMED: that GoReleaser's defaults did not change for the release run.
 */
import { envError } from '../../core/errors.js';
import { exeSuffix, type HostPlatform } from './host.js';
import type { ToolName } from './versions.js';

/** Base URLs, overridable for tests (a local server) and for mirrors of the same layout. */
export interface DownloadSources {
  kind: string;
  kubectl: string;
  istio: string;
  helm: string;
  cloudProviderKind: string;
}

export const DEFAULT_SOURCES: DownloadSources = {
  kind: 'https://kind.sigs.k8s.io/dl',
  kubectl: 'https://dl.k8s.io/release',
  istio: 'https://github.com/istio/istio/releases/download',
  helm: 'https://get.helm.sh',
  cloudProviderKind: 'https://github.com/kubernetes-sigs/cloud-provider-kind/releases/download',
};

export interface Artifact {
  url: string;
  checksumUrl: string;
  /** Name of the downloaded file, also the name looked up in multi-entry checksum files. */
  fileName: string;
  format: 'binary' | 'tar.gz';
  /** For archives: the executable's path inside the extracted tree. */
  binaryInArchive?: string;
  /** For Istio: the release directory inside the archive, which becomes ISTIO_HOME. */
  homeInArchive?: string;
}

export interface ToolSpec {
  name: ToolName;
  /** Executable name on PATH and in kindlab's bin directory (without .exe). */
  command: string;
  artifact(version: string, host: HostPlatform, sources: DownloadSources): Artifact;
  /** Arguments that print the version without touching a cluster. */
  versionArgs: string[];
  /** The version in the tool's own spelling, or undefined when the output is not understood. */
  parseVersion(stdout: string): string | undefined;
}

const join = (base: string, ...parts: string[]) => [base.replace(/\/+$/, ''), ...parts].join('/');
const firstSemver = (text: string) => /v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)/.exec(text)?.[1];

function parseJson(stdout: string): unknown {
  try {
    return JSON.parse(stdout);
  } catch {
    return undefined;
  }
}

function windowsArchiveUnsupported(tool: string): never {
  throw envError(
    `kindlab cannot unpack ${tool} for Windows (it is published as a .zip)`,
    'Run kindlab inside WSL2, where the Linux builds are used.',
  );
}

const kind: ToolSpec = {
  name: 'kind',
  command: 'kind',
  artifact(version, host, sources) {
    if (host.os === 'windows' && host.arch === 'arm64') {
      throw envError('kind publishes no windows/arm64 binary', 'Run kindlab inside WSL2.');
    }
    const fileName = `kind-${host.os}-${host.arch}`;
    const url = join(sources.kind, version, fileName);
    return { url, checksumUrl: `${url}.sha256sum`, fileName, format: 'binary' };
  },
  versionArgs: ['version'],
  // "kind v0.33.0 go1.25.1 linux/amd64" (kind pkg/cmd/kind/version DisplayVersion).
  parseVersion: (stdout) => /kind v(\S+)/.exec(stdout)?.[1] ?? firstSemver(stdout),
};

const kubectl: ToolSpec = {
  name: 'kubectl',
  command: 'kubectl',
  artifact(version, host, sources) {
    const fileName = `kubectl${exeSuffix(host)}`;
    const url = join(sources.kubectl, version, 'bin', host.os, host.arch, fileName);
    return { url, checksumUrl: `${url}.sha256`, fileName, format: 'binary' };
  },
  versionArgs: ['version', '--client', '-o', 'json'],
  parseVersion(stdout) {
    const doc = parseJson(stdout) as { clientVersion?: { gitVersion?: string } } | undefined;
    const v = doc?.clientVersion?.gitVersion;
    return v ? v.replace(/^v/, '') : firstSemver(stdout);
  },
};

const istioctl: ToolSpec = {
  name: 'istioctl',
  command: 'istioctl',
  artifact(version, host, sources) {
    if (host.os === 'windows') windowsArchiveUnsupported('Istio');
    const suffix = host.os === 'darwin' ? (host.arch === 'arm64' ? 'osx-arm64' : 'osx') : `linux-${host.arch}`;
    const fileName = `istio-${version}-${suffix}.tar.gz`;
    const url = join(sources.istio, version, fileName);
    const home = `istio-${version}`;
    return { url, checksumUrl: `${url}.sha256`, fileName, format: 'tar.gz', binaryInArchive: `${home}/bin/istioctl`, homeInArchive: home };
  },
  // --remote=false keeps istioctl from contacting whatever cluster the current kubeconfig points at.
  versionArgs: ['version', '--remote=false', '-o', 'json'],
  parseVersion(stdout) {
    // {"clientVersion": {"version": "1.31.1", ...}} (istio pkg/version/cobra.go); older builds print "1.x.y".
    const doc = parseJson(stdout) as { clientVersion?: { version?: string } } | undefined;
    return doc?.clientVersion?.version ?? firstSemver(stdout);
  },
};

const helm: ToolSpec = {
  name: 'helm',
  command: 'helm',
  artifact(version, host, sources) {
    if (host.os === 'windows') windowsArchiveUnsupported('Helm');
    const fileName = `helm-${version}-${host.os}-${host.arch}.tar.gz`;
    const url = join(sources.helm, fileName);
    return { url, checksumUrl: `${url}.sha256sum`, fileName, format: 'tar.gz', binaryInArchive: `${host.os}-${host.arch}/helm` };
  },
  versionArgs: ['version', '--short'],
  // "v4.2.4+g1a2b3c4" (helm pkg/cmd/version.go formatVersion).
  parseVersion: (stdout) => firstSemver(stdout),
};

const cloudProviderKind: ToolSpec = {
  name: 'cloudProviderKind',
  command: 'cloud-provider-kind',
  artifact(version, host, sources) {
    const bare = version.replace(/^v/, '');
    const fileName = `cloud-provider-kind_${bare}_${host.os}_${host.arch}.tar.gz`;
    return {
      url: join(sources.cloudProviderKind, version, fileName),
      checksumUrl: join(sources.cloudProviderKind, version, `cloud-provider-kind_${bare}_checksums.txt`),
      fileName,
      format: 'tar.gz',
      binaryInArchive: `cloud-provider-kind${exeSuffix(host)}`,
    };
  },
  // "cloud-provider-kind 0.11.1". Releases before v0.11.0 have no `version` subcommand and would start
  // the controller instead, so callers run this with a short timeout.
  versionArgs: ['version'],
  parseVersion: (stdout) => /cloud-provider-kind v?(\d+\.\d+\.\d+\S*)/.exec(stdout)?.[1],
};

export const TOOLS: Record<ToolName, ToolSpec> = { kind, kubectl, istioctl, helm, cloudProviderKind };

/** True when a detected version is the pinned one (spelling differences such as a leading v ignored). */
export function sameVersion(found: string | undefined, pinned: string): boolean {
  return found !== undefined && found.replace(/^v/, '') === pinned.replace(/^v/, '');
}
