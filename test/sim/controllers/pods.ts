/**
 * Scheduler + kubelet for pods nobody else starts (created directly, not by a workload controller
 * of the sim): after delayMs the pod is scheduled and Running (or whatever podFate says).
 */
import type { SimCluster } from '../cluster.js';
import { controllerOf, startPod, type PodFateFn } from '../pods.js';
import { DelayedQueue, keyOf, splitKey, type Controller } from './framework.js';

export function podsController(opts: { delayMs?: number; podFate?: PodFateFn } = {}): Controller {
  return (cluster: SimCluster) => {
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
    });
    return () => {
      unsubscribe();
      queue.stop();
    };
  };
}
