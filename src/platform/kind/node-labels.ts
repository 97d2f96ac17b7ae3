/**
 * Which node labels kind may set. kind passes a node's `labels:` to the kubelet as --node-labels,
 * and the kubelet refuses to start when one of them is in a kubernetes.io or k8s.io namespace that
 * kubelets may not set on their own Node ("unknown 'kubernetes.io' or 'k8s.io' labels specified with
 * --node-labels"; kubernetes/kubernetes#85073, k8s.io/kubelet pkg/apis/well_known_labels.go).
 * The node would never join and `kind create cluster` would fail late with a kubeadm timeout, so
 * kindlab refuses such labels up front. node-role.kubernetes.io/<role> is the common case: use the
 * node's `roles:` instead, which kindlab applies through the API after the cluster is up.
 */

/** Label keys the kubelet may set although they are in a kubernetes.io namespace. */
const kubeletLabels = new Set([
  'kubernetes.io/hostname',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'node.kubernetes.io/windows-build',
]);

/** Namespaces (and their sub-domains) the kubelet may use freely. */
const kubeletNamespaces = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

function namespaceOf(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? '' : key.slice(0, slash);
}

const inDomain = (ns: string, domain: string) => ns === domain || ns.endsWith(`.${domain}`);

/** Undefined when kind can set the label; otherwise why not, in a sentence. */
export function nodeLabelProblem(key: string): string | undefined {
  const ns = namespaceOf(key);
  const restricted = inDomain(ns, 'kubernetes.io') || inDomain(ns, 'k8s.io');
  if (!restricted) return undefined;
  if (kubeletLabels.has(key) || kubeletNamespaces.some((d) => inDomain(ns, d))) return undefined;
  if (ns === 'node-role.kubernetes.io') {
    return `node label "${key}" cannot be set by kind: the kubelet refuses node-role.kubernetes.io labels; list the role under the node's \`roles:\` instead (kindlab applies it after creation)`;
  }
  return `node label "${key}" cannot be set by kind: the kubelet only accepts kubernetes.io/k8s.io labels under node.kubernetes.io, kubelet.kubernetes.io or a few well-known keys (e.g. topology.kubernetes.io/zone); use your own prefix such as lab.example.io/`;
}
