/**
 * Finding labs: the package's own labs/ directory plus the directories in $KINDLAB_LABS_PATH.
 *
 * `listLabs` backs `kindlab list`, which must start fast, so this module reads only front matter
 * and imports neither zod nor marked; the full parser is loaded when one lab is opened, and the
 * `yaml` package only for a lab.md that changed since the last listing (see summary-cache.ts).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { KindlabError, type LabIssue } from '../core/errors.js';
import { normalizeNewlines, splitFrontMatter } from './front-matter.js';
import { displayPath } from './issues.js';
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
  /** Labs that could not be listed, and search path entries that do not exist. */
  problems: LabIssue[];
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

export async function scanLabs(opts: CatalogOptions = {}): Promise<Scan> {
  const labs: LabSummary[] = [];
  const problems: LabIssue[] = [];
  const seen = new Map<string, string>();
  const cache = new SummaryCache<LabSummary>(opts.env ?? process.env);
  for (const { dir, origin } of searchDirs(opts)) {
    if (!isDirectory(dir)) {
      if (origin === 'path') problems.push(problem(dir, 0, 'this KINDLAB_LABS_PATH entry is not a directory', 'warning'));
      continue;
    }
    for (const labDir of labDirsIn(dir)) {
      const file = join(labDir, 'lab.md');
      const result = await readSummary(file, origin, cache);
      if ('message' in result) {
        problems.push(problem(file, result.line, result.message, 'error'));
        continue;
      }
      const earlier = seen.get(result.id);
      if (earlier !== undefined) {
        problems.push(problem(file, 1, `lab id "${result.id}" is also used by ${displayPath(earlier)}, which takes precedence`, 'warning'));
        continue;
      }
      seen.set(result.id, labDir);
      labs.push(result);
    }
  }
  cache.save();
  // Ids are ASCII; localeCompare would load ICU collation data, ~8 ms of `kindlab list`'s start-up.
  labs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { labs, problems };
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
  const { labs } = await scanLabs(opts);
  const match = labs.find((l) => l.id === idOrPath);
  if (match) return loadLab(match.dir);
  // A lab whose front matter is broken is not listed; opening it by its folder name shows why.
  for (const { dir } of searchDirs(opts)) {
    if (existsSync(join(dir, idOrPath, 'lab.md'))) return loadLab(join(dir, idOrPath));
  }
  const { closestNames } = await import('./suggest.js');
  const close = closestNames(idOrPath, labs.map((l) => l.id));
  const names = close.length > 1 ? `${close.slice(0, -1).join(', ')} or ${close[close.length - 1]}` : close[0];
  throw new KindlabError('usage', `unknown lab "${idOrPath}"`, {
    fix: `${names ? `Did you mean ${names}? ` : ''}Run \`kindlab list\` to see all labs.`,
  });
}

type SummaryResult = LabSummary | { line: number; message: string };

async function readSummary(file: string, origin: LabSummary['origin'], cache: SummaryCache<LabSummary>): Promise<SummaryResult> {
  const stat = statSync(file);
  const cached = cache.get(file, stat);
  // The origin depends on how the lab was found this time, not when it was cached.
  if (cached) return { ...cached, origin };
  const split = splitFrontMatter(readFileSync(file, 'utf8'));
  if (!split.ok) return split;
  // Only the front matter is read here, so only it is normalized, not the much longer body.
  const yaml = normalizeNewlines(split.doc.yaml);
  let data: unknown;
  try {
    const { parse } = await import('yaml');
    data = parse(yaml);
  } catch (err) {
    return { line: split.doc.yamlLine, message: `front matter: invalid YAML (${(err as Error).message.split('\n')[0]})` };
  }
  const summary = summarize(data, dirname(file), origin);
  if (!summary) {
    return { line: split.doc.yamlLine, message: `front matter is incomplete or invalid: run \`kindlab validate ${displayPath(dirname(file))}\` for details` };
  }
  cache.set(file, stat, summary);
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

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function problem(file: string, line: number, message: string, severity: LabIssue['severity']): LabIssue {
  return { file: displayPath(file), line, message, severity };
}
