/**
 * What kindlab created, recorded in each lab's state directory (platform.json): the source of
 * truth for `kindlab down`. A cluster's name proves nothing (anyone can run `kind create cluster
 * --name kindlab-canary-l4`), so each cluster is recorded *before* `kind create cluster` runs,
 * with the time, and again right after with the IDs of the node containers kind made. A cluster
 * is then kindlab's when its node containers are the recorded ones; a cluster whose creation was
 * interrupted before the IDs were written is kindlab's when its containers are newer than the
 * record. A record lost with the state directory is recovered from the mark each kindlab cluster
 * carries (see ownership.ts).
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const RECORD_FILE = 'platform.json';

export interface RecordedCluster {
  name: string;
  kindName: string;
  context: string;
  /** When kindlab decided to create it (wall clock, compared with Docker's container times). */
  createdAt?: string;
  /** Full IDs of the node containers `kind create cluster` made. */
  nodeIds?: string[];
}

export interface LabRecord {
  version: 1;
  labId: string;
  clusters: RecordedCluster[];
  updatedAt: string;
}

/** A recorded cluster with the lab whose record holds it. */
export interface ClusterRecord extends RecordedCluster {
  labId: string;
  stateDir: string;
}

// Clusters of one lab are created in parallel: their record updates must not overwrite each other.
const queues = new Map<string, Promise<unknown>>();
function serialized<T>(stateDir: string, fn: () => Promise<T>): Promise<T> {
  const next = (queues.get(stateDir) ?? Promise.resolve()).then(fn, fn);
  queues.set(stateDir, next.catch(() => undefined));
  return next;
}

export async function readRecord(stateDir: string): Promise<LabRecord | undefined> {
  try {
    const rec = JSON.parse(await readFile(join(stateDir, RECORD_FILE), 'utf8')) as LabRecord;
    if (rec?.version !== 1 || typeof rec.labId !== 'string' || !Array.isArray(rec.clusters)) return undefined;
    return { ...rec, clusters: rec.clusters.filter((c) => c && typeof c.kindName === 'string') };
  } catch {
    return undefined;
  }
}

async function store(stateDir: string, record: LabRecord): Promise<void> {
  if (record.clusters.length === 0) await rm(join(stateDir, RECORD_FILE), { force: true });
  else {
    await mkdir(stateDir, { recursive: true });
    await writeFile(join(stateDir, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
  }
}

/**
 * Writes the lab's clusters, keeping what earlier writes recorded about each (creation time, node
 * IDs) and the entries of clusters not in `record`: they exist until `down` forgets them.
 */
export function writeRecord(stateDir: string, record: LabRecord): Promise<void> {
  return serialized(stateDir, async () => {
    const before = (await readRecord(stateDir))?.clusters ?? [];
    const merged = record.clusters.map((c) => ({ ...before.find((b) => b.kindName === c.kindName), ...c }));
    const kept = before.filter((b) => !record.clusters.some((c) => c.kindName === b.kindName));
    await store(stateDir, { ...record, clusters: [...merged, ...kept] });
  });
}

/** Changes (or adds) one cluster's entry. */
export function updateCluster(stateDir: string, labId: string, kindName: string, change: Omit<Partial<RecordedCluster>, 'kindName'>, now = new Date()): Promise<void> {
  return serialized(stateDir, async () => {
    const rec = (await readRecord(stateDir)) ?? { version: 1 as const, labId, clusters: [], updatedAt: now.toISOString() };
    const i = rec.clusters.findIndex((c) => c.kindName === kindName);
    const entry = { name: '', context: `kind-${kindName}`, ...rec.clusters[i], ...change, kindName };
    if (i === -1) rec.clusters.push(entry);
    else rec.clusters[i] = entry;
    await store(stateDir, { ...rec, updatedAt: now.toISOString() });
  });
}

/** Drops clusters that are gone from the record; the file goes with the last one. */
export function forgetClusters(stateDir: string, kindNames: readonly string[]): Promise<void> {
  return serialized(stateDir, async () => {
    const rec = await readRecord(stateDir);
    if (!rec) return;
    await store(stateDir, { ...rec, clusters: rec.clusters.filter((c) => !kindNames.includes(c.kindName)) });
  });
}

/** Every recorded cluster under `labsDir` (<state>/labs), by kind name. */
export async function clusterRecords(labsDir: string): Promise<Map<string, ClusterRecord>> {
  const out = new Map<string, ClusterRecord>();
  let labs: string[];
  try {
    labs = (await readdir(labsDir)).sort();
  } catch {
    return out;
  }
  for (const lab of labs) {
    const stateDir = join(labsDir, lab);
    const rec = await readRecord(stateDir);
    for (const c of rec?.clusters ?? []) out.set(c.kindName, { ...c, labId: rec?.labId ?? lab, stateDir });
  }
  return out;
}
