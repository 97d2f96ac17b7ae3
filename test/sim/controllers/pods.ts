/**
 * Scheduler + kubelet for pods nobody else starts (created directly, not by a workload controller
 * of the sim): after delayMs the pod is scheduled and Running (or whatever podFate says). For every
 * pod, also the kubelet's image pull back-off: a container left in ErrImagePull (by any controller)
 * shows ImagePullBackOff after backOffMs.
 */
import type { SimCluster } from '../cluster.js';
import { backOffImagePulls, controllerOf, hasFailedPull, startPod, type PodFateFn } from '../pods.js';
import { DelayedQueue, keyOf, splitKey, type Controller } from './framework.js';

export function podsController(opts: { delayMs?: number; podFate?: PodFateFn; backOffMs?: number } = {}): Controller {
  return (cluster: SimCluster) => {
    const backOff = new DelayedQueue(opts.backOffMs ?? 50, (key) => {
      const { namespace, name } = splitKey(key);
      const pod = cluster.get('v1', 'Pod', name, namespace);
      if (pod) backOffImagePulls(cluster, pod);
    });
    const queue = new DelayedQueue(opts.delayMs ?? 10, (key) => {
      const { namespace, name } = splitKey(key);
      const pod = cluster.get('v1', 'Pod', name, namespace);
      if (pod && !(pod.status as { podIP?: string } | undefined)?.podIP) startPod(cluster, pod, opts.podFate);
    });
    const unsubscribe = cluster.objects.subscribe((e) => {
      // Pods of workloads and Jobs are started by their controllers.
      if (e.object.kind === 'Pod' && e.type === 'ADDED' && !controllerOf(e.object)) {
        queue.add(keyOf(e.object.metadata.namespace, e.object.metadata.name));
      }
      if (e.object.kind === 'Pod' && e.type !== 'DELETED' && hasFailedPull(e.object)) backOff.add(keyOf(e.object.metadata.namespace, e.object.metadata.name));
    });
    return () => {
      unsubscribe();
      queue.stop();
      backOff.stop();
    };
  };
}
