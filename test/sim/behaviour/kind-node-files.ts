/**
 * The configuration files kind writes into its node containers and the ones kubeadm and the kubelet
 * leave there: /kind/kubeadm.conf (kind's kubeadm config: ClusterConfiguration, InitConfiguration,
 * JoinConfiguration with kind's well-known bootstrap token and unsafeSkipCAVerification,
 * KubeletConfiguration, KubeProxyConfiguration, each document with its keys sorted, as kind
 * re-encodes it) and /var/lib/kubelet/config.yaml.
 */
import { stringify as stringifyYaml } from 'yaml';
import { KIND_TOKEN } from './bootstrap-tokens.js';
import type { NodeFs } from './node-fs.js';

export interface KindNode {
  cluster: string;
  node: string;
  role: 'control-plane' | 'worker';
  ip: string;
  podSubnet?: string;
  serviceSubnet?: string;
}

/**
 * /kind/kubeadm.conf as kind writes it (v1beta4, Kubernetes 1.35). kind fills its template
 * (pkg/cluster/internal/kubeadm/config.go, ConfigTemplateBetaV4), then always runs the result
 * through its patcher (pkg/cluster/internal/create/actions/config/config.go getKubeadmConfig →
 * pkg/internal/patch KubeYAML), which turns each document into JSON and back with sigs.k8s.io/yaml:
 * the template's comments are gone and every map's keys come out sorted, so `discovery` precedes
 * `kind: JoinConfiguration`. removeMetadata then strips the `metadata: {name: config}` the template
 * carries for patch matching.
 */
function kubeadmConf(n: KindNode): string {
  const endpoint = `${n.cluster}-control-plane:6443`;
  const nodeRegistration = {
    criSocket: 'unix:///run/containerd/containerd.sock',
    kubeletExtraArgs: [
      { name: 'node-ip', value: n.ip },
      { name: 'provider-id', value: `kind://docker/${n.cluster}/${n.node}` },
      { name: 'node-labels', value: '' },
    ],
  };
  const metadata = { name: 'config' };
  const documents: Array<Record<string, unknown>> = [
    {
      apiVersion: 'kubeadm.k8s.io/v1beta4',
      kind: 'ClusterConfiguration',
      metadata,
      kubernetesVersion: 'v1.35.8',
      clusterName: n.cluster,
      controlPlaneEndpoint: endpoint,
      apiServer: { certSANs: ['localhost', '127.0.0.1'], extraArgs: [{ name: 'runtime-config', value: '' }] },
      controllerManager: { extraArgs: [{ name: 'enable-hostpath-provisioner', value: 'true' }] },
      // The template leaves scheduler.extraArgs with only comments under it: null.
      scheduler: { extraArgs: null },
      networking: { podSubnet: n.podSubnet ?? '10.244.0.0/16', serviceSubnet: n.serviceSubnet ?? '10.96.0.0/16' },
    },
    {
      apiVersion: 'kubeadm.k8s.io/v1beta4',
      kind: 'InitConfiguration',
      metadata,
      bootstrapTokens: [{ token: KIND_TOKEN }],
      localAPIEndpoint: { advertiseAddress: n.ip, bindPort: 6443 },
      nodeRegistration,
    },
    {
      apiVersion: 'kubeadm.k8s.io/v1beta4',
      kind: 'JoinConfiguration',
      metadata,
      ...(n.role === 'control-plane' ? { controlPlane: { localAPIEndpoint: { advertiseAddress: n.ip, bindPort: 6443 } } } : {}),
      nodeRegistration,
      discovery: { bootstrapToken: { apiServerEndpoint: endpoint, token: KIND_TOKEN, unsafeSkipCAVerification: true } },
    },
    {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      metadata,
      cgroupDriver: 'systemd',
      cgroupRoot: '/kubelet',
      failSwapOn: false,
      imageGCHighThresholdPercent: 100,
      evictionHard: { 'nodefs.available': '0%', 'nodefs.inodesFree': '0%', 'imagefs.available': '0%' },
    },
    {
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
      kind: 'KubeProxyConfiguration',
      metadata,
      mode: 'iptables',
      iptables: { minSyncPeriod: '1s' },
      conntrack: { maxPerCore: 0 },
    },
  ];
  // go-yaml v2 (behind sigs.k8s.io/yaml): sorted keys, sequences not indented under their key.
  const encoded = documents.map((d) => stringifyYaml(d, { sortMapEntries: true, indentSeq: false, lineWidth: 0 }));
  return encoded.join('---\n').replaceAll('metadata:\n  name: config\n', '');
}

/** What `kubeadm init/join` writes as the kubelet's configuration (kind's settings merged in). */
function kubeletConfig(): string {
  return [
    'apiVersion: kubelet.config.k8s.io/v1beta1',
    'authentication:',
    '  anonymous:',
    '    enabled: false',
    '  webhook:',
    '    cacheTTL: 0s',
    '    enabled: true',
    '  x509:',
    '    clientCAFile: /etc/kubernetes/pki/ca.crt',
    'authorization:',
    '  mode: Webhook',
    'cgroupDriver: systemd',
    'cgroupRoot: /kubelet',
    'clusterDNS:',
    '- 10.96.0.10',
    'clusterDomain: cluster.local',
    'evictionHard:',
    '  imagefs.available: 0%',
    '  nodefs.available: 0%',
    '  nodefs.inodesFree: 0%',
    'failSwapOn: false',
    'healthzBindAddress: 127.0.0.1',
    'healthzPort: 10248',
    'imageGCHighThresholdPercent: 100',
    'kind: KubeletConfiguration',
    'rotateCertificates: true',
    'runtimeRequestTimeout: 0s',
    'staticPodPath: /etc/kubernetes/manifests',
    'syncFrequency: 0s',
    '',
  ].join('\n');
}

export function seedKindNodeFiles(fs: NodeFs, n: KindNode): void {
  if (!fs.exists(n.node, '/kind/kubeadm.conf')) fs.write(n.node, '/kind/kubeadm.conf', kubeadmConf(n));
  if (!fs.exists(n.node, '/var/lib/kubelet/config.yaml')) fs.write(n.node, '/var/lib/kubelet/config.yaml', kubeletConfig());
}
