/**
 * What the Istio data plane reads from a sim cluster: Services, their ready endpoints, pods with or
 * without a sidecar, the mesh config (ConfigMap istio), and the Istio resources (VirtualService,
 * DestinationRule, Gateway, Telemetry). Read-only; every model in this folder goes through here.
 */
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../../../../src/core/seams.js';
import type { SimCluster } from '../../apiserver.js';
import { isPodReady } from '../../pods.js';
import { matchesMap } from '../../selectors.js';

export type Obj = Record<string, unknown>;

const caches = new WeakMap<SimCluster, Map<string, unknown>>();

/**
 * A value computed from a cluster's objects, kept until the next write to the cluster: a request
 * crosses several proxies that all read the same config, and the store hands out deep copies.
 * Callers must not modify what they get.
 */
export function memo<T>(cluster: SimCluster, key: string, compute: () => T): T {
  let cache = caches.get(cluster);
  if (!cache) {
    const fresh = new Map<string, unknown>();
    cluster.objects.subscribe(() => fresh.clear());
    caches.set(cluster, fresh);
    cache = fresh;
  }
  if (cache.has(key)) return cache.get(key) as T;
  const value = compute();
  cache.set(key, value);
  return value;
}

/** list() that returns [] when the kind is not served (the Istio CRDs before istioctl install). */
export function listOf(cluster: SimCluster, apiVersion: string, kind: string, namespace?: string): KubeObject[] {
  return memo(cluster, `list ${apiVersion} ${kind} ${namespace ?? ''}`, () => {
    try {
      return cluster.list(apiVersion, kind, namespace);
    } catch {
      return [];
    }
  });
}

export function getOf(cluster: SimCluster, apiVersion: string, kind: string, name: string, namespace?: string): KubeObject | undefined {
  return memo(cluster, `get ${apiVersion} ${kind} ${namespace ?? ''} ${name}`, () => {
    try {
      return cluster.get(apiVersion, kind, name, namespace);
    } catch {
      return undefined;
    }
  });
}

export const labelsOf = (o: KubeObject): Record<string, string> => o.metadata.labels ?? {};
export const nsOf = (o: KubeObject): string => o.metadata.namespace ?? 'default';
export const specOf = <T = Obj>(o: KubeObject): T => (o.spec ?? {}) as T;
export const podIp = (pod: KubeObject): string | undefined => (pod.status as { podIP?: string } | undefined)?.podIP;

interface Container {
  name: string;
  restartPolicy?: string;
  env?: Array<{ name: string; value?: string }>;
  ports?: Array<{ containerPort: number; name?: string }>;
}

export function containersOf(pod: KubeObject): Container[] {
  return specOf<{ containers?: Container[] }>(pod).containers ?? [];
}

/** The pod runs Istio's proxy (a container, or a native sidecar init container). */
export function hasSidecar(pod: KubeObject): boolean {
  const spec = specOf<{ containers?: Container[]; initContainers?: Container[] }>(pod);
  return (spec.containers ?? []).some((c) => c.name === 'istio-proxy') || (spec.initContainers ?? []).some((c) => c.name === 'istio-proxy' && c.restartPolicy === 'Always');
}

/** An environment variable of the pod's first container that sets it. */
export function envOf(pod: KubeObject, name: string): string | undefined {
  for (const c of containersOf(pod)) {
    const e = (c.env ?? []).find((v) => v.name === name);
    if (e) return e.value ?? '';
  }
  return undefined;
}

export function runningPods(cluster: SimCluster, namespace: string, selector: Record<string, string>): KubeObject[] {
  return listOf(cluster, 'v1', 'Pod', namespace)
    .filter((p) => matchesMap(selector, p.metadata.labels) && !p.metadata.deletionTimestamp && isPodReady(p))
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
}

export function portsOf(svc: KubeObject): ServicePort[] {
  return specOf<{ ports?: ServicePort[] }>(svc).ports ?? [];
}

export function selectorOf(svc: KubeObject): Record<string, string> {
  return specOf<{ selector?: Record<string, string> }>(svc).selector ?? {};
}

/** The pod port a Service port leads to (a named targetPort is looked up in the pod's containers). */
export function targetPortOf(port: ServicePort, pod?: KubeObject): number {
  const t = port.targetPort ?? port.port;
  if (typeof t === 'number' || /^\d+$/.test(String(t))) return Number(t);
  const named = pod && containersOf(pod).flatMap((c) => c.ports ?? []).find((p) => p.name === t);
  return named?.containerPort ?? port.port;
}

/** Ready pods behind a Service, optionally narrowed to a subset's labels. */
export function endpointsOf(cluster: SimCluster, svc: KubeObject, subsetLabels: Record<string, string> = {}): KubeObject[] {
  const selector = selectorOf(svc);
  if (Object.keys(selector).length === 0) return [];
  const labels = { ...selector, ...subsetLabels };
  return memo(cluster, `endpoints ${nsOf(svc)} ${JSON.stringify(labels)}`, () => runningPods(cluster, nsOf(svc), labels));
}

export const fqdn = (svc: KubeObject) => `${svc.metadata.name}.${nsOf(svc)}.svc.cluster.local`;

/** A DNS name as a pod in `fromNs` resolves it: svc, svc.ns, svc.ns.svc, svc.ns.svc.cluster.local. */
export function serviceByName(cluster: SimCluster, host: string, fromNs: string): KubeObject | undefined {
  const parts = host.toLowerCase().replace(/\.$/, '').split('.');
  let name: string;
  let ns: string;
  if (parts.length === 1) [name, ns] = [parts[0]!, fromNs];
  else if (parts.length === 2 || (parts.length >= 3 && parts[2] === 'svc')) [name, ns] = [parts[0]!, parts[1]!];
  else return undefined;
  return getOf(cluster, 'v1', 'Service', name, ns);
}

export function serviceByClusterIp(cluster: SimCluster, ip: string): KubeObject | undefined {
  return listOf(cluster, 'v1', 'Service').find((s) => specOf<{ clusterIP?: string; clusterIPs?: string[] }>(s).clusterIP === ip);
}

export function serviceByLoadBalancerIp(cluster: SimCluster, ip: string): KubeObject | undefined {
  return listOf(cluster, 'v1', 'Service').find((s) => {
    const ingress = (s.status as { loadBalancer?: { ingress?: Array<{ ip?: string }> } } | undefined)?.loadBalancer?.ingress ?? [];
    return specOf<{ type?: string }>(s).type === 'LoadBalancer' && ingress.some((i) => i.ip === ip);
  });
}

export function podByIp(cluster: SimCluster, ip: string): KubeObject | undefined {
  return listOf(cluster, 'v1', 'Pod').find((p) => podIp(p) === ip);
}

/** The workload name Istio reports: the Deployment behind a ReplicaSet, else the owner or the pod. */
export function workloadOf(pod: KubeObject): string {
  const owner = (pod.metadata.ownerReferences ?? []).find((o) => o.controller) ?? pod.metadata.ownerReferences?.[0];
  if (!owner) return pod.metadata.name;
  if (owner.kind === 'ReplicaSet') {
    const hash = labelsOf(pod)['pod-template-hash'];
    return hash && owner.name.endsWith(`-${hash}`) ? owner.name.slice(0, -hash.length - 1) : owner.name.replace(/-[a-z0-9]{5,10}$/, '');
  }
  return owner.name;
}

export const appOf = (pod: KubeObject) => labelsOf(pod)['service.istio.io/canonical-name'] ?? labelsOf(pod).app ?? workloadOf(pod);
export const versionOf = (pod: KubeObject) => labelsOf(pod)['service.istio.io/canonical-revision'] ?? labelsOf(pod).version ?? 'latest';

/** The parsed mesh config of the control plane (ConfigMap istio-system/istio, key mesh). */
export function meshConfigOf(cluster: SimCluster): Obj {
  return memo(cluster, 'meshConfig', () => {
    const cm = getOf(cluster, 'v1', 'ConfigMap', 'istio', 'istio-system');
    const text = (cm?.data as Record<string, string> | undefined)?.mesh;
    if (!text) return {};
    try {
      return (parseYaml(text) as Obj | null) ?? {};
    } catch {
      return {};
    }
  });
}

/** Istio durations: "7s", "0.5s", "500ms", "1m", "1h". */
export function durationMs(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

/** Percent of a fault or mirror: percentage.value, the legacy percent, else the default. */
export function percentOf(o: { percentage?: { value?: number }; percent?: number } | undefined, fallback = 100): number {
  if (o?.percentage?.value !== undefined) return Number(o.percentage.value);
  if (o?.percent !== undefined) return Number(o.percent);
  return fallback;
}
