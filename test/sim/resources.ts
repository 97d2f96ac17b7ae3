/**
 * The kinds the simulated API server serves. One line per kind: adding a kind to the sim is adding
 * a line to BUILTIN_RESOURCES. Kinds defined by CustomResourceDefinitions created at run time are
 * registered per cluster (see ResourceRegistry.registerCrd).
 */
import type { KubeObject } from '../../src/core/seams.js';
import type { Schema } from './openapi/models.js';

export type Subresource = 'status' | 'scale' | 'exec' | 'log';

export interface ResourceType {
  /** API group, '' for the core group. */
  group: string;
  /** Served versions; the first is the preferred one. All versions share one storage. */
  versions: string[];
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  subresources: Subresource[];
  /** Storage shared with another resource (events.k8s.io Events are core Events), as its resourceKey. */
  storage?: string;
  /** A CRD's openAPIV3Schema per version. */
  crdSchemas?: Record<string, Schema>;
  /** A CRD's additionalPrinterColumns per version. */
  printerColumns?: Record<string, PrinterColumn[]>;
}

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  format?: string;
  description?: string;
  priority?: number;
}

const NS = true;
const CLUSTER = false;

function res(
  apiVersions: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  shortNames: string[] = [],
  subresources: Subresource[] = [],
): ResourceType {
  // "apps/v1" or "networking.istio.io/v1,v1beta1,v1alpha3" or "v1"
  const slash = apiVersions.lastIndexOf('/');
  const group = slash < 0 ? '' : apiVersions.slice(0, slash);
  const versions = (slash < 0 ? apiVersions : apiVersions.slice(slash + 1)).split(',');
  return { group, versions, kind, plural, singular: kind.toLowerCase(), namespaced, shortNames, subresources };
}

// Istio still serves the older versions its tutorials use; they share storage with v1.
const ISTIO_NET = 'networking.istio.io/v1,v1beta1,v1alpha3';
const ISTIO_SEC = 'security.istio.io/v1,v1beta1';
const GATEWAY_API = 'gateway.networking.k8s.io/v1,v1beta1';

export const BUILTIN_RESOURCES: readonly ResourceType[] = [
  res('v1', 'Namespace', 'namespaces', CLUSTER, ['ns'], ['status']),
  res('v1', 'Node', 'nodes', CLUSTER, ['no'], ['status']),
  res('v1', 'Pod', 'pods', NS, ['po'], ['status', 'exec', 'log']),
  res('v1', 'Service', 'services', NS, ['svc'], ['status']),
  res('v1', 'ConfigMap', 'configmaps', NS, ['cm']),
  res('v1', 'Secret', 'secrets', NS),
  res('v1', 'Event', 'events', NS, ['ev']),
  { ...res('events.k8s.io/v1', 'Event', 'events', NS, ['ev']), storage: '/events' },
  res('v1', 'ServiceAccount', 'serviceaccounts', NS, ['sa']),
  res('v1', 'Endpoints', 'endpoints', NS, ['ep']),
  res('v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', NS, ['pvc'], ['status']),
  res('v1', 'PersistentVolume', 'persistentvolumes', CLUSTER, ['pv'], ['status']),
  res('v1', 'ResourceQuota', 'resourcequotas', NS, ['quota'], ['status']),
  res('v1', 'LimitRange', 'limitranges', NS, ['limits']),
  res('apps/v1', 'Deployment', 'deployments', NS, ['deploy'], ['status', 'scale']),
  res('apps/v1', 'DaemonSet', 'daemonsets', NS, ['ds'], ['status']),
  res('apps/v1', 'StatefulSet', 'statefulsets', NS, ['sts'], ['status', 'scale']),
  res('apps/v1', 'ReplicaSet', 'replicasets', NS, ['rs'], ['status', 'scale']),
  res('apps/v1', 'ControllerRevision', 'controllerrevisions', NS),
  res('batch/v1', 'Job', 'jobs', NS, [], ['status']),
  res('batch/v1', 'CronJob', 'cronjobs', NS, ['cj'], ['status']),
  res('autoscaling/v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', NS, ['hpa'], ['status']),
  res('policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets', NS, ['pdb'], ['status']),
  res('networking.k8s.io/v1', 'Ingress', 'ingresses', NS, ['ing'], ['status']),
  res('networking.k8s.io/v1', 'IngressClass', 'ingressclasses', CLUSTER),
  res('networking.k8s.io/v1', 'NetworkPolicy', 'networkpolicies', NS, ['netpol']),
  res('discovery.k8s.io/v1', 'EndpointSlice', 'endpointslices', NS),
  res('storage.k8s.io/v1', 'StorageClass', 'storageclasses', CLUSTER, ['sc']),
  res('rbac.authorization.k8s.io/v1', 'Role', 'roles', NS),
  res('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings', NS),
  res('rbac.authorization.k8s.io/v1', 'ClusterRole', 'clusterroles', CLUSTER),
  res('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'clusterrolebindings', CLUSTER),
  res('coordination.k8s.io/v1', 'Lease', 'leases', NS),
  res('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'customresourcedefinitions', CLUSTER, ['crd', 'crds'], ['status']),
  res('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', CLUSTER),
  res('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', CLUSTER),
  res('certificates.k8s.io/v1', 'CertificateSigningRequest', 'certificatesigningrequests', CLUSTER, ['csr'], ['status']),
  res(GATEWAY_API, 'GatewayClass', 'gatewayclasses', CLUSTER, ['gc'], ['status']),
  res(GATEWAY_API, 'Gateway', 'gateways', NS, ['gtw'], ['status']),
  res(GATEWAY_API, 'HTTPRoute', 'httproutes', NS, [], ['status']),
  res('gateway.networking.k8s.io/v1beta1', 'ReferenceGrant', 'referencegrants', NS, ['refgrant']),
  res(ISTIO_NET, 'VirtualService', 'virtualservices', NS, ['vs'], ['status']),
  res(ISTIO_NET, 'DestinationRule', 'destinationrules', NS, ['dr'], ['status']),
  res(ISTIO_NET, 'Gateway', 'gateways', NS, ['gw'], ['status']),
  res(ISTIO_NET, 'ServiceEntry', 'serviceentries', NS, ['se'], ['status']),
  res(ISTIO_NET, 'WorkloadEntry', 'workloadentries', NS, ['we'], ['status']),
  res(ISTIO_NET, 'WorkloadGroup', 'workloadgroups', NS, ['wg'], ['status']),
  res(ISTIO_NET, 'Sidecar', 'sidecars', NS, [], ['status']),
  res('networking.istio.io/v1alpha3', 'EnvoyFilter', 'envoyfilters', NS, [], ['status']),
  res(ISTIO_SEC, 'PeerAuthentication', 'peerauthentications', NS, ['pa'], ['status']),
  res(ISTIO_SEC, 'AuthorizationPolicy', 'authorizationpolicies', NS, ['ap'], ['status']),
  res(ISTIO_SEC, 'RequestAuthentication', 'requestauthentications', NS, ['ra'], ['status']),
  res('telemetry.istio.io/v1,v1alpha1', 'Telemetry', 'telemetries', NS, ['telemetry'], ['status']),
  res('install.istio.io/v1alpha1', 'IstioOperator', 'istiooperators', NS, ['iop', 'io'], ['status']),
  res('metallb.io/v1beta1', 'IPAddressPool', 'ipaddresspools', NS, [], ['status']),
  res('metallb.io/v1beta1', 'L2Advertisement', 'l2advertisements', NS),
];

/**
 * True for kinds a real cluster gets from CustomResourceDefinitions (Gateway API, Istio, MetalLB,
 * any CRD applied) rather than from kube-apiserver itself: they have no strategic merge patch.
 */
export function servedByCrd(r: ResourceType): boolean {
  if (r.crdSchemas) return true;
  if (r.group === '' || !r.group.includes('.')) return false;
  return !r.group.endsWith('.k8s.io') || r.group === 'gateway.networking.k8s.io';
}

/** "apps" + "v1" → "apps/v1"; core → "v1". */
export function apiVersionOf(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** Storage key of a resource: versions share one. */
export function resourceKey(r: ResourceType): string {
  return r.storage ?? `${r.group}/${r.plural}`;
}

/** "Deployment.apps", "Service": how validation errors name a kind. */
export function qualifiedKind(r: ResourceType): string {
  return r.group ? `${r.kind}.${r.group}` : r.kind;
}

/** "deployments.apps", "pods": how the API server names a resource in messages. */
export function qualifiedName(r: ResourceType): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}

/** The kinds one cluster serves: the built-in table plus kinds from CRDs created in that cluster. */
export class ResourceRegistry {
  private readonly custom = new Map<string, ResourceType>();

  all(): ResourceType[] {
    return [...BUILTIN_RESOURCES, ...this.custom.values()];
  }

  byPath(group: string, version: string, plural: string): ResourceType | undefined {
    return this.all().find((r) => r.group === group && r.plural === plural && r.versions.includes(version));
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    const { group, version } = splitApiVersion(apiVersion);
    return this.all().find((r) => r.group === group && r.kind === kind && r.versions.includes(version));
  }

  /** Versions served per group, preferred first, for /api and /apis. */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const r of this.all()) {
      const versions = out.get(r.group) ?? [];
      for (const v of r.versions) if (!versions.includes(v)) versions.push(v);
      out.set(r.group, versions);
    }
    return out;
  }

  /**
   * Serves the kind a CRD defines, as a real API server does once the CRD is established. Kinds
   * already in the built-in table are left as they are (istioctl install creates CRDs for them).
   * Returns the registered type, or undefined when nothing changed.
   */
  registerCrd(crd: KubeObject): ResourceType | undefined {
    const spec = (crd.spec ?? {}) as {
      group?: string;
      scope?: string;
      names?: { kind?: string; plural?: string; singular?: string; shortNames?: string[] };
      versions?: Array<{
        name: string;
        served?: boolean;
        storage?: boolean;
        subresources?: { status?: unknown; scale?: unknown };
        schema?: { openAPIV3Schema?: Schema };
        additionalPrinterColumns?: PrinterColumn[];
      }>;
    };
    const group = spec.group;
    const plural = spec.names?.plural;
    const kind = spec.names?.kind;
    if (!group || !plural || !kind) return undefined;
    if (BUILTIN_RESOURCES.some((r) => r.group === group && r.plural === plural)) return undefined;
    const served = (spec.versions ?? []).filter((v) => v.served !== false);
    if (served.length === 0) return undefined;
    const storage = served.find((v) => v.storage) ?? served[0]!;
    const subresources: Subresource[] = [];
    if (storage.subresources?.status !== undefined) subresources.push('status');
    if (storage.subresources?.scale !== undefined) subresources.push('scale');
    const type: ResourceType = {
      group,
      versions: [storage.name, ...served.map((v) => v.name).filter((n) => n !== storage.name)],
      kind,
      plural,
      singular: spec.names?.singular ?? kind.toLowerCase(),
      namespaced: spec.scope !== 'Cluster',
      shortNames: spec.names?.shortNames ?? [],
      subresources,
    };
    const schemas = Object.fromEntries(served.filter((v) => v.schema?.openAPIV3Schema).map((v) => [v.name, v.schema!.openAPIV3Schema!]));
    if (Object.keys(schemas).length) type.crdSchemas = schemas;
    const columns = Object.fromEntries(served.filter((v) => v.additionalPrinterColumns?.length).map((v) => [v.name, v.additionalPrinterColumns!]));
    if (Object.keys(columns).length) type.printerColumns = columns;
    this.custom.set(`${group}/${plural}`, type);
    return type;
  }

  unregisterCrd(crd: KubeObject): ResourceType | undefined {
    const spec = (crd.spec ?? {}) as { group?: string; names?: { plural?: string } };
    const key = `${spec.group}/${spec.names?.plural}`;
    const type = this.custom.get(key);
    this.custom.delete(key);
    return type;
  }
}
