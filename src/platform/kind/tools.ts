/**
 * The narrow view of the pinned tools this part of the platform needs. src/platform/tools
 * (ensureTools) produces a superset of it; nothing here depends on how the tools were found.
 */

export interface ToolPaths {
  kind: string;
  kubectl: string;
  /** Docker is not downloaded: the engine the user runs, usually just "docker" on PATH. */
  docker: string;
  helm?: string;
  istioctl?: string;
}

export interface PlatformTools {
  /** Directory holding the pinned executables; put first on the lab's PATH. */
  binDir: string;
  paths: ToolPaths;
  /** Unpacked Istio release (samples/, tools/), when the lab uses Istio. */
  istioHome?: string;
  /** Tool → version actually used, for reports. */
  versions: Record<string, string>;
}
