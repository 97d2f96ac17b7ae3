/**
 * The EndpointSlice and Endpoints controllers: for each Service with a selector, one slice (and an
 * Endpoints object) listing the matching pods that have an IP, with their readiness.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../../../src/core/seams.js';
import type { SimCluster } from '../cluster.js';
import { deepEqual } from '../patches.js';
import { isPodReady } from '../pods.js';
import { matchesMap } from '../selectors.js';
import { DelayedQueue, keyOf, splitKey, type Controller } from './framework.js';

interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
}

function stableSuffix(name: string): string {
  return createHash('sha256').update(name).digest('hex').slice(0, 5);
}

/** A named targetPort resolves to the containerPort of that name in the pod. */
function resolvePort(port: ServicePort, pods: KubeObject[]): number {
  if (typeof port.targetPort === 'number') return port.targetPort;
  if (typeof port.targetPort === 'string' && /^\d+$/.test(port.targetPort)) return Number(port.targetPort);
  if (typeof port.targetPort === 'string') {
    for (const pod of pods) {
      for (const c of (pod.spec as { containers?: Array<{ ports?: Array<{ name?: string; containerPort: number }> }> }).containers ?? []) {
        const found = c.ports?.find((p) => p.name === port.targetPort);
        if (found) return found.containerPort;
      }
    }
  }
  return port.port;
}

function writeIfChanged(cluster: SimCluster, obj: KubeObject): void {
  const live = cluster.get(obj.apiVersion, obj.kind, obj.metadata.name, obj.metadata.namespace);
  if (!live) {
    cluster.create(obj);
    return;
  }
  const { metadata: _a, ...liveBody } = live;
  const { metadata: _b, ...nextBody } = obj;
  if (!deepEqual({ ...liveBody, apiVersion: '' }, { ...nextBody, apiVersion: '' })) {
    cluster.replace({ ...obj, metadata: { ...live.metadata, labels: obj.metadata.labels } });
  }
}

function reconcile(cluster: SimCluster, namespace: string, name: string): void {
  const sliceName = `${name}-${stableSuffix(name)}`;
  const svc = cluster.get('v1', 'Service', name, namespace);
  const selector = (svc?.spec as { selector?: Record<string, string> } | undefined)?.selector;
  if (!svc || !selector || Object.keys(selector).length === 0) {
    // A Service without selector has its endpoints managed by someone else.
    if (!svc) {
      cluster.delete('discovery.k8s.io/v1', 'EndpointSlice', sliceName, namespace);
      cluster.delete('v1', 'Endpoints', name, namespace);
    }
    return;
  }
  const pods = cluster
    .list('v1', 'Pod', namespace)
    .filter((p) => matchesMap(selector, p.metadata.labels) && (p.status as { podIP?: string } | undefined)?.podIP);
  const ports = ((svc.spec as { ports?: ServicePort[] }).ports ?? []).map((p) => ({
    ...(p.name ? { name: p.name } : { name: '' }),
    port: resolvePort(p, pods),
    protocol: p.protocol ?? 'TCP',
    ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
  }));
  const endpoints = pods.map((p) => {
    const ready = isPodReady(p);
    return {
      addresses: [(p.status as { podIP: string }).podIP],
      conditions: { ready, serving: ready, terminating: false },
      nodeName: (p.spec as { nodeName?: string }).nodeName,
      targetRef: { kind: 'Pod', name: p.metadata.name, namespace, uid: p.metadata.uid },
    };
  });
  const owner = { apiVersion: 'v1', kind: 'Service', name, uid: svc.metadata.uid!, controller: true, blockOwnerDeletion: true };
  writeIfChanged(cluster, {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: sliceName,
      namespace,
      labels: { 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
      ownerReferences: [owner],
    },
    addressType: 'IPv4',
    endpoints,
    ports,
  });
  const address = (p: KubeObject) => ({
    ip: (p.status as { podIP: string }).podIP,
    nodeName: (p.spec as { nodeName?: string }).nodeName,
    targetRef: { kind: 'Pod', name: p.metadata.name, namespace, uid: p.metadata.uid },
  });
  const ready = pods.filter(isPodReady);
  const notReady = pods.filter((p) => !isPodReady(p));
  writeIfChanged(cluster, {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name, namespace, labels: { ...svc.metadata.labels } },
    subsets:
      pods.length === 0
        ? []
        : [
            {
              ...(ready.length ? { addresses: ready.map(address) } : {}),
              ...(notReady.length ? { notReadyAddresses: notReady.map(address) } : {}),
              ports: ports.map((p) => ({ ...p })),
            },
          ],
  });
}

export function endpointSlicesController(opts: { delayMs?: number } = {}): Controller {
  return (cluster: SimCluster) => {
    const queue = new DelayedQueue(opts.delayMs ?? 0, (key) => {
      const { namespace, name } = splitKey(key);
      reconcile(cluster, namespace, name);
    });
    const unsubscribe = cluster.objects.subscribe((e) => {
      const ns = e.object.metadata.namespace;
      if (e.object.kind === 'Service') queue.add(keyOf(ns, e.object.metadata.name));
      if (e.object.kind === 'Pod') {
        for (const svc of cluster.list('v1', 'Service', ns)) queue.add(keyOf(ns, svc.metadata.name));
      }
    });
    for (const svc of cluster.list('v1', 'Service')) queue.add(keyOf(svc.metadata.namespace, svc.metadata.name));
    return () => {
      unsubscribe();
      queue.stop();
    };
  };
}
