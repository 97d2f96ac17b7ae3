/**
 * Dotted paths into observed data, used by `capture`, http `expect.json` and traffic `json:` classes.
 * Syntax: `status.loadBalancer.ingress[0].ip`, `items.0.metadata.name`, and for keys that contain
 * dots either `metadata.annotations["sidecar.istio.io/status"]` or `metadata.annotations.sidecar\.istio\.io/status`.
 */

import { CheckConfigError } from './errors.js';

export type PathSegment = string | number;

export function parsePath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  let current = '';
  // Whether `current` holds a segment being built (so that "" keys survive, e.g. `a[""]`).
  let pending = false;
  const flush = () => {
    if (pending || current !== '') segments.push(/^\d+$/.test(current) ? Number(current) : current);
    current = '';
    pending = false;
  };
  for (let i = 0; i < path.length; i++) {
    const ch = path[i] as string;
    if (ch === '\\' && i + 1 < path.length) {
      current += path[++i];
      pending = true;
    } else if (ch === '.') {
      flush();
    } else if (ch === '[') {
      flush();
      const close = path.indexOf(']', i);
      if (close < 0) throw new CheckConfigError(`path "${path}": "[" without "]"`);
      const inner = path.slice(i + 1, close).trim();
      const quoted = /^(["'])(.*)\1$/.exec(inner);
      if (quoted) segments.push(quoted[2] as string);
      else if (/^\d+$/.test(inner)) segments.push(Number(inner));
      else throw new CheckConfigError(`path "${path}": [${inner}] is neither an index nor a quoted key`);
      i = close;
    } else {
      current += ch;
      pending = true;
    }
  }
  flush();
  return segments;
}

export interface PathLookup {
  found: boolean;
  value: unknown;
}

export function lookupPath(data: unknown, path: string): PathLookup {
  let value: unknown = data;
  for (const segment of parsePath(path)) {
    const next = step(value, segment);
    if (!next.found) return next;
    value = next.value;
  }
  return { found: true, value };
}

/** Renders a value for a variable or a classification: strings as they are, the rest as JSON. */
export function valueText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** The keys at the deepest point of `path` that exists, to suggest what a wrong path could have meant. */
export function availableKeys(data: unknown, path: string): { at: string; keys: string[] } {
  let value: unknown = data;
  const walked: string[] = [];
  for (const segment of parsePath(path)) {
    const next = step(value, segment);
    if (!next.found) break;
    value = next.value;
    walked.push(typeof segment === 'number' ? `[${segment}]` : String(segment));
  }
  const at = walked.join('.').replace(/\.\[/g, '[');
  if (Array.isArray(value)) return { at, keys: value.length ? [`[0]..[${value.length - 1}]`] : [] };
  if (value !== null && typeof value === 'object') return { at, keys: Object.keys(value) };
  return { at, keys: [] };
}

function step(value: unknown, segment: PathSegment): PathLookup {
  if (Array.isArray(value) && typeof segment === 'number') {
    return segment < value.length ? { found: true, value: value[segment] } : { found: false, value: undefined };
  }
  if (value !== null && typeof value === 'object' && Object.hasOwn(value, String(segment))) {
    return { found: true, value: (value as Record<string, unknown>)[String(segment)] };
  }
  return { found: false, value: undefined };
}
