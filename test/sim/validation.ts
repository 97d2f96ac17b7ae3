/**
 * Validation of written objects against the kind's OpenAPI schema, as kube-apiserver decodes and
 * validates a request body:
 * - a value of the wrong JSON type: 400 BadRequest ("... cannot be handled as a Deployment: json:
 *   cannot unmarshal string into Go struct field ... of type int32"); for custom resources 422;
 * - unknown fields, by the request's fieldValidation: Strict → 400 "strict decoding error: unknown
 *   field", Warn (the default) → a `Warning` header each, Ignore → nothing; they are dropped from
 *   what is stored either way (pruned, unless the schema preserves unknown fields);
 * - missing required fields: 422 Invalid with details.causes (FieldValueRequired, field path).
 * Plus what validation says about updates: immutable fields (a Deployment's, ReplicaSet's or
 * DaemonSet's selector, a Job's template and selector, a Service's clusterIP).
 *
 * kube-apiserver's own validation is hand-written per kind and checks more (name formats, port
 * ranges, a container's image...); the schema's required fields are the part it shares with CRDs.
 */
import type { KubeObject } from '../../src/core/seams.js';
import type { KindSchema } from './openapi/documents.js';
import type { Schema } from './openapi/models.js';
import { deepEqual, isObject } from './patches.js';
import { qualifiedKind, type ResourceType } from './resources.js';
import { SimHttpError } from './status.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

interface Problems {
  unknown: string[];
  required: string[];
  types: Array<{ path: string; got: string; want: string }>;
}

function resolve(s: Schema | undefined, kind: KindSchema): Schema | undefined {
  let cur = s;
  for (let i = 0; i < 20 && cur; i++) {
    const ref = cur.$ref ?? (cur.allOf as Schema[] | undefined)?.[0]?.$ref;
    if (!ref) return cur;
    cur = kind.lookup(ref);
  }
  return cur;
}

const jsonType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? 'number' : typeof v);

function typeFits(s: Schema, v: unknown): boolean {
  if (s.format === 'int-or-string' || s['x-kubernetes-int-or-string']) return typeof v === 'string' || Number.isInteger(v);
  const oneOf = s.oneOf as Schema[] | undefined;
  if (oneOf) return oneOf.some((o) => typeFits(o, v));
  switch (s.type) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return isObject(v);
    default:
      return true;
  }
}

/** Walks value and schema; returns the value with unknown fields pruned. */
function walk(value: unknown, schema: Schema | undefined, path: string, kind: KindSchema, out: Problems): unknown {
  const s = resolve(schema, kind);
  if (!s || value === null || value === undefined) return value;
  if (!typeFits(s, value)) {
    out.types.push({ path, got: jsonType(value), want: s.type ?? 'object' });
    return value;
  }
  if (Array.isArray(value)) return s.items ? value.map((v, i) => walk(v, s.items, `${path}[${i}]`, kind, out)) : value;
  if (!isObject(value)) return value;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const props = s.properties;
  const result: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const sub = path ? `${path}.${k}` : k;
    if (props?.[k]) result[k] = walk(v, props[k], sub, kind, out);
    else if (isObject(s.additionalProperties)) result[k] = walk(v, s.additionalProperties, sub, kind, out);
    else if (props && !preserve && s.additionalProperties !== true) out.unknown.push(sub);
    else result[k] = v;
  }
  for (const r of s.required ?? []) if (value[r] === undefined) out.required.push(path ? `${path}.${r}` : r);
  return result;
}

const GO_TYPES: Record<string, string> = { integer: 'int32', number: 'float64', string: 'string', boolean: 'bool', array: 'slice', object: 'map' };

export interface Admitted {
  object: KubeObject;
  warnings: string[];
}

/** Validates (and prunes) an object written through the API; throws the Status a real server sends. */
export function validateObject(obj: KubeObject, r: ResourceType, version: string, kind: KindSchema, mode: FieldValidation, crd: boolean): Admitted {
  const problems: Problems = { unknown: [], required: [], types: [] };
  // status is not the writer's to set (the main resource ignores it; controllers own it), so it is
  // neither validated nor pruned here.
  const { status, ...rest } = obj;
  const pruned = walk(rest, kind.root, '', kind, problems) as KubeObject;
  if (status !== undefined) pruned.status = status;
  const name = obj.metadata?.name ?? '';
  if (problems.types.length) {
    const t = problems.types[0]!;
    if (crd) {
      throw invalidCauses(r, name, problems.types.map((p) => ({ reason: 'FieldValueTypeInvalid', field: p.path, message: `Invalid value: "${p.got}": ${p.path} in body must be of type ${p.want}: "${p.got}"` })));
    }
    throw new SimHttpError(400, 'BadRequest', `${r.kind} in version "${version}" cannot be handled as a ${r.kind}: json: cannot unmarshal ${t.got} into Go struct field ${t.path} of type ${GO_TYPES[t.want] ?? t.want}`);
  }
  if (problems.unknown.length && mode === 'Strict') {
    throw new SimHttpError(400, 'BadRequest', `${r.kind} in version "${version}" cannot be handled as a ${r.kind}: strict decoding error: ${problems.unknown.map((u) => `unknown field "${u}"`).join(', ')}`);
  }
  if (problems.required.length) {
    throw invalidCauses(r, name, problems.required.map((field) => ({ reason: 'FieldValueRequired', field, message: 'Required value' })));
  }
  return { object: pruned, warnings: mode === 'Warn' ? problems.unknown.map((u) => `unknown field "${u}"`) : [] };
}

/** 422 Invalid with one cause per field, in the shape kubectl turns into "The X "n" is invalid: ...". */
export function invalidCauses(r: ResourceType, name: string, causes: Array<{ reason: string; field: string; message: string }>): SimHttpError {
  const list = causes.map((c) => `${c.field}: ${c.message}`);
  const text = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
  return new SimHttpError(422, 'Invalid', `${qualifiedKind(r)} "${name}" is invalid: ${text}`, { name, group: r.group, kind: r.kind, causes });
}

const get = (o: unknown, path: string[]) => path.reduce<unknown>((v, k) => (isObject(v) ? v[k] : undefined), o);

/** Fields an update may not change, per kind (the ValidateUpdate functions of kube-apiserver). */
const IMMUTABLE: Record<string, Array<{ path: string[]; message: (v: unknown) => string }>> = {
  'apps/Deployment': [{ path: ['spec', 'selector'], message: () => 'field is immutable' }],
  'apps/ReplicaSet': [{ path: ['spec', 'selector'], message: () => 'field is immutable' }],
  'apps/DaemonSet': [{ path: ['spec', 'selector'], message: () => 'field is immutable' }],
  'batch/Job': [
    { path: ['spec', 'selector'], message: () => 'field is immutable' },
    { path: ['spec', 'template'], message: () => 'field is immutable' },
  ],
  '/Service': [{ path: ['spec', 'clusterIP'], message: () => 'field is immutable' }],
};

/** 422 when an update changes an immutable field. */
export function checkImmutable(r: ResourceType, live: KubeObject, next: KubeObject): void {
  const rules = IMMUTABLE[`${r.group}/${r.kind}`] ?? [];
  const causes = rules
    .filter(({ path }) => get(next, path) !== undefined && !deepEqual(get(live, path), get(next, path)))
    .map(({ path, message }) => {
      const v = get(next, path);
      return { reason: 'FieldValueInvalid', field: path.join('.'), message: `Invalid value: ${typeof v === 'string' ? `"${v}"` : JSON.stringify(v)}: ${message(v)}` };
    });
  if (causes.length) throw invalidCauses(r, live.metadata.name, causes);
}
