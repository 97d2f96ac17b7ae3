/**
 * Whether a kind cluster is kindlab's: never decided from its name.
 *
 *   1. the lab's record names it and its node containers are the ones recorded (records.ts);
 *   2. otherwise its Node objects carry the mark kindlab puts on every node it creates
 *      (OWNER_NODE_LABEL), read through the control-plane container, so a record lost with the
 *      state directory can be recovered.
 *
 * kind offers no way to label the node *containers* (its Docker provider sets only
 * io.x-k8s.kind.cluster and io.x-k8s.kind.role, pkg/cluster/internal/providers/docker/provision.go,
 * and Docker cannot add labels to an existing container), and the config's `nodes[].labels` are
 * Kubernetes labels a lab author may also write; so the mark is a Node label kindlab writes
 * through the API after the nodes are Ready. Anything else named like a kindlab cluster is left
 * alone, with the command to delete it by hand.
 */
import type { RunResult } from '../../core/seams.js';
import { KIND_CLUSTER_LABEL, OWNER_NODE_LABEL } from './names.js';
import type { ClusterRecord, RecordedCluster } from './records.js';

export const KIND_ROLE_LABEL = 'io.x-k8s.kind.role';

/** Runs `docker <args>`. */
export type DockerRun = (args: string[], opts?: { timeoutMs?: number }) => Promise<Pick<RunResult, 'exitCode' | 'stdout' | 'stderr'>>;

export interface NodeContainer {
  id: string;
  name: string;
  role: string;
  /** Creation time in ms, when Docker's text could be read. */
  created: number | undefined;
  running: boolean;
}

/** Docker prints "2026-12-03 14:05:01 +0000 UTC" in `ps`, ISO 8601 elsewhere. */
export function dockerTime(text: string): number | undefined {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?) ([+-]\d\d)(\d\d)\b/.exec(text.trim());
  const t = m ? Date.parse(`${m[1]}T${m[2]}${m[3]}:${m[4]}`) : Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}

/** Every kind node container on the engine, by cluster (what `kind get clusters` sees). */
export async function kindNodeContainers(docker: DockerRun): Promise<Map<string, NodeContainer[]>> {
  const format = `{{.ID}}\t{{.Label "${KIND_CLUSTER_LABEL}"}}\t{{.Label "${KIND_ROLE_LABEL}"}}\t{{.Names}}\t{{.State}}\t{{.CreatedAt}}`;
  const r = await docker(['ps', '-a', '--no-trunc', '--filter', `label=${KIND_CLUSTER_LABEL}`, '--format', format]);
  if (r.exitCode !== 0) throw Object.assign(new Error(`docker ps failed (exit ${r.exitCode})`), { result: r });
  const out = new Map<string, NodeContainer[]>();
  for (const line of r.stdout.split('\n')) {
    const [id = '', cluster = '', role = '', name = '', state = '', created = ''] = line.trim().split('\t');
    if (!id || !cluster) continue;
    const list = out.get(cluster) ?? [];
    list.push({ id, name, role, created: dockerTime(created), running: state === 'running' });
    out.set(cluster, list);
  }
  return out;
}

/** Docker's clock and ours may differ a little; a container this much older still counts as new. */
const CLOCK_SKEW_MS = 5_000;

/** Whether the recorded entry describes these containers (not a same-named cluster made since). */
export function matchesRecord(entry: RecordedCluster, nodes: readonly NodeContainer[]): boolean {
  if (nodes.length === 0) return false;
  if (entry.nodeIds?.length) return nodes.some((n) => entry.nodeIds?.some((id) => id.startsWith(n.id) || n.id.startsWith(id)));
  if (entry.createdAt) {
    // Interrupted before the IDs were written: kindlab's only if made after kindlab set out to.
    const since = Date.parse(entry.createdAt) - CLOCK_SKEW_MS;
    return nodes.every((n) => n.created !== undefined && n.created >= since);
  }
  // Records written before node IDs were kept.
  return true;
}

/** The lab named by the mark on the cluster's nodes, if the cluster runs and carries one. */
export async function markedLab(docker: DockerRun, nodes: readonly NodeContainer[]): Promise<string | undefined> {
  const cp = nodes.find((n) => n.role === 'control-plane' && n.running);
  if (!cp) return undefined;
  // kind's node images ship kubectl and the admin kubeconfig (kind pkg/cluster/internal/kubeconfig).
  const r = await docker(['exec', cp.name, 'kubectl', '--kubeconfig=/etc/kubernetes/admin.conf', 'get', 'nodes', '-l', OWNER_NODE_LABEL, '-o', 'json', '--request-timeout=10s'], { timeoutMs: 20_000 });
  if (r.exitCode !== 0) return undefined;
  try {
    const items = (JSON.parse(r.stdout) as { items?: Array<{ metadata?: { labels?: Record<string, string> } }> }).items ?? [];
    const labs = new Set(items.map((i) => i.metadata?.labels?.[OWNER_NODE_LABEL]).filter((l): l is string => !!l));
    // A cluster whose nodes name different labs is not something kindlab made.
    return labs.size === 1 ? [...labs][0] : undefined;
  } catch {
    return undefined;
  }
}

export type Ownership = { owner: string; by: 'record' | 'mark'; record?: ClusterRecord } | { owner: undefined };

export async function ownershipOf(
  kindName: string,
  nodes: readonly NodeContainer[],
  records: ReadonlyMap<string, ClusterRecord>,
  docker: DockerRun,
): Promise<Ownership> {
  const record = records.get(kindName);
  if (record && matchesRecord(record, nodes)) return { owner: record.labId, by: 'record', record };
  const marked = await markedLab(docker, nodes);
  return marked ? { owner: marked, by: 'mark' } : { owner: undefined };
}

/** What to tell the user about a cluster named like kindlab's that kindlab did not make. */
export function notOursNotice(kindName: string): { name: string; why: string; fix: string } {
  return {
    name: kindName,
    why: 'kindlab has no record of creating it and it carries no kindlab mark',
    fix: `if it is yours to delete: kind delete cluster --name ${kindName}`,
  };
}
