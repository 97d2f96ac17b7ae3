/**
 * What cloud-provider-kind or MetalLB does: gives each LoadBalancer Service an external IP
 * (status.loadBalancer.ingress[0].ip), honouring spec.loadBalancerIP, and clears it when the
 * Service stops being a LoadBalancer.
 */
import type { KubeObject } from '../../../src/core/seams.js';
import type { SimCluster } from '../cluster.js';
import { DelayedQueue, keyOf, splitKey, type Controller } from './framework.js';

export interface LoadBalancerOptions {
  /** IPs are ipPrefix + 200, 201, ... (default "172.18.255.", like a kind MetalLB pool). */
  ipPrefix?: string;
  delayMs?: number;
}

type Ingress = Array<{ ip?: string; hostname?: string }>;

const ingressOf = (svc: KubeObject): Ingress =>
  ((svc.status as { loadBalancer?: { ingress?: Ingress } } | undefined)?.loadBalancer?.ingress ?? []);

export function loadBalancersController(opts: LoadBalancerOptions = {}): Controller {
  const prefix = opts.ipPrefix ?? '172.18.255.';
  return (cluster: SimCluster) => {
    const nextHost = () => {
      const used = new Set(cluster.list('v1', 'Service').flatMap((s) => ingressOf(s).map((i) => i.ip)));
      for (let host = 200; host < 255; host++) if (!used.has(prefix + host)) return prefix + host;
      return undefined; // pool exhausted: the Service stays <pending>, as with a real pool
    };
    const queue = new DelayedQueue(opts.delayMs ?? 0, (key) => {
      const { namespace, name } = splitKey(key);
      const svc = cluster.get('v1', 'Service', name, namespace);
      if (!svc) return;
      const spec = svc.spec as { type?: string; loadBalancerIP?: string; ports?: Array<{ port: number; protocol?: string }> };
      const current = ingressOf(svc);
      if (spec.type !== 'LoadBalancer') {
        if (current.length > 0) cluster.updateStatus({ ...svc, status: { loadBalancer: {} } });
        return;
      }
      if (current.length > 0 && (!spec.loadBalancerIP || current[0]?.ip === spec.loadBalancerIP)) return;
      const ip = spec.loadBalancerIP || nextHost();
      if (!ip) return;
      const ports = (spec.ports ?? []).map((p) => ({ port: p.port, protocol: p.protocol ?? 'TCP' }));
      cluster.updateStatus({ ...svc, status: { loadBalancer: { ingress: [{ ip, ipMode: 'VIP', ports }] } } });
    });
    const unsubscribe = cluster.objects.subscribe((e) => {
      if (e.object.kind === 'Service' && e.type !== 'DELETED') queue.add(keyOf(e.object.metadata.namespace, e.object.metadata.name));
    });
    for (const svc of cluster.list('v1', 'Service')) queue.add(keyOf(svc.metadata.namespace, svc.metadata.name));
    return () => {
      unsubscribe();
      queue.stop();
    };
  };
}
