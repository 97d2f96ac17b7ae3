/**
 * The lab's tools against the pins. kindlab downloads whatever is missing when a lab starts, so a
 * mismatch is not a failure; it is reported so a learner preparing days ahead (or on a venue
 * network) knows a download is still due.
 */
import { stat } from 'node:fs/promises';
import { labTools } from '../../lab-tools.js';
import { DEFAULT_SOURCES, sameVersion, TOOLS } from '../../tools/catalog.js';
import { detectVersion, findOnPath } from '../../tools/detect.js';
import { hostPlatform } from '../../tools/host.js';
import { cachedLocation } from '../../tools/install.js';
import { toolVersion, type ToolName } from '../../tools/versions.js';
import type { DoctorContext, Finding, Probe } from '../types.js';

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function checkTool(ctx: DoctorContext, name: ToolName): Promise<Finding> {
  const spec = TOOLS[name];
  const pinned = toolVersion(ctx.pins, name);
  const id = `tools.${spec.command}`;
  const title = `${spec.command} ${pinned}`;
  const onPath = await findOnPath(spec.command, ctx.env, ctx.platform === 'win32');
  const found = onPath ? await detectVersion(spec, onPath, ctx.runner, ctx.env) : undefined;
  if (onPath && sameVersion(found, pinned)) return { id, title, status: 'ok', message: `on PATH at ${onPath}` };
  let cached = false;
  let note = '';
  try {
    cached = await isFile(cachedLocation(ctx.paths.cache, spec, pinned, hostPlatform(ctx.platform, ctx.hostArch), DEFAULT_SOURCES).binary);
  } catch (err) {
    // No build for this platform (e.g. Istio on native Windows): say so instead of promising a download.
    note = err instanceof Error ? err.message : String(err);
  }
  if (cached) return { id, title, status: 'ok', message: "in kindlab's cache" };
  const seen = onPath ? `${onPath} is ${found ? `version ${found}` : 'of unknown version'}` : 'not on PATH';
  if (note) return { id, title, status: 'fail', message: `${seen}; ${note}` };
  return {
    id,
    title,
    status: 'warn',
    message: `${seen}; kindlab will download ${pinned} when a lab first needs it`,
    fix: 'Nothing to do if this machine can reach the download site when the lab starts; otherwise prepare an offline bundle.',
  };
}

export const toolsProbe: Probe = {
  id: 'tools',
  title: 'Tools',
  async run(ctx) {
    // Without a lab, the tools of the Istio labs: the common case for a "days before" check.
    const need: ToolName[] = ctx.lab ? labTools({ meta: { addons: ctx.lab.addons ?? [] }, steps: ctx.lab.steps ?? [] }) : ['kind', 'kubectl', 'istioctl'];
    return Promise.all(need.map((t) => checkTool(ctx, t)));
  },
};
