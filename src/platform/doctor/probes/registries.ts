/**
 * Can this machine reach the image registries the labs pull from? Any HTTP answer counts: the
 * registry API root answers 401 to anonymous requests, which proves DNS, TLS and the route work.
 * Failures are warnings, not errors: the Docker daemon may pull through its own proxy or mirror.
 */
import { formatDuration } from '../../../core/duration.js';
import type { Finding, Probe } from '../types.js';

export const REGISTRIES = [
  { id: 'docker.io', url: 'https://registry-1.docker.io/v2/', why: 'kind nodes, Istio, samples' },
  { id: 'registry.k8s.io', url: 'https://registry.k8s.io/v2/', why: 'cloud-provider-kind, ingress-nginx, metrics-server' },
  { id: 'gcr.io', url: 'https://gcr.io/v2/', why: 'Istio release images (gcr.io/istio-release)' },
] as const;

/** The fix names the registry that failed: a docker.io mirror does nothing for registry.k8s.io. */
const mirrorFix = (registry: string) =>
  `If this network blocks or throttles ${registry}, start the lab with --registry-mirror ${registry}=<mirror URL> or use an offline bundle (kindlab prefetch, bundle, import).`;

export const registriesProbe: Probe = {
  id: 'registries',
  title: 'Registry reachability',
  async run(ctx) {
    return Promise.all(
      REGISTRIES.map(async (r): Promise<Finding> => {
        const id = `registry.${r.id}`;
        const title = `${r.id} reachable`;
        const started = Date.now();
        try {
          const res = await ctx.fetch(r.url, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(ctx.networkTimeoutMs) });
          const ms = Date.now() - started;
          if (res.status >= 500) {
            return { id, title, status: 'warn', message: `${r.url} answered HTTP ${res.status} (${r.why})`, fix: mirrorFix(r.id) };
          }
          return { id, title, status: 'ok', message: `HTTP ${res.status} in ${ms} ms` };
        } catch (err) {
          const e = err as Error & { cause?: { code?: string; message?: string } };
          const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
          const why = timedOut ? `no answer within ${formatDuration(ctx.networkTimeoutMs)}` : (e.cause?.code ?? e.cause?.message ?? e.message);
          return { id, title, status: 'warn', message: `${r.url}: ${why} (needed for ${r.why})`, fix: mirrorFix(r.id) };
        }
      }),
    );
  },
};
