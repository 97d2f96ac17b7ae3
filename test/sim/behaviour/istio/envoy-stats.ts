/**
 * Envoy's counters per sidecar, as `pilot-agent request GET stats` prints them. Istio only creates
 * the stats its proxyStatsMatcher includes: by default server, cluster_manager, listener_manager
 * and cluster.xds-grpc; a pod's `proxy.istio.io/config` annotation may add prefixes (the fortio
 * sample adds cluster.outbound, where the circuit breaker's upstream_rq_pending_overflow lives).
 */
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../../../../src/core/seams.js';
import { nsOf } from './view.js';

const DEFAULT_PREFIXES = ['cluster_manager', 'listener_manager', 'server', 'cluster.xds-grpc'];

export class EnvoyStats {
  private readonly counters = new Map<string, Map<string, number>>();

  private of(cluster: string, pod: KubeObject): Map<string, number> {
    const k = `${cluster}/${nsOf(pod)}/${pod.metadata.name}`;
    let m = this.counters.get(k);
    if (!m) {
      m = new Map();
      this.counters.set(k, m);
    }
    return m;
  }

  add(cluster: string, pod: KubeObject, stat: string, by = 1): void {
    const m = this.of(cluster, pod);
    m.set(stat, (m.get(stat) ?? 0) + by);
  }

  /** The stats text of a pod's sidecar, filtered like its proxyStatsMatcher. */
  text(cluster: string, pod: KubeObject): string {
    const prefixes = [...DEFAULT_PREFIXES, ...inclusionPrefixes(pod)];
    const m = this.of(cluster, pod);
    const base: Array<[string, number]> = [
      ['cluster_manager.active_clusters', 30],
      ['cluster_manager.cds.update_success', 3],
      ['listener_manager.total_listeners_active', 18],
      ['server.live', 1],
      ['server.state', 0],
      ['server.uptime', 600],
      ['cluster.xds-grpc.upstream_cx_active', 1],
    ];
    const all = [...base, ...[...m].filter(([k]) => !base.some(([b]) => b === k))];
    return (
      all
        .filter(([k]) => prefixes.some((p) => k.startsWith(p)))
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n') + '\n'
    );
  }
}

const parsed = new Map<string, string[]>();

function inclusionPrefixes(pod: KubeObject): string[] {
  const text = pod.metadata.annotations?.['proxy.istio.io/config'];
  if (!text) return [];
  if (!parsed.has(text)) parsed.set(text, parsePrefixes(text));
  return parsed.get(text) ?? [];
}

function parsePrefixes(text: string): string[] {
  try {
    const cfg = parseYaml(text) as { proxyStatsMatcher?: { inclusionPrefixes?: string[] } } | null;
    return cfg?.proxyStatsMatcher?.inclusionPrefixes ?? [];
  } catch {
    return [];
  }
}
