/**
 * Kubernetes label selectors, evaluated locally: the API server filters lists by selector, but some
 * checks must apply one to objects they already hold (nodes `labeled`, a workload's pods), and a
 * workload's structured selector must be turned into the string form the API accepts.
 */

import { CheckConfigError } from './errors.js';

type Requirement =
  | { key: string; op: 'eq' | 'ne'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'absent' };

const keyPattern = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;

/** Splits on commas that are not inside a parenthesised value set. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += ch;
  }
  terms.push(current);
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

export function parseSelector(selector: string): Requirement[] {
  return splitTerms(selector).map((term) => {
    let m = /^(\S+?)\s*(==|=|!=)\s*(\S*)$/.exec(term);
    if (m) {
      const [, key, op, value] = m as unknown as [string, string, string, string];
      checkKey(key, selector);
      return { key, op: op === '!=' ? 'ne' : 'eq', value };
    }
    m = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
    if (m) {
      const [, key, op, list] = m as unknown as [string, string, 'in' | 'notin', string];
      checkKey(key, selector);
      return { key, op, values: list.split(',').map((v) => v.trim()).filter((v) => v !== '') };
    }
    m = /^(!?)\s*(\S+)$/.exec(term);
    if (m) {
      const key = m[2] as string;
      checkKey(key, selector);
      return { key, op: m[1] ? 'absent' : 'exists' };
    }
    throw new CheckConfigError(`label selector "${selector}": cannot read "${term}"`);
  });
}

function checkKey(key: string, selector: string): void {
  if (!keyPattern.test(key)) throw new CheckConfigError(`label selector "${selector}": "${key}" is not a label key`);
}

export function selectorMatches(selector: string, labels: Record<string, string> | undefined): boolean {
  const have = labels ?? {};
  return parseSelector(selector).every((r) => {
    const present = Object.hasOwn(have, r.key);
    const value = have[r.key];
    switch (r.op) {
      case 'eq':
        return present && value === r.value;
      case 'ne':
        return !present || value !== r.value;
      case 'in':
        return present && r.values.includes(value as string);
      case 'notin':
        return !present || !r.values.includes(value as string);
      case 'exists':
        return present;
      case 'absent':
        return !present;
    }
  });
}

interface StructuredSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** The string form of a workload's `spec.selector` (matchLabels and matchExpressions). */
export function selectorToString(sel: StructuredSelector | undefined): string {
  if (!sel) return '';
  const terms = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    switch (e.operator) {
      case 'In':
        terms.push(`${e.key} in (${values})`);
        break;
      case 'NotIn':
        terms.push(`${e.key} notin (${values})`);
        break;
      case 'Exists':
        terms.push(e.key);
        break;
      case 'DoesNotExist':
        terms.push(`!${e.key}`);
        break;
      default:
        throw new Error(`unknown selector operator ${e.operator}`);
    }
  }
  return terms.join(',');
}
