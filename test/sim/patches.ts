/**
 * The patch formats the API server accepts: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and
 * server-side apply. Strategic merge patch is treated as a merge patch (lists are replaced, not
 * merged by key): close enough for what labs do, and documented in the harness.
 */

type Json = unknown;
type JsonObject = Record<string, unknown>;

export const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** RFC 7386: null deletes, objects merge recursively, everything else replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

export class PatchError extends Error {}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`invalid JSON pointer "${path}"`);
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, parts: string[]): { parent: JsonObject | Json[]; key: string } {
  let cur: Json = doc;
  for (const part of parts.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(part)];
    else if (isObject(cur)) cur = cur[part];
    else cur = undefined;
    if (cur === undefined) throw new PatchError(`path /${parts.join('/')} does not exist`);
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw new PatchError(`path /${parts.join('/')} does not exist`);
  return { parent: cur, key: parts[parts.length - 1]! };
}

function getAt(doc: Json, path: string): Json {
  let cur: Json = doc;
  for (const part of pointer(path)) {
    if (Array.isArray(cur)) cur = cur[Number(part)];
    else if (isObject(cur)) cur = cur[part];
    else cur = undefined;
    if (cur === undefined) throw new PatchError(`path ${path} does not exist`);
  }
  return cur;
}

function removeAt(doc: Json, path: string): Json {
  const { parent, key } = parentOf(doc, pointer(path));
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!(i >= 0 && i < parent.length)) throw new PatchError(`index ${key} out of range in ${path}`);
    return parent.splice(i, 1)[0];
  }
  if (!(key in parent)) throw new PatchError(`path ${path} does not exist`);
  const old = parent[key];
  delete parent[key];
  return old;
}

function addAt(doc: Json, path: string, value: Json, replace: boolean): Json {
  const parts = pointer(path);
  if (parts.length === 0) return structuredClone(value);
  const { parent, key } = parentOf(doc, parts);
  if (Array.isArray(parent)) {
    if (key === '-' && !replace) parent.push(structuredClone(value));
    else {
      const i = Number(key);
      if (!(i >= 0 && i <= parent.length - (replace ? 1 : 0))) throw new PatchError(`index ${key} out of range in ${path}`);
      parent.splice(i, replace ? 1 : 0, structuredClone(value));
    }
  } else {
    if (replace && !(key in parent)) throw new PatchError(`path ${path} does not exist`);
    parent[key] = structuredClone(value);
  }
  return doc;
}

export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

/** RFC 6902, applied to a copy. Throws PatchError when an operation cannot apply. */
export function jsonPatch(target: Json, ops: unknown): Json {
  if (!Array.isArray(ops)) throw new PatchError('a JSON patch must be an array of operations');
  let doc = structuredClone(target);
  for (const op of ops as JsonPatchOp[]) {
    switch (op.op) {
      case 'add':
        doc = addAt(doc, op.path, op.value, false);
        break;
      case 'replace':
        doc = addAt(doc, op.path, op.value, true);
        break;
      case 'remove':
        removeAt(doc, op.path);
        break;
      case 'move': {
        const value = removeAt(doc, op.from ?? '');
        doc = addAt(doc, op.path, value, false);
        break;
      }
      case 'copy':
        doc = addAt(doc, op.path, getAt(doc, op.from ?? ''), false);
        break;
      case 'test':
        if (!deepEqual(getAt(doc, op.path), op.value)) throw new PatchError(`test operation failed at ${op.path}`);
        break;
      default:
        throw new PatchError(`unknown JSON patch operation "${(op as { op?: string }).op}"`);
    }
  }
  return doc;
}

// ---------------------------------------------------------------- server-side apply

/**
 * A field set in the FieldsV1 shape managedFields use: {"f:spec": {"f:replicas": {}}}. Lists are
 * atomic here (owned as a whole), which is how the sim approximates list merge keys.
 */
export type FieldSet = { [key: string]: FieldSet };

/** Fields the server owns; they never enter a manager's field set. */
const SERVER_FIELDS = new Set(['apiVersion', 'kind', 'status']);
const SERVER_METADATA = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'deletionTimestamp', 'selfLink']);

export function fieldSetOf(config: JsonObject, depth = 0, inMetadata = false): FieldSet {
  const set: FieldSet = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    if (depth === 0 && SERVER_FIELDS.has(key)) continue;
    if (inMetadata && depth === 1 && SERVER_METADATA.has(key)) continue;
    if (isObject(value) && Object.keys(value).length > 0) {
      const child = fieldSetOf(value, depth + 1, depth === 0 && key === 'metadata');
      // metadata: {name} holds only server-owned fields: nothing to own.
      if (Object.keys(child).length > 0) set[`f:${key}`] = child;
    } else set[`f:${key}`] = {};
  }
  return set;
}

/** Leaf paths of a field set: [["spec","replicas"], ["metadata","labels","app"]]. */
export function leafPaths(set: FieldSet, prefix: string[] = []): string[][] {
  const out: string[][] = [];
  for (const [k, child] of Object.entries(set)) {
    const path = [...prefix, k.slice(2)];
    if (Object.keys(child).length === 0) out.push(path);
    else out.push(...leafPaths(child, path));
  }
  return out;
}

function hasPath(set: FieldSet, path: string[]): boolean {
  let cur: FieldSet | undefined = set;
  for (const p of path) {
    cur = cur[`f:${p}`];
    if (!cur) return false;
  }
  return true;
}

function removePathFromSet(set: FieldSet, path: string[]): void {
  const [head, ...rest] = path;
  const key = `f:${head}`;
  if (!(key in set)) return;
  if (rest.length === 0) delete set[key];
  else {
    removePathFromSet(set[key]!, rest);
    if (Object.keys(set[key]!).length === 0) delete set[key];
  }
}

function valueAt(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const p of path) cur = isObject(cur) ? cur[p] : undefined;
  return cur;
}

function deleteAt(obj: JsonObject, path: string[]): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  if (rest.length === 0) {
    delete obj[head];
    return;
  }
  const child = obj[head];
  if (!isObject(child)) return;
  deleteAt(child, rest);
  if (Object.keys(child).length === 0) delete obj[head];
}

/** Objects merge recursively; lists and scalars from the applied config replace what is there. */
function applyMerge(live: JsonObject, config: JsonObject): JsonObject {
  const out: JsonObject = { ...live };
  for (const [k, v] of Object.entries(config)) {
    if (v === undefined) continue;
    out[k] = isObject(v) && isObject(out[k]) ? applyMerge(out[k] as JsonObject, v) : structuredClone(v);
  }
  return out;
}

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: FieldSet;
  subresource?: string;
}

export interface ApplyConflict {
  manager: string;
  path: string[];
}

/**
 * Server-side apply of `config` by `manager` onto `live` (undefined when creating). Fields this
 * manager applied before and no longer mentions are removed, unless another manager also owns
 * them. Without force, a field another manager owns with a different value is a conflict.
 */
export function serverSideApply(
  live: JsonObject | undefined,
  config: JsonObject,
  opts: { manager: string; force: boolean; apiVersion: string; now: string },
): { object: JsonObject; conflicts: ApplyConflict[] } {
  const base: JsonObject = structuredClone(live ?? {});
  const entries: ManagedFieldsEntry[] = structuredClone(
    ((base.metadata as JsonObject | undefined)?.managedFields as ManagedFieldsEntry[] | undefined) ?? [],
  );
  const mine = entries.find((e) => e.manager === opts.manager && e.operation === 'Apply');
  const others = entries.filter((e) => e !== mine);
  const newSet = fieldSetOf(config);

  const conflicts: ApplyConflict[] = [];
  for (const path of leafPaths(newSet)) {
    for (const other of others) {
      if (hasPath(other.fieldsV1, path) && !deepEqual(valueAt(base, path), valueAt(config, path))) {
        conflicts.push({ manager: other.manager, path });
      }
    }
  }
  if (conflicts.length > 0 && !opts.force) return { object: base, conflicts };
  for (const c of conflicts) {
    const other = others.find((e) => e.manager === c.manager)!;
    removePathFromSet(other.fieldsV1, c.path);
  }

  // Fields dropped from this manager's config are removed, unless someone else still owns them.
  for (const path of leafPaths(mine?.fieldsV1 ?? {})) {
    if (hasPath(newSet, path) || others.some((o) => hasPath(o.fieldsV1, path))) continue;
    deleteAt(base, path);
  }

  const merged = applyMerge(base, config);
  const metadata = (merged.metadata ?? {}) as JsonObject;
  // Re-applying the same fields keeps the entry as it was (same time), so the write is a no-op.
  const unchanged = mine !== undefined && deepEqual(mine.fieldsV1, newSet) && mine.apiVersion === opts.apiVersion;
  const entry: ManagedFieldsEntry = unchanged
    ? mine
    : { manager: opts.manager, operation: 'Apply', apiVersion: opts.apiVersion, time: opts.now, fieldsType: 'FieldsV1', fieldsV1: newSet };
  const kept = entries.map((e) => (e === mine ? entry : e)).filter((e) => Object.keys(e.fieldsV1).length > 0);
  metadata.managedFields = mine ? kept : [...kept, entry];
  merged.metadata = metadata;
  return { object: merged, conflicts: [] };
}
