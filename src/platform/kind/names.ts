/**
 * Names kindlab gives to what it creates, and the marks by which it recognises them later. A name
 * is never proof: a kind cluster is kindlab's when the lab's record or the mark on its nodes says
 * so (ownership.ts); a Docker container is kindlab's when it carries `dev.kindlab.owned=true`.
 */

export const CLUSTER_PREFIX = 'kindlab-';

/** Docker labels on every container kindlab starts (cloud-provider-kind, a VM container, a registry). */
export const OWNED_LABEL = 'dev.kindlab.owned';
/** The lab a container belongs to; absent on containers shared by all labs. */
export const LAB_LABEL = 'dev.kindlab.lab';
/** Set to "shared" on containers that serve every lab (cloud-provider-kind). */
export const SCOPE_LABEL = 'dev.kindlab.scope';

/** Node (Kubernetes) label kindlab writes on every node of a cluster it created: the lab's id. */
export const OWNER_NODE_LABEL = 'dev.kindlab/lab';

/** Label kind puts on its node containers (kind pkg/cluster/internal/providers/docker). */
export const KIND_CLUSTER_LABEL = 'io.x-k8s.kind.cluster';
/** Label cloud-provider-kind puts on the Envoy containers it runs per cluster (its pkg/constants). */
export const CPK_CLUSTER_LABEL = 'io.x-k8s.cloud-provider-kind.cluster';

/**
 * kind warns above 50 characters because node containers get "-control-plane" appended and
 * host names are limited to 64 (kind pkg/cluster/internal/create/create.go, clusterNameMax).
 */
export const MAX_KIND_NAME = 50;

/**
 * `docker run` arguments that make a lab's own container (a VM stand-in, a local registry) kindlab's,
 * so `kindlab down <lab>` removes it and nothing else.
 */
export function ownedContainerLabelArgs(labId: string): string[] {
  return ['--label', `${OWNED_LABEL}=true`, '--label', `${LAB_LABEL}=${labId}`];
}

/** kindlab-<lab> for a lab's single unnamed cluster, kindlab-<lab>-<name> otherwise. */
export function kindClusterName(labId: string, clusterName?: string): string {
  return clusterName ? `${CLUSTER_PREFIX}${labId}-${clusterName}` : `${CLUSTER_PREFIX}${labId}`;
}

/** The kubeconfig context kind writes for a cluster (kind's KINDClusterKey). */
export function contextName(kindName: string): string {
  return `kind-${kindName}`;
}

/** Named like a kindlab cluster. Says nothing about who made it: see ownership.ts. */
export function hasKindlabPrefix(name: string): boolean {
  return name.startsWith(CLUSTER_PREFIX);
}

/** Whether a kindlab cluster name has the shape of one of this lab's clusters. */
export function nameMatchesLab(kindName: string, labId: string): boolean {
  const base = kindClusterName(labId);
  return kindName === base || kindName.startsWith(`${base}-`);
}

/**
 * The node container names kind will use, in config order: <cluster>-control-plane,
 * <cluster>-control-plane2, <cluster>-worker, <cluster>-worker2, ... (kind
 * pkg/cluster/internal/providers/common/namer.go counts per role).
 */
export function nodeNames(kindName: string, roles: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return roles.map((role) => {
    const n = (seen.get(role) ?? 0) + 1;
    seen.set(role, n);
    return `${kindName}-${role}${n === 1 ? '' : n}`;
  });
}
