/**
 * The strategic-merge and list-type directives of built-in fields. The Kubernetes OpenAPI spec
 * carries them as x-kubernetes-patch-strategy / -patch-merge-key / -list-type / -list-map-keys,
 * taken from the Go struct tags (`patchStrategy:"merge" patchMergeKey:"name"`) and `+listType`
 * markers in k8s.io/api (core/v1/types.go, apps/v1/types.go, ...) and k8s.io/apimachinery
 * (meta/v1/types.go). The models packages drop them, so the fields that labs and kubectl touch are
 * listed here, as upstream declares them in 1.35. A field missing here is merged as an atomic list
 * (replaced whole), as upstream does for lists without directives.
 */
import type { Schema } from './models.js';

interface Directive {
  strategy?: 'merge' | 'retainKeys' | 'merge,retainKeys';
  key?: string;
  listType?: 'atomic' | 'set' | 'map';
  mapKeys?: string[];
}

const CORE = 'io.k8s.api.core.v1';
const APPS = 'io.k8s.api.apps.v1';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

const merge = (key: string, mapKeys: string[] = [key]): Directive => ({ strategy: 'merge', key, listType: 'map', mapKeys });
const conditions = merge('type');

const CONTAINER: Record<string, Directive> = {
  ports: merge('containerPort', ['containerPort', 'protocol']),
  env: merge('name'),
  volumeMounts: merge('mountPath'),
  volumeDevices: merge('devicePath'),
  envFrom: { listType: 'atomic' },
  resizePolicy: { listType: 'atomic' },
};

const DIRECTIVES: Record<string, Record<string, Directive>> = {
  [`${META}.ObjectMeta`]: {
    finalizers: { strategy: 'merge', listType: 'set' },
    ownerReferences: merge('uid'),
    managedFields: { listType: 'atomic' },
  },
  [`${CORE}.PodSpec`]: {
    containers: merge('name'),
    initContainers: merge('name'),
    ephemeralContainers: merge('name'),
    volumes: { strategy: 'merge,retainKeys', key: 'name', listType: 'map', mapKeys: ['name'] },
    imagePullSecrets: merge('name'),
    hostAliases: merge('ip'),
    topologySpreadConstraints: merge('topologyKey', ['topologyKey', 'whenUnsatisfiable']),
    resourceClaims: { strategy: 'merge,retainKeys', key: 'name', listType: 'map', mapKeys: ['name'] },
    schedulingGates: merge('name'),
    tolerations: { listType: 'atomic' },
    readinessGates: { listType: 'atomic' },
  },
  [`${CORE}.Container`]: CONTAINER,
  [`${CORE}.EphemeralContainer`]: CONTAINER,
  [`${CORE}.PodStatus`]: { conditions, podIPs: merge('ip'), hostIPs: merge('ip') },
  [`${CORE}.ServiceSpec`]: { ports: merge('port', ['port', 'protocol']) },
  [`${CORE}.ServiceStatus`]: { conditions },
  [`${CORE}.NodeStatus`]: { conditions, addresses: merge('type') },
  [`${CORE}.NodeSpec`]: { taints: { listType: 'atomic' } },
  [`${CORE}.NamespaceStatus`]: { conditions },
  [`${CORE}.PersistentVolumeClaimStatus`]: { conditions },
  [`${CORE}.ServiceAccount`]: { secrets: merge('name') },
  [`${APPS}.DeploymentSpec`]: { strategy: { strategy: 'retainKeys' } },
  [`${APPS}.DeploymentStatus`]: { conditions },
  [`${APPS}.ReplicaSetStatus`]: { conditions },
  [`${APPS}.DaemonSetStatus`]: { conditions },
  [`${APPS}.StatefulSetStatus`]: { conditions },
  ['io.k8s.api.batch.v1.JobStatus']: { conditions: { strategy: 'merge', key: 'type', listType: 'atomic' } },
  ['io.k8s.api.networking.v1.IngressSpec']: { rules: { listType: 'atomic' }, tls: { listType: 'atomic' } },
};

/** Writes the directives into the definitions (in place). */
export function applyPatchMeta(definitions: Record<string, Schema>): void {
  for (const [id, fields] of Object.entries(DIRECTIVES)) {
    const props = definitions[id]?.properties;
    if (!props) continue;
    for (const [field, d] of Object.entries(fields)) {
      const p = props[field];
      if (!p) continue;
      if (d.strategy) p['x-kubernetes-patch-strategy'] = d.strategy;
      if (d.key) p['x-kubernetes-patch-merge-key'] = d.key;
      if (d.listType) p['x-kubernetes-list-type'] = d.listType;
      if (d.mapKeys) p['x-kubernetes-list-map-keys'] = d.mapKeys;
    }
  }
}
