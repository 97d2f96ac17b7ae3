/**
 * custom: a lab's own check, a typed function in a module beside lab.md (see CustomCheck in
 * ../types.ts). TypeScript modules load as they are: Node 24 strips types natively (so a module may
 * use only erasable TypeScript: type annotations and `import type`, no enums or namespaces). Node
 * caches the import, so edits to the module take effect on the next kindlab run.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CheckSpecOf } from '../../model/check-schema.js';
import type { CheckImplementation, CustomCheck } from '../types.js';
import { CheckConfigError } from '../errors.js';

type Spec = CheckSpecOf<'custom'>;

async function loadCheck(spec: Spec, labDir: string): Promise<CustomCheck> {
  const file = resolve(labDir, spec.module);
  const rel = relative(labDir, file);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new CheckConfigError(`custom check module ${spec.module} is outside the lab folder`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`cannot load custom check ${spec.module}: ${(err as Error).message}`, { cause: err });
  }
  const fn = mod[spec.export];
  if (typeof fn !== 'function') {
    const exports = Object.keys(mod).sort().join(', ') || 'none';
    throw new CheckConfigError(`${spec.module} has no function export "${spec.export}" (exports: ${exports})`);
  }
  return fn as CustomCheck;
}

const custom: CheckImplementation<'custom'> = {
  kind: 'custom',
  defaultTimeoutMs: 60_000,
  strategy: 'poll',
  describe: (spec: Spec) => `custom check ${spec.module}${spec.export === 'default' ? '' : `#${spec.export}`}`,
  async attempt(spec, ctx, signal) {
    const check = await loadCheck(spec, ctx.labDir);
    return await check(spec.args, { ...ctx, signal });
  },
};
export default custom;
