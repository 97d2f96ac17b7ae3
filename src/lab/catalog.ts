/**
 * Finding labs: the package's own labs/ directory plus the directories in $KINDLAB_LABS_PATH.
 *
 * `listLabs` backs `kindlab list`, which must start fast, so this module reads only front matter
 * and imports neither zod nor marked; the full parser is loaded when one lab is opened, and the
 * `yaml` package only for a lab.md that changed since the last listing (see summary-cache.ts).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { KindlabError, toMessage, type LabIssue } from '../core/errors.js';
import { normalizeNewlines, splitFrontMatter } from './front-matter.js';
import { displayPath } from './issues.js';
import { sizeProblem } from './limits.js';
import { builtinLabsDir } from './locations.js';
import type { Lab } from '../model/lab.js';
import { SummaryCache } from './summary-cache.js';

export interface LabSummary {
  id: string;
  title: string;
  summary: string;
  /** As written in the front matter, e.g. "45m". */
  duration: string;
  difficulty: string;
  requires: { memoryGiB: number; cpus: number; diskGiB?: number };
  tags: string[];
  /** Number of kind clusters. */
  clusters: number;
  /** Kubernetes nodes over all clusters. */
  nodes: number;
  /** Directory holding lab.md. */
  dir: string;
  /** Shipped with kindlab, or found through KINDLAB_LABS_PATH. */
  origin: 'builtin' | 'path';
}

export interface CatalogOptions {
  /** Environment to read KINDLAB_LABS_PATH from (default: process.env). */
  env?: Record<string, string | undefined>;
  /** The shipped labs directory; null leaves it out (tests). */
  builtinDir?: string | null;
}

export interface Scan {
  labs: LabSummary[];
  /**
   * What keeps a lab from being used: lab files that cannot be listed, ids used twice, search path
   * entries that are missing or not directories. `kindlab list` prints them, `validate` fails on them.
   */
  problems: LabIssue[];
  /** Labs that could not be listed, with the ids they claim so that nothing falls back past them. */
  broken: BrokenLab[];
  /** Labs from KINDLAB_LABS_PATH replacing shipped ones, as the README documents: not a problem. */
  notes: LabIssue[];
}

export interface BrokenLab {
  dir: string;
  /** Its folder name, and the `id:` of its front matter when that much can be read. */
  ids: string[];
}

interface SearchDir {
  dir: string;
  origin: LabSummary['origin'];
}

/**
 * Directories to look in, in order of precedence: $KINDLAB_LABS_PATH entries first so an author's
 * copy of a shipped lab replaces it, then the shipped labs.
 */
export function searchDirs(opts: CatalogOptions = {}): SearchDir[] {
  const env = opts.env ?? process.env;
  const fromEnv = (env.KINDLAB_LABS_PATH ?? '')
    .split(delimiter)
    .filter((p) => p.trim() !== '')
    .map((p) => ({ dir: resolve(p), origin: 'path' as const }));
  const builtin = opts.builtinDir === undefined ? builtinLabsDir : opts.builtinDir;
  return builtin === null ? fromEnv : [...fromEnv, { dir: builtin, origin: 'builtin' }];
}

/** Lab directories (holding lab.md) under one search directory; the entry may itself be a lab. */
function labDirsIn(dir: string): string[] {
  if (existsSync(join(dir, 'lab.md'))) return [dir];
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return names.map((n) => join(dir, n)).filter((d) => existsSync(join(d, 'lab.md')));
}

/** Why a KINDLAB_LABS_PATH entry cannot hold labs, or undefined when it is a directory. */
function entryProblem(dir: string): string | undefined {
  try {
    if (statSync(dir).isDirectory()) return undefined;
    return basename(dir) === 'lab.md'
      ? `this KINDLAB_LABS_PATH entry is a file; name the folder that holds it: ${displayPath(dirname(dir))}`
      : 'this KINDLAB_LABS_PATH entry is a file, not a directory of labs';
  } catch {
    return 'this KINDLAB_LABS_PATH entry does not exist';
  }
}

export async function scanLabs(opts: CatalogOptions = {}): Promise<Scan> {
  const labs: LabSummary[] = [];
  const problems: LabIssue[] = [];
  const notes: LabIssue[] = [];
  const broken: BrokenLab[] = [];
  // Who holds each id: the first lab found with it, listable or not.
  const seen = new Map<string, { dir: string; origin: LabSummary['origin']; broken: boolean }>();
  const cache = new SummaryCache<unknown>(opts.env ?? process.env);
  for (const { dir, origin } of searchDirs(opts)) {
    const bad = entryProblem(dir);
    if (bad) {
      // The shipped labs directory is part of the package; only the user's entries can be wrong.
      if (origin === 'path') problems.push(problem(dir, 0, bad, 'error'));
      continue;
    }
    const found = labDirsIn(dir);
    if (found.length === 0 && origin === 'path') problems.push(problem(dir, 0, 'this KINDLAB_LABS_PATH entry holds no lab (no lab.md in it or in its folders)', 'warning'));
    for (const labDir of found) {
      const file = join(labDir, 'lab.md');
      const result = await readSummary(file, origin, cache);
      if (!('id' in result)) {
        problems.push(problem(file, result.line, result.message, 'error'));
        broken.push({ dir: labDir, ids: result.ids });
        for (const id of result.ids) if (!seen.has(id)) seen.set(id, { dir: labDir, origin, broken: true });
        continue;
      }
      const earlier = seen.get(result.id);
      if (earlier === undefined) {
        seen.set(result.id, { dir: labDir, origin, broken: false });
        labs.push(result);
      } else if (earlier.broken) {
        // Falling back to this one would run a lab the author did not mean: the broken one must be fixed first.
        problems.push(problem(file, 1, `lab "${result.id}" is not used: ${displayPath(join(earlier.dir, 'lab.md'))} claims the same id and cannot be read`, 'error'));
      } else if (earlier.origin === 'path' && origin === 'builtin') {
        notes.push(problem(join(earlier.dir, 'lab.md'), 1, `replaces the shipped lab "${result.id}" (${displayPath(file)})`, 'warning'));
      } else {
        problems.push(problem(file, 1, `lab id "${result.id}" is also used by ${displayPath(join(earlier.dir, 'lab.md'))}, which takes precedence: give one of them another id`, 'error'));
      }
    }
  }
  cache.save();
  // Ids are ASCII; localeCompare would load ICU collation data, ~8 ms of `kindlab list`'s start-up.
  labs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { labs, problems, broken, notes };
}

export async function listLabs(opts: CatalogOptions = {}): Promise<LabSummary[]> {
  return (await scanLabs(opts)).labs;
}

/**
 * Loads a lab fully, by id or by path (anything with a slash, or starting with a dot, is a path:
 * authors run `kindlab validate ./my-lab`).
 */
export async function findLab(idOrPath: string, opts: CatalogOptions = {}): Promise<Lab> {
  const { loadLab } = await import('./parse.js');
  if (/[/\\]/.test(idOrPath) || idOrPath.startsWith('.')) {
    return loadLab(basename(idOrPath) === 'lab.md' ? dirname(idOrPath) : idOrPath);
  }
  const { labs, broken } = await scanLabs(opts);
  const match = labs.find((l) => l.id === idOrPath);
  if (match) return loadLab(match.dir);
  // A lab that cannot be listed still owns its id: opening it shows why, and no other lab with
  // that id is used in its place.
  const claimed = broken.find((b) => b.ids.includes(idOrPath));
  if (claimed) return loadLab(claimed.dir);
  const { closestNames } = await import('./suggest.js');
  const close = closestNames(idOrPath, labs.map((l) => l.id));
  const names = close.length > 1 ? `${close.slice(0, -1).join(', ')} or ${close[close.length - 1]}` : close[0];
  throw new KindlabError('usage', `unknown lab "${idOrPath}"`, {
    fix: `${names ? `Did you mean ${names}? ` : ''}Run \`kindlab list\` to see all labs.`,
  });
}

type SummaryResult = LabSummary | { line: number; message: string; ids: string[] };

async function readSummary(file: string, origin: LabSummary['origin'], cache: SummaryCache<unknown>): Promise<SummaryResult> {
  const dir = dirname(file);
  const folder = [basename(dir)];
  let text: string;
  try {
    const tooBig = sizeProblem('the file', statSync(file).size, 'fileBytes');
    if (tooBig) return { line: 1, message: tooBig, ids: folder };
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { line: 0, message: `cannot be read (${(err as NodeJS.ErrnoException).code ?? toMessage(err)})`, ids: folder };
  }
  const split = splitFrontMatter(text);
  if (!split.ok) return { ...split, ids: folder };
  // Only the front matter is read here, so only it is normalized, not the much longer body.
  const yaml = normalizeNewlines(split.doc.yaml);
  const line = split.doc.yamlLine;
  const claims = (data: unknown) => {
    const id = isRecord(data) && typeof data.id === 'string' ? data.id : /^id:[ \t]*["']?([\w.-]+)/m.exec(yaml)?.[1];
    return id && id !== folder[0] ? [...folder, id] : folder;
  };
  const tooLong = sizeProblem('the front matter', Buffer.byteLength(yaml), 'frontMatterBytes');
  if (tooLong) return { line, message: tooLong, ids: claims(undefined) };
  let data = cache.get(file, yaml);
  if (data === undefined) {
    const [{ parseDocument }, { yamlData }] = await Promise.all([import('yaml'), import('./yaml-data.js')]);
    const doc = parseDocument(yaml, { prettyErrors: false });
    const first = doc.errors[0];
    if (first) return { line, message: `front matter: invalid YAML (${first.message.split('\n')[0]})`, ids: claims(undefined) };
    const converted = yamlData(doc);
    if (!converted.ok) return { line, message: `front matter: ${converted.message}`, ids: claims(undefined) };
    data = converted.value;
    cache.set(file, yaml, data);
  }
  const summary = summarize(data, dir, origin);
  if (!summary) {
    return { line, message: `front matter is incomplete or invalid: run \`kindlab validate ${displayPath(dir)}\` for details`, ids: claims(data) };
  }
  return summary;
}

/** The listing fields, checked just enough to display them; full validation is parseLab's job. */
function summarize(data: unknown, dir: string, origin: LabSummary['origin']): LabSummary | undefined {
  if (!isRecord(data)) return undefined;
  const { id, title, summary, duration, difficulty = 'intermediate', requires, tags = [], clusters } = data;
  if (typeof id !== 'string' || typeof title !== 'string' || typeof summary !== 'string' || typeof duration !== 'string') return undefined;
  if (typeof difficulty !== 'string' || !Array.isArray(tags) || !Array.isArray(clusters) || clusters.length === 0) return undefined;
  if (!isRecord(requires) || typeof requires.memoryGiB !== 'number' || typeof requires.cpus !== 'number') return undefined;
  let nodes = 0;
  for (const c of clusters) {
    if (!isRecord(c)) return undefined;
    nodes += Array.isArray(c.nodes) ? c.nodes.length : 1 + (typeof c.workers === 'number' ? c.workers : 0);
  }
  return {
    id,
    title,
    summary,
    duration,
    difficulty,
    requires: {
      memoryGiB: requires.memoryGiB,
      cpus: requires.cpus,
      ...(typeof requires.diskGiB === 'number' ? { diskGiB: requires.diskGiB } : {}),
    },
    tags: tags.map(String),
    clusters: clusters.length,
    nodes,
    dir,
    origin,
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function problem(file: string, line: number, message: string, severity: LabIssue['severity']): LabIssue {
  return { file: displayPath(file), line, message, severity };
}
