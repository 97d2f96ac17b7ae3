/**
 * The lab's kubeconfig: one file holding every cluster of the lab, merged from the per-cluster
 * files `kind create cluster --kubeconfig` wrote. kind names cluster, user and context all
 * kind-<cluster> (its KINDClusterKey), so entries never collide. The user's ~/.kube/config is
 * never read or written.
 */
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';
import { KindlabError } from '../../core/errors.js';

interface Named {
  name: string;
  [key: string]: unknown;
}

interface KubeconfigDoc {
  apiVersion?: string;
  kind?: string;
  clusters?: Named[];
  users?: Named[];
  contexts?: Named[];
  'current-context'?: string;
  [key: string]: unknown;
}

export function parseKubeconfig(text: string, source: string): KubeconfigDoc {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new KindlabError('environment', `${source} is not valid YAML`, { cause: err });
  }
  if (!doc || typeof doc !== 'object') throw new KindlabError('environment', `${source} is not a kubeconfig`);
  return doc as KubeconfigDoc;
}

/**
 * Merges kubeconfigs in order; later entries with the same name replace earlier ones. The current
 * context is the first file's (the lab's first cluster), so a bare `kubectl` talks to it.
 */
export function mergeKubeconfigs(docs: readonly KubeconfigDoc[]): KubeconfigDoc {
  const merge = (key: 'clusters' | 'users' | 'contexts') => {
    const byName = new Map<string, Named>();
    for (const d of docs) for (const e of d[key] ?? []) byName.set(e.name, e);
    return [...byName.values()];
  };
  const first = docs[0];
  return {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: merge('clusters'),
    users: merge('users'),
    contexts: merge('contexts'),
    'current-context': first?.['current-context'] ?? first?.contexts?.[0]?.name ?? '',
  };
}

/** Reads the per-cluster files and writes the merged one (mode 0600: it holds client keys). */
export async function writeMergedKubeconfig(target: string, sources: readonly string[]): Promise<void> {
  const docs = await Promise.all(sources.map(async (s) => parseKubeconfig(await readFile(s, 'utf8'), s)));
  const tmp = `${target}.tmp-${process.pid}`;
  await writeFile(tmp, stringify(mergeKubeconfigs(docs)), { mode: 0o600 });
  await chmod(tmp, 0o600);
  // Rename so a reader (`kindlab check` in another terminal) never sees half a file.
  await rename(tmp, target);
}

/** The context names a kubeconfig file defines (empty when it is missing or unreadable). */
export async function contextsIn(file: string): Promise<string[]> {
  try {
    const doc = parseKubeconfig(await readFile(file, 'utf8'), file);
    return (doc.contexts ?? []).map((c) => c.name);
  } catch {
    return [];
  }
}
