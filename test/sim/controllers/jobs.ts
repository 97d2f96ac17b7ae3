/** Jobs complete: after delayMs a Job gets its pods (Succeeded) and a Complete condition. */
import type { SimCluster } from '../cluster.js';
import { randomSuffix, timestamp } from '../cluster.js';
import { controllerOf, createPodFromTemplate, startPod } from '../pods.js';
import { DelayedQueue, keyOf, splitKey, type Controller } from './framework.js';

export function jobsController(opts: { delayMs?: number } = {}): Controller {
  return (cluster: SimCluster) => {
    const queue = new DelayedQueue(opts.delayMs ?? 10, (key) => {
      const { namespace, name } = splitKey(key);
      const job = cluster.get('batch/v1', 'Job', name, namespace);
      if (!job || (job.status as { completionTime?: string } | undefined)?.completionTime) return;
      const completions = Number((job.spec as { completions?: number }).completions ?? 1);
      const owned = cluster.list('v1', 'Pod', namespace).filter((p) => controllerOf(p)?.uid === job.metadata.uid);
      for (let i = owned.length; i < completions; i++) {
        const labels = { 'batch.kubernetes.io/job-name': name, 'job-name': name, 'batch.kubernetes.io/controller-uid': job.metadata.uid!, 'controller-uid': job.metadata.uid! };
        const pod = createPodFromTemplate(cluster, job, `${name}-${randomSuffix()}`, labels);
        startPod(cluster, pod, () => 'succeeded');
      }
      const now = timestamp();
      const ok = (type: string, reason: string, message: string) => ({ type, status: 'True', reason, message, lastProbeTime: now, lastTransitionTime: now });
      cluster.updateStatus({
        ...job,
        status: {
          startTime: now,
          completionTime: now,
          succeeded: completions,
          ready: 0,
          terminating: 0,
          uncountedTerminatedPods: {},
          conditions: [
            ok('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods'),
            ok('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods'),
          ],
        },
      });
    });
    const unsubscribe = cluster.objects.subscribe((e) => {
      if (e.object.kind === 'Job' && e.type === 'ADDED') queue.add(keyOf(e.object.metadata.namespace, e.object.metadata.name));
    });
    return () => {
      unsubscribe();
      queue.stop();
    };
  };
}
