/**
 * Check kinds are loaded on demand: `kindlab validate` or a step with only resource checks never
 * loads the statistics or certificate code. The mapped type makes each loader return its own
 * kind's implementation, so a module exporting the wrong kind does not compile.
 */
import type { CheckKind } from '../model/check-schema.js';
import type { CheckImplementation } from './types.js';

type Loaders = { [K in CheckKind]: () => Promise<{ default: CheckImplementation<K> }> };

const loaders: Loaders = {
  resource: () => import('./kinds/resource.js'),
  rollout: () => import('./kinds/rollout.js'),
  nodes: () => import('./kinds/nodes.js'),
  sidecar: () => import('./kinds/sidecar.js'),
  http: () => import('./kinds/http.js'),
  traffic: () => import('./kinds/traffic.js'),
  latency: () => import('./kinds/latency.js'),
  errors: () => import('./kinds/errors.js'),
  envoyStat: () => import('./kinds/envoyStat.js'),
  load: () => import('./kinds/load.js'),
  metrics: () => import('./kinds/metrics.js'),
  traces: () => import('./kinds/traces.js'),
  certificate: () => import('./kinds/certificate.js'),
  command: () => import('./kinds/command.js'),
  custom: () => import('./kinds/custom.js'),
};

export async function loadImplementation<K extends CheckKind>(kind: K): Promise<CheckImplementation<K>> {
  const loader: (() => Promise<{ default: CheckImplementation<K> }>) | undefined = loaders[kind];
  if (!loader) throw new Error(`unknown check kind "${kind}"`);
  return (await loader()).default;
}
