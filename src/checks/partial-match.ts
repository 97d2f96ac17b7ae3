/**
 * Chainsaw-style partial matching of an expected shape against an observed object:
 * - maps: every expected key must be present and match (extra keys are fine);
 * - arrays: every expected item must match its own observed item, one-to-one (order and extra
 *   observed items are fine): `[{weight: 50}, {weight: 50}]` needs two items of weight 50;
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
    // `g` and `y` make test() stateful (it resumes at lastIndex), so one pattern tested against many
    // names would skip matches: a pattern here is a plain predicate, applied afresh to each value.
    return new RegExp(m[1] as string, (m[2] as string).replace(/[gy]/g, ''));
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
    return matchList(expected, actual, path);
  }

  if (isMap(expected)) {
    if (!isMap(actual)) return [{ path, message: `expected an object, found ${show(actual)}` }];
    return Object.entries(expected).flatMap(([key, value]) => partialMatch(value, actual[key], join(path, key)));
  }

  return scalarMatches(expected, actual) ? [] : [{ path, message: `expected ${show(expected)}, found ${show(actual)}` }];
}

/**
 * Pairs expected items with distinct observed items (a maximum bipartite matching by augmenting
 * paths; lists in lab checks are short). Each expected item left without a partner is reported
 * against its closest observed item, preferring one no other expected item took.
 */
function matchList(expected: unknown[], actual: unknown[], path: string): Difference[] {
  const diffs = expected.map((item) => actual.map((observed, j) => partialMatch(item, observed, `${path}[${j}]`)));
  const owner: number[] = actual.map(() => -1);
  const assign = (i: number, seen: boolean[]): boolean => {
    for (let j = 0; j < actual.length; j++) {
      if (seen[j] || (diffs[i]?.[j]?.length ?? 1) > 0) continue;
      seen[j] = true;
      if ((owner[j] as number) < 0 || assign(owner[j] as number, seen)) {
        owner[j] = i;
        return true;
      }
    }
    return false;
  };
  const unmatched = expected.map((_, i) => i).filter((i) => !assign(i, actual.map(() => false)));
  return unmatched.flatMap((i) => unmatchedItem(expected[i], i, diffs[i] ?? [], owner, actual, path));
}

function unmatchedItem(item: unknown, index: number, row: Difference[][], owner: number[], actual: unknown[], path: string): Difference[] {
  const where = path || 'the list';
  if (actual.length === 0) return [{ path, message: `expected an item like ${show(item)}, found an empty list` }];
  const takenFit = row.some((d, j) => d.length === 0 && (owner[j] as number) >= 0);
  if (!isMap(item) && !Array.isArray(item)) {
    const message = takenFit ? `expected another item ${show(item)} (each expected item needs its own), found ${show(actual)}` : `expected an item ${show(item)}, found ${show(actual)}`;
    return [{ path, message }];
  }
  // Name the closest free observed item's differences: they are what the learner has to change.
  let best: Difference[] | undefined;
  for (let j = 0; j < actual.length; j++) {
    const d = row[j] as Difference[];
    if (d.length === 0 || (owner[j] as number) >= 0) continue;
    if (!best || d.length < best.length) best = d;
  }
  const note = takenFit
    ? `expected item ${index + 1} matches only items of ${where} already paired with other expected items`
    : `no item of ${where} matches expected item ${index + 1}`;
  if (!best) return [{ path, message: `expected ${show(item)} as its own item, but each of the ${actual.length} observed items is already paired with another expected item`, note }];
  return best.map((d) => (d.note ? d : { ...d, note }));
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
