/**
 * apiVersion and scope of the kinds labs name without an apiVersion. Other kinds (CRDs) need
 * `apiVersion` in the check, and their scope is left to the API server.
 */

import { CheckConfigError } from './errors.js';

interface KindInfo {
  apiVersion: string;
  namespaced: boolean;
}

const table: Record<string, KindInfo> = {};
/** Canonical spelling by lower-case name ("deployment" → "Deployment"). */
const canonical: Record<string, string> = { gateway: 'Gateway' };
const add = (apiVersion: string, namespaced: boolean, kinds: string[]) => {
  for (const kind of kinds) {
    table[kind.toLowerCase()] = { apiVersion, namespaced };
    canonical[kind.toLowerCase()] = kind;
  }
};

add('v1', true, ['Pod', 'Service', 'ConfigMap', 'Secret', 'ServiceAccount', 'Endpoints', 'PersistentVolumeClaim', 'Event', 'LimitRange', 'ResourceQuota']);
add('v1', false, ['Node', 'Namespace', 'PersistentVolume']);
add('apps/v1', true, ['Deployment', 'DaemonSet', 'StatefulSet', 'ReplicaSet']);
add('batch/v1', true, ['Job', 'CronJob']);
add('networking.k8s.io/v1', true, ['Ingress', 'NetworkPolicy']);
add('networking.k8s.io/v1', false, ['IngressClass']);
add('discovery.k8s.io/v1', true, ['EndpointSlice']);
add('policy/v1', true, ['PodDisruptionBudget']);
add('autoscaling/v2', true, ['HorizontalPodAutoscaler']);
add('coordination.k8s.io/v1', true, ['Lease']);
add('rbac.authorization.k8s.io/v1', true, ['Role', 'RoleBinding']);
add('rbac.authorization.k8s.io/v1', false, ['ClusterRole', 'ClusterRoleBinding']);
add('certificates.k8s.io/v1', false, ['CertificateSigningRequest']);
add('apiextensions.k8s.io/v1', false, ['CustomResourceDefinition']);
add('admissionregistration.k8s.io/v1', false, ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']);
add('gateway.networking.k8s.io/v1', true, ['HTTPRoute', 'GRPCRoute', 'ReferenceGrant']);
add('gateway.networking.k8s.io/v1', false, ['GatewayClass']);
add('networking.istio.io/v1', true, ['VirtualService', 'DestinationRule', 'ServiceEntry', 'Sidecar', 'WorkloadEntry', 'WorkloadGroup']);
add('security.istio.io/v1', true, ['PeerAuthentication', 'AuthorizationPolicy', 'RequestAuthentication']);
add('telemetry.istio.io/v1', true, ['Telemetry']);
add('metallb.io/v1beta1', true, ['IPAddressPool', 'L2Advertisement']);

/** Kinds that exist in more than one API group, so the check must say which one. */
const ambiguous: Record<string, string[]> = {
  gateway: ['gateway.networking.k8s.io/v1', 'networking.istio.io/v1'],
};

export interface ResolvedKind {
  apiVersion: string;
  kind: string;
  /** undefined for kinds not in the table. */
  namespaced: boolean | undefined;
}

export function resolveKind(kind: string, apiVersion?: string): ResolvedKind {
  const key = kind.toLowerCase();
  const name = canonical[key] ?? kind;
  const info = table[key];
  if (apiVersion) return { apiVersion, kind: name, namespaced: info && info.apiVersion === apiVersion ? info.namespaced : key === 'gateway' ? true : undefined };
  if (ambiguous[key]) throw new CheckConfigError(`kind ${name} exists in several API groups: give apiVersion (${(ambiguous[key] as string[]).join(' or ')})`);
  if (!info) throw new CheckConfigError(`give apiVersion for kind ${kind} (it is not one of the kinds kindlab knows)`);
  return { apiVersion: info.apiVersion, kind: name, namespaced: info.namespaced };
}
