import { describe, expect, it } from 'vitest';
import type { KubeClient, KubeObject, WatchEventType } from '../../../src/core/seams.js';
import { allNamedReady, deploymentReadiness, waitFor } from '../../../src/platform/kind/wait.js';
import { FakeClock, FakeCluster, deployment, settle } from './fakes.js';

const query = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ns' };

describe('waitFor', () => {
  it('re-establishes a watch that dropped, and still sees the change', async () => {
    const cluster = new FakeCluster();
    let watches = 0;
    let failFirst: ((err: unknown) => void) | undefined;
    // The cluster's client, except that the first watch is later ended by the "server".
    const kube: KubeClient = {
      get: (r) => cluster.get(r),
      list: (q) => cluster.list(q),
      apply: (o) => cluster.apply(o),
      patch: (r, p) => cluster.patch(r, p),
      delete: (r) => cluster.delete(r),
      exec: () => cluster.exec(),
      watch: async (q, onEvent: (t: WatchEventType, o: KubeObject) => void, onError?: (e: unknown) => void) => {
        watches++;
        if (watches === 1) failFirst = onError;
        return cluster.watch(q, onEvent);
      },
    };
    cluster.set(deployment('ns', 'api', false));
    const p = waitFor(kube, query, 'api', allNamedReady(['api'], deploymentReadiness), { clock: new FakeClock(), timeoutMs: 60_000, phase: 'Test' });
    await settle();
    failFirst?.(new Error('watch closed: connection reset'));
    await settle();
    expect(watches).toBe(2);
    cluster.set(deployment('ns', 'api', true));
    await expect(p).resolves.toHaveLength(1);
    expect(cluster.watchers).toBe(0);
  });

  it('stops when the signal fires, saying what it was waiting for', async () => {
    const cluster = new FakeCluster();
    const stop = new AbortController();
    const p = waitFor(cluster, query, 'deployment api', allNamedReady(['api'], deploymentReadiness), {
      clock: new FakeClock(),
      timeoutMs: 60_000,
      phase: 'Installing things',
      signal: stop.signal,
    });
    await settle();
    stop.abort();
    await expect(p).rejects.toMatchObject({ message: 'Installing things: stopped while waiting for deployment api', details: ['last seen: api not found'] });
    expect(cluster.watchers).toBe(0);
  });

  it('a Deployment is ready only when its status is for the current generation', () => {
    const d = deployment('ns', 'api', true);
    expect(deploymentReadiness(d).ready).toBe(true);
    d.metadata.generation = 2; // spec changed, controller has not caught up
    expect(deploymentReadiness(d).ready).toBe(false);
  });
});
