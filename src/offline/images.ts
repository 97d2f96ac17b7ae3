/**
 * The images a lab needs, derived rather than kept by hand:
 *  - every manifest its shell blocks apply from the lab collection (`manifests/<lab>/...`, files
 *    next to lab.md, inline `kubectl apply -f - <<EOF` documents);
 *  - every `$ISTIO_HOME/samples/...` file its blocks or its addons apply, read from the Istio
 *    release when it is unpacked in the cache (otherwise listed as unresolved, never guessed); an
 *    image there on a registry that is gone is listed as its replacement, which is what the lab's
 *    rewrite pulls (`kindlab validate` makes sure the lab rewrites it);
 *  - `--image` arguments of its commands (with the lab's env variables filled in);
 *  - the front matter's `images` (what no manifest names: images in env variables, release tarballs);
 *  - the platform's own images (platform-images.ts).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { yamlData } from '../lab/yaml-data.js';
import type { Lab } from '../model/lab.js';
import { collectionRoot } from '../lab/locations.js';
import { isOnGoneRegistry, replaceRetired } from '../lab/retired-registries.js';
import { scanShell, simpleCommands } from '../lab/shell-refs.js';
import { addonOf, resolveAddons } from '../platform/addons/settings.js';
import type { ImagePlace } from '../platform/addons/types.js';
import type { Pins } from '../platform/tools/versions.js';
import { normalizeImage } from './image-ref.js';
import { platformImages } from './platform-images.js';

export interface ImageEntry {
  /** Normalized reference (registry/repository[:tag][@digest]). */
  ref: string;
  place: ImagePlace;
  /** Where the reference was found: a file, "front matter", "platform: ...". */
  from: string[];
}

export interface Unresolved {
  /** What could not be read, e.g. $ISTIO_HOME/samples/bookinfo/platform/kube/bookinfo.yaml. */
  ref: string;
  why: string;
}

export interface LabImages {
  lab: string;
  images: ImageEntry[];
  unresolved: Unresolved[];
}

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

/** Every `image:` of a container in the (multi-document) YAML text, in order of appearance. */
export function imagesInYaml(text: string): string[] {
  const found: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const n of node) visit(n);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      if (CONTAINER_LISTS.has(key) && Array.isArray(value)) {
        for (const c of value) {
          const image = (c as { image?: unknown } | null)?.image;
          if (typeof image === 'string') found.push(image);
        }
      }
      visit(value);
    }
  };
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) continue;
    // A manifest that cannot be read as data (an alias without anchor...) names no images.
    const data = yamlData(doc);
    if (data.ok) visit(data.value);
  }
  return found;
}

/** `$ISTIO_HOME/...` and `${ISTIO_HOME}/...` paths in a script. */
export function istioHomeRefs(script: string): string[] {
  return [...script.matchAll(/\$(?:\{ISTIO_HOME\}|ISTIO_HOME)\/([A-Za-z0-9._/-]+)/g)].map((m) => m[1] as string);
}

/** `--image=X` and `--image X` (kubectl run, kubectl create deployment, ...). */
export function imageArgs(script: string): string[] {
  return [...script.matchAll(/--image(?:=|\s+)(["']?)([^\s"']+)\1/g)].map((m) => m[2] as string);
}

const DOCKER_RUN_VALUE_FLAGS = new Set(['--name', '--network', '--net', '-v', '--volume', '-e', '--env', '-p', '--publish', '--entrypoint', '--platform', '-w', '--workdir', '-l', '--label', '-u', '--user', '--mount', '--hostname', '-h', '--add-host', '--cap-add', '--cap-drop', '--env-file', '--pid', '--ipc', '--restart', '--memory', '-m', '--cpus', '--dns']);

/** Images of `docker run`/`docker create` in a script: they run on the host, next to the kind nodes. */
export function dockerRunImages(script: string): string[] {
  const out: string[] = [];
  for (const text of script.replace(/\\\n/g, ' ').split('\n')) {
    for (const words of simpleCommands(text)) {
      const at = words.indexOf('docker');
      if (at < 0 || !['run', 'create'].includes(words[at + 1] ?? '')) continue;
      for (let i = at + 2; i < words.length; i++) {
        const w = words[i] as string;
        if (!w.startsWith('-')) {
          out.push(w);
          break;
        }
        if (!w.includes('=') && DOCKER_RUN_VALUE_FLAGS.has(w)) i++;
      }
    }
  }
  return out;
}

/** Fills $VAR and ${VAR} from vars; leaves unknown ones in place. */
function fillVars(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, a?: string, b?: string) => vars[(a ?? b) as string] ?? whole);
}

/** True when a step installs Istio itself rather than through the addon. */
export function labInstallsIstio(lab: Lab): boolean {
  return lab.steps.some((s) => s.commands.some((b) => /\bistioctl\s+(install|manifest\s+install)\b/.test(b.code)));
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** The YAML files a path stands for: itself, or the .yaml/.yml/.json files of a directory (as kubectl -f does). */
async function yamlFiles(path: string): Promise<string[]> {
  if (!(await isDirectory(path))) return [path];
  const names = (await readdir(path)).filter((n) => ['.yaml', '.yml', '.json'].includes(extname(n))).sort();
  return names.map((n) => join(path, n));
}

export interface LabImageOptions {
  pins: Pins;
  /** The unpacked Istio release for pins.istio, when it is in the cache. */
  istioHome?: string;
}


export async function labImages(lab: Lab, opts: LabImageOptions): Promise<LabImages> {
  const byRef = new Map<string, ImageEntry>();
  const unresolved: Unresolved[] = [];
  const seenUnresolved = new Set<string>();
  const add = (raw: string, place: ImagePlace, from: string) => {
    const ref = normalizeImage(raw);
    if (!ref) {
      if (!seenUnresolved.has(raw)) unresolved.push({ ref: raw, why: `not an image reference (in ${from})` });
      seenUnresolved.add(raw);
      return;
    }
    const entry = byRef.get(ref);
    if (!entry) byRef.set(ref, { ref, place, from: [from] });
    else {
      if (!entry.from.includes(from)) entry.from.push(from);
      // Needed on the host and in the cluster: the host copy is what gets saved and pushed.
      if (place === 'host') entry.place = 'host';
    }
  };
  const unresolvedOnce = (ref: string, why: string) => {
    if (seenUnresolved.has(ref)) return;
    seenUnresolved.add(ref);
    unresolved.push({ ref, why });
  };

  const root = collectionRoot(lab.dir);
  const readManifest = async (path: string, label: string, release = false) => {
    for (const file of await yamlFiles(path)) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch {
        unresolvedOnce(label, 'file not found');
        continue;
      }
      const from = file === path ? label : `${label}/${file.slice(path.length + 1)}`;
      for (const image of imagesInYaml(text)) {
        // A release sample's image on a gone registry: the lab's rewrite pulls the replacement.
        const pulled = release && isOnGoneRegistry(image) ? replaceRetired(image) : image;
        if (pulled) add(pulled, 'cluster', from);
        else unresolvedOnce(image, `on a registry that is gone, with no replacement (in ${from})`);
      }
    }
  };
  const readIstio = async (rel: string) => {
    const label = `$ISTIO_HOME/${rel}`;
    if (!opts.istioHome) {
      unresolvedOnce(label, `Istio ${opts.pins.istio} is not in the cache yet (kindlab prefetch downloads it)`);
      return;
    }
    await readManifest(join(opts.istioHome, rel), label, true);
  };

  const vars: Record<string, string> = { ...lab.meta.env };
  for (const step of lab.steps) {
    for (const block of [...step.commands, ...step.cleanup]) {
      const scan = scanShell(block);
      for (const ref of scan.files) {
        if (!ref.manifest || ref.kustomize) continue;
        const base = ref.base === 'lab' ? lab.dir : ref.base === 'repo' ? root : join(root, ref.cwd);
        await readManifest(join(base, ref.path), ref.base === 'lab' ? `$LAB_DIR/${ref.path}` : join(ref.cwd, ref.path));
      }
      for (const doc of scan.inline) for (const image of imagesInYaml(doc.yaml)) add(image, 'cluster', `lab.md:${doc.line}`);
      for (const rel of istioHomeRefs(block.code)) await readIstioIfManifest(rel, readIstio);
      for (const raw of dockerRunImages(block.code)) {
        const value = fillVars(raw, vars);
        if (value.includes('$')) unresolvedOnce(raw, `docker run with a variable the lab does not define (lab.md:${block.line})`);
        else add(value, 'host', `lab.md:${block.line}`);
      }
      for (const raw of imageArgs(block.code)) {
        const value = fillVars(raw, vars);
        if (value.includes('$')) unresolvedOnce(raw, `--image with a variable the lab does not define (lab.md:${block.line})`);
        else add(value, 'cluster', `lab.md:${block.line}`);
      }
    }
  }

  // Checkpoints that run commands on the host may start containers too (a ping from the node's network).
  for (const step of lab.steps) {
    for (const c of [...step.before, ...step.checks]) {
      if (c.kind !== 'command') continue;
      for (const raw of dockerRunImages(c.spec.run)) {
        const value = fillVars(raw, vars);
        if (!value.includes('$')) add(value, 'host', `lab.md:${c.line}`);
      }
    }
  }

  const addons = resolveAddons(
    lab.meta.addons,
    lab.meta.clusters.map((c) => c.name ?? ''),
  );
  for (const a of addons) for (const rel of addonOf(a).releaseManifests?.(a.settings) ?? []) await readIstio(rel);

  for (const image of lab.meta.images) add(image, 'cluster', 'front matter');
  for (const p of platformImages(lab.meta, opts.pins, labInstallsIstio(lab))) add(p.ref, p.place, `platform: ${p.why}`);

  return { lab: lab.meta.id, images: [...byRef.values()], unresolved };
}

/** Only files that can hold objects; `$ISTIO_HOME/bin/istioctl` and directories of tools are not manifests. */
async function readIstioIfManifest(rel: string, read: (rel: string) => Promise<void>): Promise<void> {
  if (rel.startsWith('bin/') || rel.startsWith('tools/')) return;
  await read(rel);
}

/** The union of several labs' lists, each image once, with the labs that need it. */
export function mergeImageLists(lists: readonly LabImages[]): { images: Array<ImageEntry & { labs: string[] }>; unresolved: Array<Unresolved & { lab: string }> } {
  const byRef = new Map<string, ImageEntry & { labs: string[] }>();
  for (const l of lists) {
    for (const img of l.images) {
      const e = byRef.get(img.ref);
      if (!e) byRef.set(img.ref, { ...img, from: [...img.from], labs: [l.lab] });
      else {
        e.labs.push(l.lab);
        for (const f of img.from) if (!e.from.includes(f)) e.from.push(f);
        if (img.place === 'host') e.place = 'host';
      }
    }
  }
  return { images: [...byRef.values()].sort((a, b) => (a.ref < b.ref ? -1 : 1)), unresolved: lists.flatMap((l) => l.unresolved.map((u) => ({ ...u, lab: l.lab }))) };
}
