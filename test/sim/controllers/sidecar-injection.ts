/**
 * Istio's sidecar injector, as a mutating admission step: a pod created in a namespace labelled
 * istio-injection=enabled (or istio.io/rev), or labelled sidecar.istio.io/inject=true itself, gets
 * an istio-proxy container, unless it opts out with sidecar.istio.io/inject=false.
 */
import type { KubeObject } from '../../../src/core/seams.js';
import type { SimCluster } from '../cluster.js';
import type { Controller } from './framework.js';

export interface SidecarInjectionOptions {
  /** Proxy image tag (default 1.31.1). */
  istioVersion?: string;
}

function wantsSidecar(cluster: SimCluster, pod: KubeObject): boolean {
  const optIn = pod.metadata.labels?.['sidecar.istio.io/inject'] ?? pod.metadata.annotations?.['sidecar.istio.io/inject'];
  if (optIn === 'false') return false;
  if (optIn === 'true') return true;
  const ns = cluster.get('v1', 'Namespace', pod.metadata.namespace ?? 'default');
  const labels = ns?.metadata.labels ?? {};
  if (labels['istio-injection'] === 'disabled') return false;
  return labels['istio-injection'] === 'enabled' || labels['istio.io/rev'] !== undefined;
}

export function sidecarInjectionController(opts: SidecarInjectionOptions = {}): Controller {
  const image = `docker.io/istio/proxyv2:${opts.istioVersion ?? '1.31.1'}`;
  return (cluster: SimCluster) =>
    cluster.addAdmission((obj, { resource, operation }) => {
      if (resource.kind !== 'Pod' || resource.group !== '' || operation !== 'CREATE' || !wantsSidecar(cluster, obj)) return;
      const spec = (obj.spec ?? {}) as { containers?: Array<{ name: string }>; initContainers?: Array<{ name: string }> };
      if (spec.containers?.some((c) => c.name === 'istio-proxy')) return;
      const app = obj.metadata.labels?.app ?? obj.metadata.name;
      // istio-init rewrites the pod's iptables rules, hence NET_ADMIN and NET_RAW (as the real injector sets).
      const initSecurity = { allowPrivilegeEscalation: false, capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] }, privileged: false, runAsGroup: 0, runAsNonRoot: false, runAsUser: 0 };
      spec.initContainers = [...(spec.initContainers ?? []), { name: 'istio-init', image, args: ['istio-iptables'], securityContext: initSecurity } as { name: string }];
      spec.containers = [
        ...(spec.containers ?? []),
        {
          name: 'istio-proxy',
          image,
          args: ['proxy', 'sidecar'],
          ports: [{ name: 'http-envoy-prom', containerPort: 15090, protocol: 'TCP' }],
        } as { name: string },
      ];
      obj.spec = spec;
      obj.metadata.labels = {
        ...obj.metadata.labels,
        'security.istio.io/tlsMode': 'istio',
        'service.istio.io/canonical-name': app,
        'service.istio.io/canonical-revision': obj.metadata.labels?.version ?? 'latest',
      };
      obj.metadata.annotations = {
        ...obj.metadata.annotations,
        'kubectl.kubernetes.io/default-container': spec.containers[0]!.name,
        'sidecar.istio.io/status': JSON.stringify({ initContainers: ['istio-init'], containers: ['istio-proxy'], volumes: [], imagePullSecrets: null, revision: 'default' }),
      };
    });
}
