/**
 * A small record in each lab's state directory naming the kind clusters `up` made for it. Cluster
 * names alone are ambiguous when one lab id is a dash-prefix of another (kindlab-web-c1 could be
 * lab "web" cluster "c1" or lab "web-c1"); the record settles it, and teardown falls back to the
 * name only for clusters no record claims.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const RECORD_FILE = 'platform.json';

export interface LabRecord {
  version: 1;
  labId: string;
  clusters: Array<{ name: string; kindName: string; context: string }>;
  updatedAt: string;
}

export async function writeRecord(stateDir: string, record: LabRecord): Promise<void> {
  await writeFile(join(stateDir, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
}

export async function readRecord(stateDir: string): Promise<LabRecord | undefined> {
  try {
    const rec = JSON.parse(await readFile(join(stateDir, RECORD_FILE), 'utf8')) as LabRecord;
    return rec.version === 1 && Array.isArray(rec.clusters) ? rec : undefined;
  } catch {
    return undefined;
  }
}

/** kind cluster name → lab id, from every lab's record under `labsDir` (<state>/labs). */
export async function clusterOwners(labsDir: string): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  let labs: string[];
  try {
    labs = await readdir(labsDir);
  } catch {
    return owners;
  }
  for (const lab of labs) {
    const rec = await readRecord(join(labsDir, lab));
    for (const c of rec?.clusters ?? []) owners.set(c.kindName, rec?.labId ?? lab);
  }
  return owners;
}
