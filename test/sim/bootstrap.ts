/**
 * What a new cluster contains before anyone applies anything: the system namespaces and the
 * kubernetes Service for every sim cluster, and for a cluster made by (fake) `kind create cluster`
 * also its nodes and the kube-system workloads of a kind cluster, already rolled out.
 */
import type { KubeObject } from '../../src/core/seams.js';
import type { SimCluster } from './cluster.js';
import { reconcileWorkload } from './controllers/workloads.js';
import { addNodes, roleOf, type SimNodeSpec } from './nodes.js';
import { startPod } from './pods.js';

export function bootstrapCluster(cluster: SimCluster): void {
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    cluster.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  cluster.create({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] },
  });
}

const CONTROL_PLANE_TOLERATION = { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' };

function podTemplate(labels: Record<string, string>, image: string, extra: Record<string, unknown> = {}) {
  return { metadata: { labels }, spec: { containers: [{ name: labels['k8s-app'] ?? labels.app ?? 'main', image }], ...extra } };
}

function kindWorkloads(): KubeObject[] {
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'coredns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        template: podTemplate({ 'k8s-app': 'kube-dns' }, 'registry.k8s.io/coredns/coredns:v1.12.1', { tolerations: [CONTROL_PLANE_TOLERATION] }),
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'kindnet', namespace: 'kube-system', labels: { app: 'kindnet', 'k8s-app': 'kindnet' } },
      spec: {
        selector: { matchLabels: { app: 'kindnet' } },
        template: podTemplate({ app: 'kindnet', 'k8s-app': 'kindnet' }, 'docker.io/kindest/kindnetd:v20250512-df8de77b', {
          hostNetwork: true,
          tolerations: [{ operator: 'Exists' }],
        }),
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'kube-proxy', namespace: 'kube-system', labels: { 'k8s-app': 'kube-proxy' } },
      spec: {
        selector: { matchLabels: { 'k8s-app': 'kube-proxy' } },
        template: podTemplate({ 'k8s-app': 'kube-proxy' }, 'registry.k8s.io/kube-proxy:v1.35.0', {
          hostNetwork: true,
          tolerations: [{ operator: 'Exists' }],
        }),
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'local-path-provisioner', namespace: 'local-path-storage' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'local-path-provisioner' } },
        template: podTemplate({ app: 'local-path-provisioner' }, 'docker.io/kindest/local-path-provisioner:v20250214-acbabc1a', {
          tolerations: [CONTROL_PLANE_TOLERATION],
        }),
      },
    },
  ];
}

/** Mirror pods of the static control-plane pods, owned by their node as on a real cluster. */
function staticPods(cluster: SimCluster, node: KubeObject): void {
  const components: Array<[string, string]> = [
    ['etcd', 'registry.k8s.io/etcd:3.6.4-0'],
    ['kube-apiserver', 'registry.k8s.io/kube-apiserver:v1.35.0'],
    ['kube-controller-manager', 'registry.k8s.io/kube-controller-manager:v1.35.0'],
    ['kube-scheduler', 'registry.k8s.io/kube-scheduler:v1.35.0'],
  ];
  for (const [component, image] of components) {
    const pod = cluster.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${component}-${node.metadata.name}`,
        namespace: 'kube-system',
        labels: { component, tier: 'control-plane' },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node.metadata.name, uid: node.metadata.uid!, controller: true }],
      },
      spec: { nodeName: node.metadata.name, hostNetwork: true, containers: [{ name: component, image }], priorityClassName: 'system-node-critical' },
    });
    startPod(cluster, pod);
  }
}

/** Nodes plus the kube-system and local-path-storage workloads of a fresh kind cluster, Ready. */
export function bootstrapKindCluster(cluster: SimCluster, nodes: SimNodeSpec[], nextIp: () => string): void {
  const created = addNodes(cluster, nodes, nextIp);
  cluster.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'local-path-storage' } });
  cluster.create({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: 'rancher.io/local-path',
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  });
  cluster.create({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
    spec: {
      clusterIP: '10.96.0.10',
      selector: { 'k8s-app': 'kube-dns' },
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
      ],
    },
  });
  for (const node of created.filter((n) => roleOf(n) === 'control-plane')) staticPods(cluster, node);
  for (const workload of kindWorkloads()) reconcileWorkload(cluster, cluster.create(workload));
}
