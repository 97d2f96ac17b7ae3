/**
 * Turns zod issues into sentences for lab authors: what was expected (described from the schema
 * itself, so messages stay right when the schema changes) and what was found.
 *
 * The schema is read as the JSON Schema zod generates from it (z.toJSONSchema, the same the
 * published schema/*.json come from), not through zod's internals. Phrases a pattern cannot say
 * ("a duration like 30s, 5m or 1h") are the schemas' descriptions.
 */
import { z } from 'zod';
import { closestNames, didYouMean, orList } from './suggest.js';
import type { PathSegment } from './yaml-locate.js';

type Schema = z.core.$ZodType;
type Issue = z.core.$ZodIssue;

/** The JSON Schema keywords zod writes for the schemas of lab documents. */
interface Json {
  type?: string | string[];
  description?: string;
  properties?: Record<string, Json>;
  additionalProperties?: Json | boolean;
  propertyNames?: Json;
  items?: Json;
  anyOf?: Json[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  minItems?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
}

const converted = new WeakMap<Schema, Json>();

/** The input side (fields with defaults may be left out), as authors write it. */
function jsonOf(schema: Schema): Json {
  let json = converted.get(schema);
  if (!json) {
    json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
    converted.set(schema, json);
  }
  return json;
}

const types = (s: Json): string[] => (s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type]);
const isRecord = (s: Json) => s.properties === undefined && types(s).includes('object') && (s.propertyNames !== undefined || typeof s.additionalProperties === 'object');

/**
 * The schema of the value at `path`, following objects, lists and maps. At a union it takes the
 * one alternative that accepts the kind of value found there (zod reports a lone fitting
 * alternative's issues directly, without naming the union).
 */
function schemaAt(schema: Json, data: unknown, path: readonly PropertyKey[], narrowLast = true): Json | undefined {
  let cur: Json | undefined = path.length > 0 || narrowLast ? narrow(schema, data) : schema;
  let value = data;
  for (const [i, seg] of path.entries()) {
    if (!cur) return undefined;
    value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[seg] : undefined;
    let next: Json | undefined;
    if (cur.properties) next = cur.properties[String(seg)];
    else if (cur.items) next = cur.items;
    else if (isRecord(cur) && typeof cur.additionalProperties === 'object') next = cur.additionalProperties;
    cur = next && (i < path.length - 1 || narrowLast ? narrow(next, value) : next);
  }
  return cur;
}

function narrow(schema: Json, value: unknown): Json {
  if (!schema.anyOf || value === undefined) return schema;
  const index = pickAlternative(schema.anyOf, value);
  return index === undefined ? schema : narrow(schema.anyOf[index] as Json, value);
}

/**
 * The alternative of a union the author evidently meant: the only one taking the kind of value
 * written (a string where a string or a map is allowed), or among several maps the one sharing
 * most field names with what was written.
 */
function pickAlternative(options: readonly Json[], value: unknown, among?: readonly number[]): number | undefined {
  const fitting = (among ?? options.map((_, i) => i)).filter((i) => options[i] && accepts(options[i] as Json, value));
  if (fitting.length === 1) return fitting[0];
  if (fitting.length === 0 || !value || typeof value !== 'object') return undefined;
  const keys = Object.keys(value);
  const scored = fitting.map((i) => ({ i, n: keysOf(options[i]).filter((k) => keys.includes(k)).length })).sort((a, b) => b.n - a.n);
  const [best, second] = scored;
  return best && best.n > 0 && best.n !== second?.n ? best.i : undefined;
}

const keysOf = (s: Json | undefined): string[] => Object.keys(s?.properties ?? {});

/** The field names of an object schema ([] for anything else). */
export function objectKeys(schema: Schema | undefined): string[] {
  return schema ? keysOf(jsonOf(schema)) : [];
}

/** zod writes an integer's safe range as bounds; they are no limit an author needs to hear about. */
const SAFE = Number.MAX_SAFE_INTEGER;

/** A noun phrase for what the schema accepts: "an integer from 1 to 5000", "one of GET, POST". */
function describe(s: Json): string {
  const t = types(s);
  if (s.anyOf) return orList([...new Set(s.anyOf.map(describe))]);
  if (s.const !== undefined) return orList([JSON.stringify(s.const)]);
  if (s.enum) return `one of ${s.enum.join(', ')}`;
  if (t.includes('string')) {
    if (s.description) return s.description;
    if (s.format === 'uri') return 'a URL';
    // A pattern zod derived from another check (startsWith, ...) carries that check as `format`.
    if (s.pattern !== undefined && s.format === undefined) return `a string matching /${s.pattern}/`;
    return (s.minLength ?? 0) > 0 ? 'a non-empty string' : 'a string';
  }
  if (t.includes('number') || t.includes('integer')) return describeNumber(s, t.includes('integer') ? 'an integer' : 'a number');
  if (t.includes('boolean')) return 'true or false';
  if (t.includes('array')) return `${(s.minItems ?? 0) > 0 ? 'a non-empty list' : 'a list'} of ${s.items ? plural(describe(s.items)) : 'items'}`;
  if (isRecord(s)) return typeof s.additionalProperties === 'object' ? `a map of ${plural(describe(s.additionalProperties))}` : 'a map';
  if (t.includes('object')) {
    const keys = keysOf(s);
    if (keys.length === 0) return 'a map';
    const shown = keys.length > 6 ? `${keys.slice(0, 6).join(', ')}, ...` : keys.join(', ');
    return `a map with ${keys.length === 1 ? 'field' : 'fields'} ${shown}`;
  }
  return 'a value';
}

function describeNumber(s: Json, noun: string): string {
  const low = s.exclusiveMinimum !== undefined ? { value: s.exclusiveMinimum, inclusive: false } : s.minimum !== undefined && s.minimum !== -SAFE ? { value: s.minimum, inclusive: true } : undefined;
  const high = s.exclusiveMaximum !== undefined ? { value: s.exclusiveMaximum, inclusive: false } : s.maximum !== undefined && s.maximum !== SAFE ? { value: s.maximum, inclusive: true } : undefined;
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
  return explain(jsonOf(schema), data, issues);
}

function explain(schema: Json, data: unknown, issues: readonly Issue[]): Explained[] {
  return issues.flatMap((issue) => explainOne(schema, data, issue));
}

function explainOne(schema: Json, data: unknown, issue: Issue): Explained[] {
  const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
  const value = valueAt(data, path);
  const here = schemaAt(schema, data, path);
  const expected = here ? describe(here) : undefined;
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
      const known = keysOf(here);
      return issue.keys.map((key) => {
        const close = closestNames(key, known, 1)[0];
        const help = close ? ` (did you mean "${close}"?)` : known.length ? ` (known fields: ${known.join(', ')})` : '';
        return { at: [...path, key], shown: path, detail: `unknown field "${key}"${help}` };
      });
    }
    case 'invalid_key': {
      const parent = path.slice(0, -1);
      const keyType = schemaAt(schema, data, parent)?.propertyNames;
      const key = String(path[path.length - 1]);
      const want = keyType ? describe(keyType) : 'a valid name';
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
function explainUnion(union: Json | undefined, value: unknown, path: PathSegment[], issue: z.core.$ZodIssueInvalidUnion): Explained[] {
  const options = union?.anyOf ?? [];
  const index = pickAlternative(options, value, issue.errors.map((_, i) => i));
  const option = index === undefined ? undefined : options[index];
  const errors = index === undefined ? undefined : issue.errors[index];
  if (option && errors) {
    return explain(option, value, errors).map((e) => ({
      at: [...path, ...e.at],
      shown: [...path, ...e.shown],
      detail: e.detail,
    }));
  }
  const expected = union ? describe(union) : 'another form';
  let hint = '';
  if (value && typeof value === 'object') {
    const known = options.flatMap((o) => keysOf(o));
    const unknown = Object.keys(value).find((k) => !known.includes(k));
    if (unknown) hint = didYouMean(unknown, known);
  }
  return [{ at: path, shown: path, detail: `expected ${expected}, found ${describeValue(value)}${hint}` }];
}

/** Whether a schema takes the kind of value given (string, number, map, ...), whatever its details. */
function accepts(schema: Json, value: unknown): boolean {
  if (schema.anyOf) return schema.anyOf.some((o) => accepts(o, value));
  const t = types(schema);
  if (t.length === 0) return true;
  return t.some((type) => {
    switch (type) {
      case 'string':
        return typeof value === 'string';
      case 'number':
      case 'integer':
        return typeof value === 'number';
      case 'boolean':
        return typeof value === 'boolean';
      case 'array':
        return Array.isArray(value);
      case 'object':
        return value !== null && typeof value === 'object' && !Array.isArray(value);
      case 'null':
        return value === null;
      default:
        return true;
    }
  });
}
