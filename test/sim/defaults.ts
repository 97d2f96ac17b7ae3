/**
 * Defaults a real API server fills in, limited to the fields labs and kindlab read or that make a
 * re-apply a no-op: a Service's cluster IP and ports, a Secret's stringData folded into data, a
 * Namespace's phase and name label, pod template fields, workload replicas and strategies.
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

/** Service defaults; cluster IP and node ports are allocated only on create (alloc given). */
function defaultService(svc: KubeObject, alloc: Allocator | undefined): void {
  const spec = ((svc.spec as Obj | undefined) ??= {}) as Obj;
  spec.type ??= 'ClusterIP';
  if (spec.type !== 'ExternalName') {
    if (alloc && typeof spec.clusterIP === 'string' && spec.clusterIP !== '' && spec.clusterIP !== 'None') alloc.reserve(spec.clusterIP);
    if (alloc && !spec.clusterIP) spec.clusterIP = alloc.clusterIp();
    if (spec.clusterIP) spec.clusterIPs ??= [spec.clusterIP];
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
    if (alloc && wantsNodePort) port.nodePort ??= alloc.nodePort();
  }
  // kube-proxy's per-Service health check port, which load balancers probe with the Local policy.
  if (alloc && spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local') spec.healthCheckNodePort ??= alloc.nodePort();
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

/**
 * Defaults a real API server applies on every write (create, update, apply). Running them on
 * updates too matters: re-applying a manifest without the defaulted fields must not look like a
 * change (it would bump generation and roll a Deployment out again).
 */
function applyWriteDefaults(obj: KubeObject, alloc: Allocator | undefined): void {
  const spec = () => ((obj.spec as Obj | undefined) ??= {}) as Obj;
  switch (obj.kind) {
    case 'Namespace':
      obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name };
      spec().finalizers ??= ['kubernetes'];
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
  }
}

/** Create-time defaults: everything applyUpdateDefaults does, plus allocations and initial status. */
export function applyCreateDefaults(obj: KubeObject, alloc: Allocator): void {
  applyWriteDefaults(obj, alloc);
  switch (obj.kind) {
    case 'Namespace':
      obj.status = { phase: 'Active' };
      break;
    case 'Service':
      obj.status = { loadBalancer: {} };
      break;
    case 'Pod':
      obj.status = { phase: 'Pending', qosClass: 'BestEffort' };
      break;
    case 'CustomResourceDefinition': {
      const spec = ((obj.spec as Obj | undefined) ?? {}) as Obj;
      obj.status = {
        acceptedNames: spec.names ?? {},
        storedVersions: ((spec.versions as Obj[] | undefined) ?? []).filter((v) => v.storage).map((v) => v.name),
        conditions: [
          { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' },
          { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
        ],
      };
      break;
    }
  }
}

/** Defaults on update; allocated fields (cluster IP, node ports) are carried over by the caller. */
export function applyUpdateDefaults(obj: KubeObject): void {
  applyWriteDefaults(obj, undefined);
}
