/**
 * Check kinds are loaded on demand: `kindlab validate` or a step with only resource checks never
 * loads the statistics or certificate code.
 */
import type { CheckKind } from '../model/check-schema.js';
import type { CheckImplementation } from './types.js';

type Loader = () => Promise<{ default: CheckImplementation<CheckKind> }>;

// Each module's default export is a CheckImplementation of its own kind; the cast widens the kind.
const loaders: Record<CheckKind, Loader> = {
  resource: () => import('./kinds/resource.js') as Promise<{ default: CheckImplementation<CheckKind> }>,
  rollout: () => import('./kinds/rollout.js') as Promise<{ default: CheckImplementation<CheckKind> }>,
  nodes: () => import('./kinds/nodes.js') as Promise<{ default: CheckImplementation<CheckKind> }>,
  sidecar: () => import('./kinds/sidecar.js') as Promise<{ default: CheckImplementation<CheckKind> }>,
  http: () => import('./kinds/http.js') as Promise<{ default: CheckImplementation<CheckKind> }>,
  traffic: () => import('./kinds/traffic.js') as Promise<{ default: CheckImplementation<CheckKind> }>,
  latency: () => import('./kinds/latency.js') as Promise<{ default: CheckImplementation<CheckKind> }>,
  errors: () => import('./kinds/errors.js') as Promise<{ default: CheckImplementation<CheckKind> }>,
  envoyStat: () => import('./kinds/envoyStat.js') as Promise<{ default: CheckImplementation<CheckKind> }>,
  load: () => import('./kinds/load.js') as Promise<{ default: CheckImplementation<CheckKind> }>,
  metrics: () => import('./kinds/metrics.js') as Promise<{ default: CheckImplementation<CheckKind> }>,
  traces: () => import('./kinds/traces.js') as Promise<{ default: CheckImplementation<CheckKind> }>,
  certificate: () => import('./kinds/certificate.js') as Promise<{ default: CheckImplementation<CheckKind> }>,
  command: () => import('./kinds/command.js') as Promise<{ default: CheckImplementation<CheckKind> }>,
  custom: () => import('./kinds/custom.js') as Promise<{ default: CheckImplementation<CheckKind> }>,
};

export async function loadImplementation(kind: CheckKind): Promise<CheckImplementation<CheckKind>> {
  const loader = loaders[kind];
  if (!loader) throw new Error(`unknown check kind "${kind}"`);
  const mod = await loader();
  if (mod.default.kind !== kind) throw new Error(`check module for ${kind} exports kind ${mod.default.kind}`);
  return mod.default;
}
