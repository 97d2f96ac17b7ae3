/**
 * Checkpoints are kindlab's and not exported, but later steps may use values they capture: where
 * the checkpoint is a plain object lookup, the script reads the same value with kubectl.
 */
import { resolveKind } from '../../checks/well-known-kinds.js';
import type { CheckSpec } from '../../model/check-schema.js';
import { line } from './shell.js';

function kubectlGetTarget(check: CheckSpec): string | undefined {
  if (check.kind !== 'resource' || !check.spec.name) return undefined;
  let resolved;
  try {
    resolved = resolveKind(check.spec.kind, check.spec.apiVersion);
  } catch {
    return undefined;
  }
  const group = resolved.apiVersion.includes('/') ? resolved.apiVersion.split('/')[0] : '';
  return `${resolved.kind.toLowerCase()}${group ? `.${group}` : ''}/${check.spec.name}`;
}

/** dotted capture path (status.loadBalancer.ingress.0.ip) as a kubectl JSONPath. */
export function captureJsonPath(path: string): string {
  return `{.${path
    .split('.')
    .map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : seg))
    .join('.')
    .replace(/\.\[/g, '[')}}`;
}

export function captureLines(checks: CheckSpec[], contextOf: (cluster?: string) => string): string[] {
  const out: string[] = [];
  for (const c of checks) {
    for (const [name, path] of Object.entries(c.options.capture ?? {})) {
      const target = kubectlGetTarget(c);
      if (!target || c.kind !== 'resource') {
        out.push(`# ${name}: captured by a ${c.kind} checkpoint (lab.md:${c.line}) that only kindlab runs; set it yourself if a later step needs it.`);
        continue;
      }
      const ns = c.spec.namespace ?? (resolveKindSafe(c) === false ? undefined : 'default');
      const args = ['--context', contextOf(c.options.cluster), 'get', target, ...(ns ? ['-n', ns] : []), '-o', `jsonpath=${captureJsonPath(path)}`];
      out.push(`${name}="$(wait_for_value ${line(args)})"`, `export ${name}`);
    }
  }
  return out;
}

/** false for cluster-scoped kinds, which take no namespace. */
function resolveKindSafe(c: CheckSpec): boolean | undefined {
  if (c.kind !== 'resource') return undefined;
  try {
    return resolveKind(c.spec.kind, c.spec.apiVersion).namespaced;
  } catch {
    return undefined;
  }
}

export function checkComments(checks: CheckSpec[], label: string): string[] {
  return checks.map((c) => `# ${label} (lab.md:${c.line}): ${c.options.name ?? c.kind}`.replace(/\n/g, ' '));
}
