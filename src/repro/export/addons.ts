/**
 * The addons of an exported lab: each addon writes its own bash (its `script` in
 * src/platform/addons), next to the code that installs it under kindlab, through the writer here.
 * Host addons come first, then each addon's shared setup once, then every cluster's addons in
 * install order: the order `kindlab start` uses.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Lab } from '../../model/lab.js';
import { addonClusters, addonOf, type ResolvedAddon } from '../../platform/addons/settings.js';
import type { ScriptWriter } from '../../platform/addons/types.js';
import type { Pins } from '../../platform/tools/versions.js';
import { embedFile, type ScriptText } from './files.js';
import { KUBECONFIG_WORD, line, sh } from './shell.js';

export function scriptWriter(e: ScriptText, lab: Lab, pins: Pins): ScriptWriter {
  return {
    pins,
    kubeconfig: KUBECONFIG_WORD,
    lines: (...lines) => void e.out.push(...lines),
    command: line,
    word: sh,
    file: (path, content) => embedFile(e, path, content),
    labFile: async (path) => embedFile(e, `labs/${lab.meta.id}/${path}`, await readFile(join(lab.dir, path), 'utf8')),
  };
}

/** Lines for the script's `down`, after the clusters are deleted. */
export function addonDownLines(w: ScriptWriter, addons: readonly ResolvedAddon[]): void {
  for (const a of addons) {
    const addon = addonOf(a);
    if (addon.scope === 'host') addon.downScript?.(w);
  }
}

export async function addonLines(w: ScriptWriter, addons: readonly ResolvedAddon[], clusters: readonly { name: string; kindName: string; context: string }[]): Promise<void> {
  for (const a of addons) {
    const addon = addonOf(a);
    if (addon.scope === 'host') addon.script(w, a.settings);
  }
  const names = clusters.map((c) => c.name);
  const inSome = addons.filter((a) => addonOf(a).scope === 'cluster' && addonClusters(a, names).length > 0);
  for (const a of inSome) {
    const addon = addonOf(a);
    if (addon.scope === 'cluster') addon.scriptSetup?.(w);
  }
  for (const [index, c] of clusters.entries()) {
    for (const a of inSome) {
      const addon = addonOf(a);
      if (addon.scope === 'cluster' && addonClusters(a, names).includes(c.name)) await addon.script(w, a.settings, { context: c.context, kindName: c.kindName, index });
    }
  }
}
