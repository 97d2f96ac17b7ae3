/**
 * Turns zod issues into sentences for lab authors: what was expected (described from the schema
 * itself, so messages stay right when the schema changes) and what was found.
 */
import type { z } from 'zod';
import { closestNames, didYouMean, orList } from './suggest.js';
import type { PathSegment } from './yaml-locate.js';

type Schema = z.core.$ZodType;
type Issue = z.core.$ZodIssue;

/** The parts of zod's schema definitions these messages read. */
interface Def {
  type: string;
  innerType?: Schema;
  in?: Schema;
  shape?: Record<string, Schema>;
  element?: Schema;
  keyType?: Schema;
  valueType?: Schema;
  options?: Schema[];
  entries?: Record<string, string | number>;
  values?: unknown[];
  checks?: Array<{ _zod: { def: CheckDef } }>;
  format?: string;
}
interface CheckDef {
  check: string;
  value?: number;
  inclusive?: boolean;
  minimum?: number;
  format?: string;
  error?: (issue: unknown) => unknown;
}

const defOf = (s: Schema): Def => (s as unknown as { _zod: { def: Def } })._zod.def;
const descriptionOf = (s: Schema): string | undefined => (s as unknown as { description?: string }).description;
const wrappers = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'nonoptional', 'catch']);

/** Strips optional/default/... wrappers. */
function unwrap(s: Schema): Schema {
  let cur = s;
  for (;;) {
    const def = defOf(cur);
    if (wrappers.has(def.type) && def.innerType) cur = def.innerType;
    else if (def.type === 'pipe' && def.in) cur = def.in;
    else return cur;
  }
}

/**
 * The schema of the value at `path`, following objects, lists and maps. At a union it takes the
 * one alternative that accepts the kind of value found there (zod reports a lone fitting
 * alternative's issues directly, without naming the union).
 */
export function schemaAt(schema: Schema, data: unknown, path: readonly PropertyKey[], narrowLast = true): Schema | undefined {
  let cur: Schema | undefined = path.length > 0 || narrowLast ? narrow(schema, data) : schema;
  let value = data;
  for (const [i, seg] of path.entries()) {
    if (!cur) return undefined;
    value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[seg] : undefined;
    const def = defOf(unwrap(cur));
    let next: Schema | undefined;
    if (def.type === 'object') next = def.shape?.[String(seg)];
    else if (def.type === 'array') next = def.element;
    else if (def.type === 'record') next = def.valueType;
    cur = next && (i < path.length - 1 || narrowLast ? narrow(next, value) : next);
  }
  return cur;
}

function narrow(schema: Schema, value: unknown): Schema {
  const def = defOf(unwrap(schema));
  if (def.type !== 'union' || value === undefined) return schema;
  const index = pickAlternative(def.options ?? [], value);
  return index === undefined ? schema : narrow((def.options ?? [])[index] as Schema, value);
}

/**
 * The alternative of a union the author evidently meant: the only one taking the kind of value
 * written (a string where a string or a map is allowed), or among several maps the one sharing
 * most field names with what was written.
 */
function pickAlternative(options: readonly Schema[], value: unknown, among?: readonly number[]): number | undefined {
  const fitting = (among ?? options.map((_, i) => i)).filter((i) => options[i] && accepts(options[i] as Schema, value));
  if (fitting.length === 1) return fitting[0];
  if (fitting.length === 0 || !value || typeof value !== 'object') return undefined;
  const keys = Object.keys(value);
  const scored = fitting.map((i) => ({ i, n: objectKeys(options[i]).filter((k) => keys.includes(k)).length })).sort((a, b) => b.n - a.n);
  const [best, second] = scored;
  return best && best.n > 0 && best.n !== second?.n ? best.i : undefined;
}

export function objectKeys(schema: Schema | undefined): string[] {
  if (!schema) return [];
  const def = defOf(unwrap(schema));
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

/** A noun phrase for what the schema accepts: "an integer from 1 to 5000", "one of GET, POST". */
export function describeSchema(schema: Schema): string {
  const s = unwrap(schema);
  const def = defOf(s);
  const checks = (def.checks ?? []).map((c) => c._zod.def);
  switch (def.type) {
    case 'string': {
      const own = descriptionOf(s) ?? descriptionOf(schema);
      if (own) return own;
      for (const c of checks) {
        if (c.check !== 'string_format') continue;
        if (c.format === 'url') return 'a URL';
        const custom = c.error?.({});
        if (typeof custom === 'string') return custom;
        if (c.format === 'regex') {
          const pattern = (c as { pattern?: RegExp }).pattern;
          return `a string matching ${String(pattern)}`;
        }
      }
      if (def.format === 'url') return 'a URL';
      return checks.some((c) => c.check === 'min_length' && (c.minimum ?? 0) > 0) ? 'a non-empty string' : 'a string';
    }
    case 'number':
      return describeNumber(def, checks);
    case 'boolean':
      return 'true or false';
    case 'enum':
      return `one of ${Object.values(def.entries ?? {}).join(', ')}`;
    case 'literal':
      return orList((def.values ?? []).map((v) => JSON.stringify(v)));
    case 'array': {
      const min = checks.find((c) => c.check === 'min_length')?.minimum ?? 0;
      const items = def.element ? plural(describeSchema(def.element)) : 'items';
      return `${min > 0 ? 'a non-empty list' : 'a list'} of ${items}`;
    }
    case 'object': {
      const keys = Object.keys(def.shape ?? {});
      if (keys.length === 0) return 'a map';
      const shown = keys.length > 6 ? `${keys.slice(0, 6).join(', ')}, ...` : keys.join(', ');
      return `a map with ${keys.length === 1 ? 'field' : 'fields'} ${shown}`;
    }
    case 'record':
      return def.valueType ? `a map of ${plural(describeSchema(def.valueType))}` : 'a map';
    case 'union':
      return orList([...new Set((def.options ?? []).map(describeSchema))]);
    default:
      return 'a value';
  }
}

function describeNumber(def: Def, checks: CheckDef[]): string {
  const noun = def.format === 'safeint' || checks.some((c) => c.format === 'safeint') ? 'an integer' : 'a number';
  let low: CheckDef | undefined;
  let high: CheckDef | undefined;
  for (const c of checks) {
    if (c.check === 'greater_than') low = c;
    if (c.check === 'less_than') high = c;
  }
  if (low?.inclusive && high?.inclusive) return `${noun} from ${low.value} to ${high.value}`;
  const parts: string[] = [];
  if (low) parts.push(`${low.inclusive ? '≥' : '>'} ${low.value}`);
  if (high) parts.push(`${high.inclusive ? '≤' : '<'} ${high.value}`);
  return parts.length ? `${noun} ${parts.join(' and ')}` : noun;
}

/** "an integer ≥ 0" → "integers ≥ 0"; phrases without an article get a generic form. */
function plural(phrase: string): string {
  const m = /^an? (\w+)(.*)$/.exec(phrase);
  if (m) return `${m[1]}s${m[2]}`;
  return `values that are ${phrase}`;
}

/** How a found value is shown: strings quoted, maps by their keys. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list of ${value.length}`;
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    return keys.length === 0 ? 'an empty map' : `a map with ${keys.length === 1 ? 'field' : 'fields'} ${keys.join(', ')}`;
  }
  return String(value);
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur = data;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

export interface Explained {
  /** Where the problem is: used to find its line in the YAML. */
  at: PathSegment[];
  /** The path shown in the message (the parent, for a missing or unknown field). */
  shown: PathSegment[];
  detail: string;
}

/** Explains the issues of `schema.safeParse(data)`. */
export function explainIssues(schema: Schema, data: unknown, issues: readonly Issue[]): Explained[] {
  return issues.flatMap((issue) => explainOne(schema, data, issue));
}

function explainOne(schema: Schema, data: unknown, issue: Issue): Explained[] {
  const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
  const value = valueAt(data, path);
  const here = schemaAt(schema, data, path);
  const expected = here ? describeSchema(here) : undefined;
  const plain = (detail: string): Explained[] => [{ at: path, shown: path, detail }];

  switch (issue.code) {
    case 'invalid_type': {
      if (value === undefined && path.length > 0) {
        const parent = path.slice(0, -1);
        const name = String(path[path.length - 1]);
        return [{ at: parent, shown: parent, detail: `missing field "${name}"${expected ? ` (${expected})` : ''}` }];
      }
      return plain(`expected ${expected ?? issue.expected}, found ${describeValue(value)}`);
    }
    case 'too_small':
    case 'too_big':
    case 'invalid_format':
      return plain(expected ? `expected ${expected}, found ${describeValue(value)}` : issue.message);
    case 'invalid_value': {
      const options = issue.values.map(String);
      const hint = typeof value === 'string' ? didYouMean(value, options) : '';
      return plain(`expected ${expected ?? orList(options)}, found ${describeValue(value)}${hint}`);
    }
    case 'unrecognized_keys': {
      const known = objectKeys(here);
      return issue.keys.map((key) => {
        const close = closestNames(key, known, 1)[0];
        const help = close ? ` (did you mean "${close}"?)` : known.length ? ` (known fields: ${known.join(', ')})` : '';
        return { at: [...path, key], shown: path, detail: `unknown field "${key}"${help}` };
      });
    }
    case 'invalid_key': {
      const parent = path.slice(0, -1);
      const record = schemaAt(schema, data, parent);
      const keyType = record ? defOf(unwrap(record)).keyType : undefined;
      const key = String(path[path.length - 1]);
      const want = keyType ? describeSchema(keyType) : 'a valid name';
      return [{ at: path, shown: parent, detail: `invalid name "${key}": expected ${want}` }];
    }
    case 'invalid_union':
      return explainUnion(schemaAt(schema, data, path, false), value, path, issue);
    default:
      return plain(issue.message);
  }
}

/**
 * A union failed. When one alternative is evidently meant (see pickAlternative), its own problems
 * are the useful ones; otherwise say what is accepted.
 */
function explainUnion(union: Schema | undefined, value: unknown, path: PathSegment[], issue: z.core.$ZodIssueInvalidUnion): Explained[] {
  const options = union ? (defOf(unwrap(union)).options ?? []) : [];
  const index = pickAlternative(options, value, issue.errors.map((_, i) => i));
  const option = index === undefined ? undefined : options[index];
  const errors = index === undefined ? undefined : issue.errors[index];
  if (option && errors) {
    return explainIssues(option, value, errors).map((e) => ({
      at: [...path, ...e.at],
      shown: [...path, ...e.shown],
      detail: e.detail,
    }));
  }
  const expected = union ? describeSchema(union) : 'another form';
  let hint = '';
  if (value && typeof value === 'object') {
    const known = options.flatMap((o) => objectKeys(o));
    const unknown = Object.keys(value).find((k) => !known.includes(k));
    if (unknown) hint = didYouMean(unknown, known);
  }
  return [{ at: path, shown: path, detail: `expected ${expected}, found ${describeValue(value)}${hint}` }];
}

/** Whether a schema takes the kind of value given (string, number, map, ...), whatever its details. */
function accepts(schema: Schema, value: unknown): boolean {
  const def = defOf(unwrap(schema));
  switch (def.type) {
    case 'string':
    case 'enum':
    case 'template_literal':
      return typeof value === 'string';
    case 'literal':
      return (def.values ?? []).some((v) => typeof v === typeof value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
    case 'record':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    case 'union':
      return (def.options ?? []).some((o) => accepts(o, value));
    default:
      return true;
  }
}
