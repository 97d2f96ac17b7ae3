/**
 * Events, as the components that act on objects report them: the scheduler (Scheduled,
 * FailedScheduling), the kubelet (Pulling, Pulled, Created, Started, Killing, BackOff, Failed),
 * the ReplicaSet/DaemonSet/Job/StatefulSet controllers (SuccessfulCreate, SuccessfulDelete,
 * Completed) and the Deployment controller (ScalingReplicaSet). The other controllers do the work;
 * this one watches what they wrote (a pod bound to a node, container states, pods created for an
 * owner, replica counts) and records what a real cluster's components would say at that moment.
 *
 * Events are core v1 Events (involvedObject, source, count, first/lastTimestamp; events.k8s.io/v1
 * is a view of the same objects, see events.ts); a repeat of the same reason and message for the
 * same object bumps count and lastTimestamp, as client-go's event correlator does. Texts follow
 * kubelet 1.35 and the controllers (e.g. "Created container: nginx", "Scaled up replica set ...").
 */
import type { KubeObject } from '../../../src/core/seams.js';
import type { SimCluster } from '../cluster.js';
import { recordEvent, type EventSource } from '../events.js';
import type { StoreEvent } from '../store.js';
import type { Controller } from './framework.js';

type Obj = Record<string, unknown>;
interface ContainerStatus {
  name: string;
  image?: string;
  restartCount?: number;
  state?: { waiting?: { reason?: string; message?: string }; running?: unknown; terminated?: { reason?: string } };
}

const SCHEDULER: EventSource = { component: 'default-scheduler' };
const kubelet = (pod: KubeObject): EventSource => ({ component: 'kubelet', host: String((pod.spec as Obj | undefined)?.nodeName ?? '') });

const statuses = (pod: KubeObject | undefined): ContainerStatus[] => ((pod?.status as Obj | undefined)?.containerStatuses as ContainerStatus[] | undefined) ?? [];
const conditions = (o: KubeObject | undefined) => ((o?.status as Obj | undefined)?.conditions as Array<{ type: string; status: string; reason?: string; message?: string }> | undefined) ?? [];
const nodeOf = (pod: KubeObject | undefined) => (pod?.spec as Obj | undefined)?.nodeName as string | undefined;

const CONTROLLERS: Record<string, string> = {
  ReplicaSet: 'replicaset-controller',
  DaemonSet: 'daemonset-controller',
  Job: 'job-controller',
  StatefulSet: 'statefulset-controller',
};

function ownerOf(cluster: SimCluster, obj: KubeObject): KubeObject | undefined {
  const ref = obj.metadata.ownerReferences?.find((r) => r.controller);
  if (!ref) return undefined;
  try {
    const owner = cluster.get(ref.apiVersion, ref.kind, ref.name, obj.metadata.namespace);
    return owner?.metadata.uid === ref.uid ? owner : undefined;
  } catch {
    return undefined;
  }
}

function podChanged(cluster: SimCluster, pod: KubeObject, previous: KubeObject | undefined): void {
  const ns = pod.metadata.namespace;
  const node = nodeOf(pod);
  if (node && nodeOf(previous) !== node) {
    recordEvent(cluster, pod, { type: 'Normal', reason: 'Scheduled', message: `Successfully assigned ${ns}/${pod.metadata.name} to ${node}` }, SCHEDULER);
  }
  const unschedulable = conditions(pod).find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (unschedulable && !conditions(previous).some((c) => c.type === 'PodScheduled' && c.status === 'False')) {
    recordEvent(cluster, pod, { type: 'Warning', reason: 'FailedScheduling', message: unschedulable.message ?? 'no nodes available to schedule pods' }, SCHEDULER);
  }
  const before = new Map(statuses(previous).map((s) => [s.name, s]));
  for (const cs of statuses(pod)) {
    const was = before.get(cs.name);
    const fieldPath = `spec.containers{${cs.name}}`;
    const say = (type: 'Normal' | 'Warning', reason: string, message: string) => recordEvent(cluster, pod, { type, reason, message, fieldPath }, kubelet(pod));
    const waiting = cs.state?.waiting?.reason;
    const started = cs.state?.running !== undefined || (cs.restartCount ?? 0) > 0 || cs.state?.terminated !== undefined;
    if (waiting === 'ImagePullBackOff' || waiting === 'ErrImagePull') {
      if (was?.state?.waiting?.reason === waiting) continue;
      say('Normal', 'Pulling', `Pulling image "${cs.image}"`);
      say('Warning', 'Failed', `Failed to pull image "${cs.image}": rpc error: code = NotFound desc = failed to pull and unpack image "${cs.image}": not found`);
      say('Warning', 'Failed', 'Error: ErrImagePull');
      say('Normal', 'BackOff', `Back-off pulling image "${cs.image}"`);
      say('Warning', 'Failed', 'Error: ImagePullBackOff');
      continue;
    }
    const wasStarted = was !== undefined && (was.state?.running !== undefined || (was.restartCount ?? 0) > 0 || was.state?.terminated !== undefined);
    if (started && !wasStarted) {
      say('Normal', 'Pulling', `Pulling image "${cs.image}"`);
      say('Normal', 'Pulled', `Successfully pulled image "${cs.image}" in 1.042s (1.042s including waiting). Image size: 72223946 bytes.`);
      say('Normal', 'Created', `Created container: ${cs.name}`);
      say('Normal', 'Started', `Started container ${cs.name}`);
    }
    if (waiting === 'CrashLoopBackOff' && was?.state?.waiting?.reason !== 'CrashLoopBackOff') {
      say('Warning', 'BackOff', `Back-off restarting failed container ${cs.name} in pod ${pod.metadata.name}_${ns}(${pod.metadata.uid})`);
    }
  }
}

function podAdded(cluster: SimCluster, pod: KubeObject): void {
  const owner = ownerOf(cluster, pod);
  const component = owner && CONTROLLERS[owner.kind];
  if (!owner || !component) return;
  const message = owner.kind === 'StatefulSet' ? `create Pod ${pod.metadata.name} in StatefulSet ${owner.metadata.name} successful` : `Created pod: ${pod.metadata.name}`;
  recordEvent(cluster, owner, { type: 'Normal', reason: 'SuccessfulCreate', message }, { component });
}

function podDeleted(cluster: SimCluster, pod: KubeObject): void {
  if (nodeOf(pod)) {
    for (const cs of statuses(pod).filter((s) => s.state?.running !== undefined)) {
      recordEvent(cluster, pod, { type: 'Normal', reason: 'Killing', message: `Stopping container ${cs.name}`, fieldPath: `spec.containers{${cs.name}}` }, kubelet(pod));
    }
  }
  const owner = ownerOf(cluster, pod);
  const component = owner && CONTROLLERS[owner.kind];
  if (owner && component && owner.kind !== 'Job') {
    const message = owner.kind === 'StatefulSet' ? `delete Pod ${pod.metadata.name} in StatefulSet ${owner.metadata.name} successful` : `Deleted pod: ${pod.metadata.name}`;
    recordEvent(cluster, owner, { type: 'Normal', reason: 'SuccessfulDelete', message }, { component });
  }
}

function replicaSetScaled(cluster: SimCluster, rs: KubeObject, previous: KubeObject | undefined): void {
  const replicas = (o: KubeObject | undefined) => (o?.spec as { replicas?: number } | undefined)?.replicas;
  const from = previous ? replicas(previous) ?? 1 : 0;
  const to = replicas(rs) ?? 1;
  if (from === to) return;
  const owner = ownerOf(cluster, rs);
  if (owner?.kind !== 'Deployment') return;
  recordEvent(cluster, owner, { type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled ${to > from ? 'up' : 'down'} replica set ${rs.metadata.name} from ${from} to ${to}` }, { component: 'deployment-controller' });
}

function jobChanged(cluster: SimCluster, job: KubeObject, previous: KubeObject | undefined): void {
  const done = (o: KubeObject | undefined) => conditions(o).some((c) => c.type === 'Complete' && c.status === 'True');
  if (done(job) && !done(previous)) recordEvent(cluster, job, { type: 'Normal', reason: 'Completed', message: 'Job completed' }, { component: 'job-controller' });
}

export function eventsController(): Controller {
  return (cluster) => {
    let stopped = false;
    const onEvent = (e: StoreEvent) => {
      if (e.resource.group !== '' && e.resource.group !== 'apps' && e.resource.group !== 'batch') return;
      // Written after the change that caused them, not inside the store's notification.
      queueMicrotask(() => {
        if (stopped) return;
        try {
          const kind = e.resource.kind;
          if (kind === 'Pod' && e.type === 'ADDED') podAdded(cluster, e.object);
          if (kind === 'Pod' && e.type !== 'DELETED') podChanged(cluster, e.object, e.previous);
          if (kind === 'Pod' && e.type === 'DELETED') podDeleted(cluster, e.object);
          if (kind === 'ReplicaSet' && e.type !== 'DELETED') replicaSetScaled(cluster, e.object, e.previous);
          if (kind === 'Job' && e.type === 'MODIFIED') jobChanged(cluster, e.object, e.previous);
        } catch (err) {
          // The namespace may be gone by now: an event that cannot be written is dropped, as on a real cluster.
          if (process.env.KINDLAB_SIM_DEBUG) console.error('sim events:', err);
        }
      });
    };
    const unsubscribe = cluster.objects.subscribe(onEvent);
    return () => {
      stopped = true;
      unsubscribe();
    };
  };
}
