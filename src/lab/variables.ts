/** The ${VAR} names a lab can use, and finding the ones a check refers to. */
import type { CheckSpec } from '../model/check-schema.js';
import type { FrontMatter } from '../model/frontmatter-schema.js';

/** Set by kindlab for every command and check of a lab (the engine provides them). */
export const builtinVariableNames = ['KUBECONFIG', 'LAB_DIR', 'REPO_DIR', 'ISTIO_HOME', 'KINDLAB_CLUSTER'] as const;

/** Built-ins, the clusters' context variables (contextVar) and the front matter's env. */
export function labVariableNames(meta: FrontMatter): string[] {
  const contexts = meta.clusters.flatMap((c) => (c.contextVar ? [c.contextVar] : []));
  return [...builtinVariableNames, ...contexts, ...Object.keys(meta.env)];
}

/** `$${` writes a literal `${` (see src/checks/interpolate.ts), so it is no reference. */
const referenceRe = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Names written as ${NAME} in any string of the check (spec and options). */
export function referencedVariables(check: CheckSpec): string[] {
  const names = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      for (const m of value.matchAll(referenceRe)) if (!m[1]) names.add(m[2] as string);
    } else if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (value && typeof value === 'object') {
      Object.values(value).forEach(visit);
    }
  };
  // A command check's script leaves ${VAR}s that are no lab variable to the shell.
  visit(check.kind === 'command' ? { ...check.spec, run: '' } : check.spec);
  visit(check.options);
  return [...names];
}

/** Names a check saves for later checks and steps. */
export function capturedVariables(check: CheckSpec): string[] {
  return Object.keys(check.options.capture ?? {});
}
