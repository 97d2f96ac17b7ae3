/**
 * The patch formats the API server accepts: JSON merge patch (RFC 7386), JSON patch (RFC 6902),
 * strategic merge patch (lists merged by the keys the kind's OpenAPI schema declares) and
 * server-side apply.
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

// ---------------------------------------------------------------- strategic merge patch

/** Where a value sits in the kind's schema: resolves $refs (allOf-wrapped ones too). */
export interface SchemaView {
  schema: StrategicSchema | undefined;
  lookup(name: string): StrategicSchema | undefined;
}

export interface StrategicSchema {
  $ref?: string;
  allOf?: StrategicSchema[];
  properties?: Record<string, StrategicSchema>;
  items?: StrategicSchema;
  additionalProperties?: StrategicSchema | boolean;
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-patch-merge-key'?: string;
  [k: string]: unknown;
}

function resolveSchema(s: StrategicSchema | undefined, lookup: SchemaView['lookup']): StrategicSchema | undefined {
  let cur = s;
  for (let i = 0; i < 20 && cur; i++) {
    const ref = cur.$ref ?? cur.allOf?.[0]?.$ref;
    if (!ref) return cur;
    cur = lookup(ref.replace(/^#\/(definitions|components\/schemas)\//, ''));
  }
  return cur;
}

function field(view: SchemaView, key: string): { schema: StrategicSchema | undefined; strategy: string[]; mergeKey?: string } {
  const obj = resolveSchema(view.schema, view.lookup);
  const raw = obj?.properties?.[key] ?? (isObject(obj?.additionalProperties) ? obj.additionalProperties : undefined);
  const strategy = String(raw?.['x-kubernetes-patch-strategy'] ?? '').split(',').filter(Boolean);
  const mergeKey = raw?.['x-kubernetes-patch-merge-key'];
  return { schema: raw, strategy, ...(typeof mergeKey === 'string' ? { mergeKey } : {}) };
}

const child = (view: SchemaView, s: StrategicSchema | undefined): SchemaView => ({ schema: s, lookup: view.lookup });
const itemsOf = (view: SchemaView, s: StrategicSchema | undefined): SchemaView => child(view, resolveSchema(s, view.lookup)?.items);

const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';

/**
 * Strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch, what `kubectl patch` and
 * client-side `kubectl apply` send): maps merge, null deletes a key, lists whose schema says
 * `x-kubernetes-patch-strategy: merge` merge by their `x-kubernetes-patch-merge-key` (or as a set
 * of primitives), other lists are replaced. Directives: `$patch: replace|delete|merge` in a map or
 * list element, `$retainKeys`, `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`.
 */
export function strategicMergePatch(original: Json, patch: Json, view: SchemaView): Json {
  if (!isObject(patch)) throw new PatchError('a strategic merge patch must be a JSON object');
  return mergeMap(isObject(original) ? original : {}, patch, view) ?? {};
}

function mergeMap(original: JsonObject, patch: JsonObject, view: SchemaView): JsonObject | undefined {
  const directive = patch.$patch;
  if (directive === 'delete') return undefined;
  if (directive === 'replace') {
    const { $patch: _p, ...rest } = patch;
    return structuredClone(rest);
  }
  if (directive !== undefined && directive !== 'merge') throw new PatchError(`unknown patch type: ${String(directive)}`);
  const out: JsonObject = { ...original };
  const retainKeys = patch.$retainKeys;
  const orders: Record<string, unknown[]> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys') continue;
    if (key.startsWith(SET_ORDER)) {
      orders[key.slice(SET_ORDER.length)] = Array.isArray(value) ? value : [];
      continue;
    }
    if (key.startsWith(DELETE_PRIMITIVE)) {
      const name = key.slice(DELETE_PRIMITIVE.length);
      const gone = Array.isArray(value) ? value : [];
      if (Array.isArray(out[name])) out[name] = (out[name] as unknown[]).filter((v) => !gone.some((g) => deepEqual(g, v)));
      continue;
    }
    if (value === null) {
      delete out[key];
      continue;
    }
    const f = field(view, key);
    if (isObject(value)) {
      const merged = isObject(out[key]) ? mergeMap(out[key] as JsonObject, value, child(view, f.schema)) : mergeMap({}, value, child(view, f.schema));
      if (merged === undefined) delete out[key];
      else out[key] = merged;
      continue;
    }
    if (Array.isArray(value) && f.strategy.includes('merge')) {
      out[key] = mergeList(Array.isArray(out[key]) ? (out[key] as unknown[]) : [], value, f.mergeKey, itemsOf(view, f.schema));
      continue;
    }
    out[key] = structuredClone(value);
  }
  for (const [name, order] of Object.entries(orders)) {
    if (Array.isArray(out[name])) out[name] = applyOrder(out[name] as unknown[], order, field(view, name).mergeKey);
  }
  if (Array.isArray(retainKeys)) {
    for (const k of Object.keys(out)) if (!retainKeys.includes(k)) delete out[k];
  }
  return out;
}

function mergeList(original: unknown[], patch: unknown[], mergeKey: string | undefined, items: SchemaView): unknown[] {
  if (patch.some((p) => isObject(p) && p.$patch === 'replace')) {
    return patch.filter((p) => !(isObject(p) && p.$patch === 'replace')).map((p) => structuredClone(p));
  }
  if (!mergeKey) {
    // A set of primitives: the union, in order.
    const out = [...original];
    for (const p of patch) if (!out.some((o) => deepEqual(o, p))) out.push(structuredClone(p));
    return out;
  }
  const out = original.map((o) => structuredClone(o));
  for (const p of patch) {
    if (!isObject(p)) throw new PatchError(`list items of a list merged by "${mergeKey}" must be objects`);
    const key = p[mergeKey];
    const i = out.findIndex((o) => isObject(o) && deepEqual(o[mergeKey], key));
    if (p.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
      continue;
    }
    if (key === undefined) throw new PatchError(`map: ${JSON.stringify(p)} does not contain declared merge key: ${mergeKey}`);
    if (i >= 0) {
      const merged = mergeMap(out[i] as JsonObject, p, items);
      if (merged === undefined) out.splice(i, 1);
      else out[i] = merged;
    } else out.push(mergeMap({}, p, items) ?? {});
  }
  return out;
}

/** $setElementOrder: the listed elements in that order; others keep their place after them. */
function applyOrder(list: unknown[], order: unknown[], mergeKey: string | undefined): unknown[] {
  const keyOf = (v: unknown) => (mergeKey && isObject(v) ? v[mergeKey] : v);
  const wanted = order.map((o) => (mergeKey && isObject(o) ? o[mergeKey] : o));
  const rank = (v: unknown) => {
    const i = wanted.findIndex((w) => deepEqual(w, keyOf(v)));
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  return list
    .map((v, i) => ({ v, i }))
    .sort((a, b) => rank(a.v) - rank(b.v) || a.i - b.i)
    .map((x) => x.v);
}
