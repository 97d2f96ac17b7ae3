/**
 * Chainsaw-style partial matching of an expected shape against an observed object:
 * - maps: every expected key must be present and match (extra keys are fine);
 * - arrays: every expected item must match some observed item (order and extra items are fine);
 * - scalars: equal by their text, because Kubernetes often stores numbers and booleans as strings
 *   (annotations, env values): `20` matches `"20"`;
 * - a string written as `/pattern/flags` matches by regular expression;
 * - `null` means the field must be absent (or null).
 * The result lists field-level differences a learner can act on, e.g.
 * `spec.selector.app: expected "nginx", found "web"`.
 */

import { CheckConfigError } from './errors.js';

export interface Difference {
  /** Dotted path of the field, e.g. spec.http[0].route[1].weight. */
  path: string;
  message: string;
  /** For differences inside a list: which expected item found no match (the innermost list). */
  note?: string;
}

export function formatDifference(d: Difference): string {
  const text = d.note ? `${d.message} (${d.note})` : d.message;
  return d.path ? `${d.path}: ${text}` : text;
}

const regexLiteral = /^\/(.*)\/([dgimsuy]*)$/s;

/** A `/pattern/flags` string as a RegExp, or undefined for a plain string. */
export function asRegex(text: string): RegExp | undefined {
  const m = regexLiteral.exec(text);
  if (!m || text.length < 2) return undefined;
  try {
    return new RegExp(m[1] as string, (m[2] as string).replace(/g/g, ''));
  } catch (err) {
    throw new CheckConfigError(`invalid regular expression ${text}: ${(err as Error).message}`);
  }
}

export function partialMatch(expected: unknown, actual: unknown, path = ''): Difference[] {
  if (expected === null) {
    return actual === undefined || actual === null ? [] : [{ path, message: `expected no value, found ${show(actual)}` }];
  }
  if (actual === undefined) return [{ path, message: `expected ${show(expected)}, found nothing` }];

  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [{ path, message: `expected a list, found ${show(actual)}` }];
    return expected.flatMap((item, i) => matchListItem(item, i, actual, path));
  }

  if (isMap(expected)) {
    if (!isMap(actual)) return [{ path, message: `expected an object, found ${show(actual)}` }];
    return Object.entries(expected).flatMap(([key, value]) => partialMatch(value, actual[key], join(path, key)));
  }

  return scalarMatches(expected, actual) ? [] : [{ path, message: `expected ${show(expected)}, found ${show(actual)}` }];
}

/** An expected list item matches when some observed item matches it; otherwise report the closest one. */
function matchListItem(item: unknown, index: number, actual: unknown[], path: string): Difference[] {
  let best: Difference[] | undefined;
  for (let j = 0; j < actual.length; j++) {
    const diffs = partialMatch(item, actual[j], `${path}[${j}]`);
    if (diffs.length === 0) return [];
    if (!best || diffs.length < best.length) best = diffs;
  }
  if (!best) return [{ path, message: `expected an item like ${show(item)}, found an empty list` }];
  if (!isMap(item) && !Array.isArray(item)) {
    return [{ path, message: `expected an item ${show(item)}, found ${show(actual)}` }];
  }
  // Name the closest observed item's differences: they are what the learner has to change.
  return best.map((d) => (d.note ? d : { ...d, note: `no item of ${path || 'the list'} matches expected item ${index + 1}` }));
}

function scalarMatches(expected: unknown, actual: unknown): boolean {
  if (typeof expected === 'string') {
    const re = asRegex(expected);
    if (re) return (typeof actual === 'string' || typeof actual === 'number' || typeof actual === 'boolean') && re.test(String(actual));
  }
  if (isMap(actual) || Array.isArray(actual) || actual === null) return false;
  if (typeof expected === typeof actual) return expected === actual;
  return String(expected) === String(actual);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function join(path: string, key: string): string {
  const safe = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : JSON.stringify(key);
  if (safe !== key) return `${path}[${safe}]`;
  return path ? `${path}.${key}` : key;
}

/** Short JSON for messages; long values are cut. */
export function show(value: unknown, max = 80): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
