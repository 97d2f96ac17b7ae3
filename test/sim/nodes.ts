/** Node objects shaped like those of a kind cluster (labels, taints, addresses, pod CIDR, conditions). */
import type { KubeObject } from '../../src/core/seams.js';
import { timestamp, type SimCluster } from './cluster.js';

export interface SimNodeSpec {
  name: string;
  role?: 'control-plane' | 'worker';
  labels?: Record<string, string>;
  /** InternalIP; defaults to the next free 172.18.0.x of the sim. */
  ip?: string;
  /** Defaults to the cluster's Kubernetes version. */
  kubeletVersion?: string;
}

/** The default Kubernetes version of sim clusters (kindlab's pinned default). */
export const KUBERNETES_VERSION = 'v1.35.8';

/**
 * Creates Ready nodes. As kind does, control-plane nodes keep their NoSchedule taint only when the
 * cluster has workers.
 */
export function addNodes(cluster: SimCluster, nodes: SimNodeSpec[], nextIp: () => string): KubeObject[] {
  const existing = cluster.list('v1', 'Node');
  const hasWorkers = [...nodes.map((n) => n.role ?? 'worker'), ...existing.map((n) => roleOf(n))].includes('worker');
  const created: KubeObject[] = [];
  let index = existing.length;
  for (const spec of nodes) {
    const role = spec.role ?? 'worker';
    const ip = spec.ip ?? nextIp();
    const podCidr = `10.244.${index++}.0/24`;
    const node: KubeObject = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: spec.name,
        labels: {
          'beta.kubernetes.io/arch': 'amd64',
          'beta.kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'kubernetes.io/hostname': spec.name,
          'kubernetes.io/os': 'linux',
          ...(role === 'control-plane'
            ? { 'node-role.kubernetes.io/control-plane': '', 'node.kubernetes.io/exclude-from-external-load-balancers': '' }
            : {}),
          ...spec.labels,
        },
        annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
      },
      spec: {
        podCIDR: podCidr,
        podCIDRs: [podCidr],
        providerID: `kind://docker/${cluster.name}/${spec.name}`,
        ...(role === 'control-plane' && hasWorkers
          ? { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }
          : {}),
      },
      status: {
        addresses: [
          { type: 'InternalIP', address: ip },
          { type: 'Hostname', address: spec.name },
        ],
        capacity: { cpu: '8', 'ephemeral-storage': '102400000Ki', memory: '16384000Ki', pods: '110' },
        allocatable: { cpu: '8', 'ephemeral-storage': '102400000Ki', memory: '16384000Ki', pods: '110' },
        conditions: [
          condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
          condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
          condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
          condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
        ],
        nodeInfo: {
          architecture: 'amd64',
          containerRuntimeVersion: 'containerd://2.1.4',
          kernelVersion: '6.8.0-sim',
          kubeProxyVersion: spec.kubeletVersion ?? cluster.kubernetesVersion,
          kubeletVersion: spec.kubeletVersion ?? cluster.kubernetesVersion,
          operatingSystem: 'linux',
          osImage: 'Debian GNU/Linux 12 (bookworm)',
        },
      },
    };
    created.push(cluster.create(node, { keepStatus: true }));
  }
  return created;
}

function condition(type: string, status: string, reason: string, message: string) {
  const now = timestamp();
  return { type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: now };
}

export function roleOf(node: KubeObject): 'control-plane' | 'worker' {
  return node.metadata.labels?.['node-role.kubernetes.io/control-plane'] !== undefined ? 'control-plane' : 'worker';
}

export function internalIp(node: KubeObject): string | undefined {
  const addresses = ((node.status as { addresses?: Array<{ type: string; address: string }> } | undefined)?.addresses ?? []);
  return addresses.find((a) => a.type === 'InternalIP')?.address;
}
