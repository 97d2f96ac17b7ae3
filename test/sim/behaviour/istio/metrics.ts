/**
 * Istio's standard metrics as the proxies count them: istio_requests_total, one series per label
 * set, reported by the caller's sidecar (reporter="source") and by the callee's
 * (reporter="destination"); a gateway reports as source. Prometheus and Kiali read this store.
 */
import type { KubeObject } from '../../../../src/core/seams.js';
import { appOf, nsOf, versionOf, workloadOf } from './view.js';

export type Labels = Record<string, string>;

export interface Series {
  name: string;
  labels: Labels;
  value: number;
  /** When the counter last grew (ms since epoch). */
  updatedAt: number;
}

export interface Peer {
  pod?: KubeObject;
  /** Set when the peer is a Service without a pod of the mesh behind it (unknown workload). */
  service?: KubeObject;
}

function peerLabels(prefix: 'source' | 'destination', pod: KubeObject | undefined): Labels {
  if (!pod) {
    return { [`${prefix}_workload`]: 'unknown', [`${prefix}_workload_namespace`]: 'unknown', [`${prefix}_app`]: 'unknown', [`${prefix}_version`]: 'unknown', [`${prefix}_canonical_service`]: 'unknown', [`${prefix}_canonical_revision`]: 'latest', [`${prefix}_principal`]: 'unknown', [`${prefix}_cluster`]: 'unknown' };
  }
  const ns = nsOf(pod);
  return {
    [`${prefix}_workload`]: workloadOf(pod),
    [`${prefix}_workload_namespace`]: ns,
    [`${prefix}_app`]: pod.metadata.labels?.app ?? 'unknown',
    [`${prefix}_version`]: pod.metadata.labels?.version ?? 'unknown',
    [`${prefix}_canonical_service`]: appOf(pod),
    [`${prefix}_canonical_revision`]: versionOf(pod),
    [`${prefix}_principal`]: `spiffe://cluster.local/ns/${ns}/sa/${(pod.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName ?? 'default'}`,
    [`${prefix}_cluster`]: 'Kubernetes',
  };
}

export interface RequestFacts {
  reporter: 'source' | 'destination';
  source?: KubeObject;
  destination?: KubeObject;
  service: KubeObject;
  code: number;
  flags?: string;
  mtls: boolean;
}

export class MetricStore {
  private readonly series = new Map<string, Series>();

  constructor(private readonly clock: () => number = Date.now) {}

  add(name: string, labels: Labels, by = 1): void {
    const key = `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)))}`;
    const s = this.series.get(key) ?? { name, labels, value: 0, updatedAt: 0 };
    s.value += by;
    s.updatedAt = this.clock();
    this.series.set(key, s);
  }

  /** One request as a proxy reports it. */
  request(f: RequestFacts): void {
    const svcNs = nsOf(f.service);
    this.add('istio_requests_total', {
      reporter: f.reporter,
      ...peerLabels('source', f.source),
      ...peerLabels('destination', f.destination),
      destination_service: `${f.service.metadata.name}.${svcNs}.svc.cluster.local`,
      destination_service_name: f.service.metadata.name,
      destination_service_namespace: svcNs,
      request_protocol: 'http',
      response_code: String(f.code),
      response_flags: f.flags ?? '-',
      grpc_response_status: '',
      connection_security_policy: f.reporter === 'destination' ? (f.mtls ? 'mutual_tls' : 'none') : 'unknown',
    });
  }

  all(): Series[] {
    return [...this.series.values()];
  }
}
