/**
 * ${VAR} in check fields. Every string value of a check's settings is interpolated from the lab
 * variables (front matter env, captured values), then the lab's environment, before the check runs.
 * `$${` writes a literal `${`. An unknown variable is an error that names it, so a typo never
 * reaches the cluster as a literal "${GATEWAY_IP}".
 *
 * Shell text is the exception: a value captured from the cluster pasted into a script would run
 * whatever `$(...)` or `;` it holds. Fields that are shell text keep their references for the
 * shell, which gets the values as environment variables (see the command check).
 */

const reference = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export class UnknownVariableError extends Error {
  readonly names: string[];
  constructor(names: string[], where: string[]) {
    const list = names.map((n) => '${' + n + '}').join(', ');
    super(`unknown variable${names.length > 1 ? 's' : ''} ${list} in ${[...new Set(where)].join(', ')}`);
    this.name = 'UnknownVariableError';
    this.names = names;
  }
}

type Lookup = (name: string) => string | undefined;

export function makeLookup(vars: Record<string, string>, env: Record<string, string | undefined> = {}): Lookup {
  return (name) => (Object.hasOwn(vars, name) ? vars[name] : env[name]);
}

/** Replaces ${VAR} in one string; unknown names are collected (strict) or left alone (lenient). */
export function interpolateString(text: string, lookup: Lookup, unknown?: string[]): string {
  return text.replace(reference, (whole, escaped: string, name: string) => {
    if (escaped) return whole.slice(1);
    const value = lookup(name);
    if (value !== undefined) return value;
    if (unknown) unknown.push(name);
    return whole;
  });
}

/** `$${` → `${`, and nothing else: the references stay for the shell to expand from its environment. */
export const unescapeForShell = (text: string) => text.replace(/\$\$\{/g, '${');

/**
 * Interpolates every string value inside `value` (object keys are left alone). Fields listed in
 * `shellFields` (top-level keys) are shell text: only unescaped, never given values.
 */
export function interpolateDeep<T>(value: T, lookup: Lookup, opts: { shellFields?: string[] } = {}): T {
  const unknown: string[] = [];
  const where: string[] = [];
  const walk = (v: unknown, path: string, shell: boolean): unknown => {
    if (typeof v === 'string') {
      if (shell) return unescapeForShell(v);
      const before = unknown.length;
      const out = interpolateString(v, lookup, unknown);
      if (unknown.length > before) where.push(path || 'the check');
      return out;
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, `${path}[${i}]`, shell));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) {
        out[k] = walk(item, path ? `${path}.${k}` : k, shell || (path === '' && (opts.shellFields ?? []).includes(k)));
      }
      return out;
    }
    return v;
  };
  const result = walk(value, '', false) as T;
  if (unknown.length) throw new UnknownVariableError([...new Set(unknown)], where);
  return result;
}
