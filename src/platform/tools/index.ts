/**
 * The tools layer as the rest of kindlab uses it: pins for a run, the tools on disk, their PATH.
 *
 *   const pins = resolvePins(opts.overrides);
 *   const tools = await ensureTools(pins, { cacheDir, runner, env, need: labTools(lab), progress });
 *   env.PATH = pathWithTools(tools.binDir, env); env.ISTIO_HOME = tools.istioHome;
 */
export { DEFAULT_SOURCES, TOOLS, type DownloadSources } from './catalog.js';
export { downloadVerified, type DownloadOptions, type DownloadRequest, type DownloadResult } from './download.js';
export { hostPlatform, type HostPlatform } from './host.js';
export { lineProgress, silentProgress, type ProgressSink, type ProgressTask } from './progress.js';
export { ensureTools, pathWithTools, type EnsureToolsOptions, type EnsuredTools, type ToolOrigin } from './resolve.js';
export { knownK8sVersions, pinWarnings, resolvePins, toolVersion, TOOL_NAMES, type Pins, type ToolName } from './versions.js';
