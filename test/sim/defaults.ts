/**
 * Defaults a real API server fills in on create, limited to the fields labs and kindlab read:
 * a Service's cluster IP and ports, a Secret's stringData folded into data, a Namespace's phase and
 * name label, a Pod's Pending phase, workload replicas.
 */
import type { KubeObject } from '../../src/core/seams.js';
import { isObject } from './patches.js';

type Obj = Record<string, unknown>;

/** Allocates cluster IPs and node ports for one cluster. */
export class Allocator {
  private nextIp = 2; // 10.96.0.1 is the kubernetes Service
  private nextNodePort = 30000;
  private readonly used = new Set<string>();

  clusterIp(): string {
    for (;;) {
      const n = this.nextIp++;
      const ip = `10.96.${Math.floor(n / 254)}.${(n % 254) + 1}`;
      if (!this.used.has(ip)) {
        this.used.add(ip);
        return ip;
      }
    }
  }

  reserve(ip: string): void {
    this.used.add(ip);
  }

  nodePort(): number {
    return this.nextNodePort++;
  }
}

function defaultService(svc: KubeObject, alloc: Allocator): void {
  const spec = ((svc.spec as Obj | undefined) ??= {}) as Obj;
  spec.type ??= 'ClusterIP';
  if (spec.type !== 'ExternalName') {
    if (typeof spec.clusterIP === 'string' && spec.clusterIP !== '' && spec.clusterIP !== 'None') alloc.reserve(spec.clusterIP);
    if (!spec.clusterIP) spec.clusterIP = alloc.clusterIp();
    spec.clusterIPs ??= [spec.clusterIP];
    spec.ipFamilies ??= ['IPv4'];
    spec.ipFamilyPolicy ??= 'SingleStack';
    spec.internalTrafficPolicy ??= 'Cluster';
  }
  spec.sessionAffinity ??= 'None';
  const wantsNodePort = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
  if (wantsNodePort) spec.externalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
  for (const port of (spec.ports as Obj[] | undefined) ?? []) {
    port.protocol ??= 'TCP';
    port.targetPort ??= port.port;
    if (wantsNodePort) port.nodePort ??= alloc.nodePort();
  }
  svc.status = { loadBalancer: {} };
}

function defaultPodSpec(spec: Obj): void {
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.serviceAccountName ??= (spec.serviceAccount as string | undefined) ?? 'default';
  spec.terminationGracePeriodSeconds ??= 30;
  for (const c of [...((spec.containers as Obj[] | undefined) ?? []), ...((spec.initContainers as Obj[] | undefined) ?? [])]) {
    const image = String(c.image ?? '');
    const tag = image.includes('@') ? 'digest' : (image.split('/').pop() ?? '').split(':')[1];
    c.imagePullPolicy ??= !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
    c.terminationMessagePath ??= '/dev/termination-log';
    for (const p of (c.ports as Obj[] | undefined) ?? []) p.protocol ??= 'TCP';
  }
}

function defaultTemplate(obj: KubeObject): void {
  const spec = ((obj.spec as Obj | undefined) ??= {}) as Obj;
  const template = spec.template;
  if (isObject(template) && isObject(template.spec)) defaultPodSpec(template.spec);
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** Fills create-time defaults in place. */
export function applyCreateDefaults(obj: KubeObject, alloc: Allocator): void {
  const spec = () => ((obj.spec as Obj | undefined) ??= {}) as Obj;
  switch (obj.kind) {
    case 'Namespace':
      obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name };
      obj.spec = { finalizers: ['kubernetes'] };
      obj.status = { phase: 'Active' };
      break;
    case 'Service':
      defaultService(obj, alloc);
      break;
    case 'Secret': {
      obj.type ??= 'Opaque';
      const stringData = obj.stringData as Record<string, string> | undefined;
      if (stringData) {
        const data = ((obj.data as Record<string, string> | undefined) ?? {}) as Record<string, string>;
        for (const [k, v] of Object.entries(stringData)) data[k] = base64(v);
        obj.data = data;
        delete obj.stringData;
      }
      break;
    }
    case 'Pod':
      defaultPodSpec(spec());
      obj.status = { phase: 'Pending', qosClass: 'BestEffort' };
      break;
    case 'Deployment':
      spec().replicas ??= 1;
      spec().revisionHistoryLimit ??= 10;
      spec().progressDeadlineSeconds ??= 600;
      spec().strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
      defaultTemplate(obj);
      break;
    case 'StatefulSet':
      spec().replicas ??= 1;
      spec().podManagementPolicy ??= 'OrderedReady';
      spec().updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
      defaultTemplate(obj);
      break;
    case 'ReplicaSet':
      spec().replicas ??= 1;
      defaultTemplate(obj);
      break;
    case 'DaemonSet':
      spec().updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };
      defaultTemplate(obj);
      break;
    case 'Job':
      spec().completions ??= 1;
      spec().parallelism ??= 1;
      spec().backoffLimit ??= 6;
      defaultTemplate(obj);
      break;
    case 'CustomResourceDefinition': {
      const names = (spec().names ?? {}) as Obj;
      obj.status = {
        acceptedNames: names,
        storedVersions: ((spec().versions as Obj[] | undefined) ?? []).filter((v) => v.storage).map((v) => v.name),
        conditions: [
          { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' },
          { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
        ],
      };
      break;
    }
  }
}

/** Defaults that also apply on update (a real server re-runs defaulting on every write). */
export function applyUpdateDefaults(obj: KubeObject): void {
  if (obj.kind === 'Secret' && obj.stringData) {
    const data = ((obj.data as Record<string, string> | undefined) ?? {}) as Record<string, string>;
    for (const [k, v] of Object.entries(obj.stringData as Record<string, string>)) data[k] = base64(v);
    obj.data = data;
    delete obj.stringData;
  }
}
