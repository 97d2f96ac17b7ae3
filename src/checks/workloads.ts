/** Reading workloads and their pods, shared by rollout and sidecar. */
import type { KubeObject } from '../core/seams.js';
import type { CheckContext } from './types.js';
import { selectorToString } from './label-selector.js';
import { CheckConfigError } from './errors.js';

export type WorkloadKind = 'Deployment' | 'DaemonSet' | 'StatefulSet';

export interface WorkloadRef {
  kind: WorkloadKind;
  name: string;
  namespace: string;
}

const kindNames: Record<string, WorkloadKind> = { deployment: 'Deployment', daemonset: 'DaemonSet', statefulset: 'StatefulSet' };

/** "deployment/name" or "daemonset/namespace/name". */
export function parseWorkloadRef(text: string, defaultNamespace = 'default'): WorkloadRef {
  const parts = text.split('/');
  const kind = kindNames[(parts[0] ?? '').toLowerCase()];
  if (!kind || parts.length < 2 || parts.length > 3) throw new CheckConfigError(`"${text}" is not <deployment|daemonset|statefulset>/[namespace/]name`);
  return parts.length === 3 ? { kind, namespace: parts[1] as string, name: parts[2] as string } : { kind, namespace: defaultNamespace, name: parts[1] as string };
}

export function workloadSelectorOf(obj: KubeObject): string {
  return selectorToString((obj.spec as { selector?: Parameters<typeof selectorToString>[0] } | undefined)?.selector);
}

/** Pods of a workload that are not being deleted: selected by its selector and owned through its chain. */
export async function podsOf(ctx: CheckContext, workload: KubeObject): Promise<KubeObject[]> {
  const selector = workloadSelectorOf(workload);
  const pods = await ctx.kube().list({ apiVersion: 'v1', kind: 'Pod', namespace: workload.metadata.namespace ?? 'default', ...(selector ? { labelSelector: selector } : {}) });
  return pods
    .filter((p) => !p.metadata.deletionTimestamp && ownedBy(p, workload))
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

/**
 * Two Deployments with overlapping selectors (a classic canary mistake) select each other's pods;
 * the controller chain tells them apart: a Deployment's pods belong to a ReplicaSet named
 * <deployment>-<pod-template-hash>. Pods without owners are judged by the selector alone.
 */
function ownedBy(pod: KubeObject, workload: KubeObject): boolean {
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller) ?? pod.metadata.ownerReferences?.[0];
  if (!owner) return true;
  const name = workload.metadata.name;
  if (workload.kind === 'Deployment') {
    const hash = pod.metadata.labels?.['pod-template-hash'];
    return owner.kind === 'ReplicaSet' && (hash ? owner.name === `${name}-${hash}` : owner.name.startsWith(`${name}-`));
  }
  return owner.kind === workload.kind && owner.name === name;
}
