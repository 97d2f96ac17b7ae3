import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/seams.js';
import { CheckConfigError } from '../../src/checks/errors.js';
import { watchUntil } from '../../src/checks/watch-until.js';
import type { AttemptOutcome } from '../../src/checks/types.js';
import { FakeKube } from './fake-kube.js';

const cm = (name: string, value: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { value } });
const query = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default' };
const outcome = (ok: boolean, found: string): AttemptOutcome => ({ ok, title: 't', expected: 'e', found });
const noResync = 1e9;

describe('watchUntil', () => {
  it('re-evaluates on every event and resolves on the first pass (no polling)', async () => {
    const kube = new FakeKube([cm('a', '1')]);
    let evaluations = 0;
    const evaluate = async () => {
      evaluations++;
      const o = (await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'a', namespace: 'default' })) as unknown as { data: { value: string } };
      return outcome(o.data.value === '3', `value ${o.data.value}`);
    };
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), 2000);
    const done = watchUntil({ kube, queries: [query], evaluate, signal: deadline.signal, resyncMs: noResync });
    await new Promise((r) => setTimeout(r, 10));
    kube.set(cm('a', '2'));
    await new Promise((r) => setTimeout(r, 10));
    const before = evaluations;
    kube.set(cm('a', '3'));
    expect(await done).toMatchObject({ ok: true, found: 'value 3' });
    clearTimeout(timer);
    expect(before).toBeGreaterThanOrEqual(2);
    expect(kube.listeners.size).toBe(0);
    expect(kube.calls.stop).toBe(1);
  });

  it('returns the last observation when the deadline aborts it', async () => {
    const kube = new FakeKube([cm('a', '1')]);
    const controller = new AbortController();
    const done = watchUntil({ kube, queries: [query], evaluate: async () => outcome(false, 'still 1'), signal: controller.signal, resyncMs: noResync });
    setTimeout(() => controller.abort(), 20);
    expect(await done).toMatchObject({ ok: false, found: 'still 1' });
    expect(kube.listeners.size).toBe(0);
  });

  it('falls back on periodic evaluation when the watch breaks, and says so', async () => {
    const kube = new FakeKube();
    const controller = new AbortController();
    let n = 0;
    const done = watchUntil({ kube, queries: [query], evaluate: async () => outcome(false, `seen ${++n}`), signal: controller.signal, resyncMs: 5 });
    setTimeout(() => kube.breakWatches(new Error('connection reset')), 5);
    setTimeout(() => controller.abort(), 60);
    const last = await done;
    expect(n).toBeGreaterThan(3);
    expect(last.details).toEqual(['watch of ConfigMap ended: connection reset']);
  });

  it('rejects with the error when the last evaluation failed, and at once for a mistake in the check', async () => {
    const kube = new FakeKube();
    const controller = new AbortController();
    const failing = watchUntil({ kube, queries: [query], evaluate: async () => Promise.reject(new Error('connection refused')), signal: controller.signal, resyncMs: noResync });
    setTimeout(() => controller.abort(), 20);
    await expect(failing).rejects.toThrow('connection refused');

    const started = performance.now();
    const wrong = watchUntil({ kube, queries: [query], evaluate: async () => Promise.reject(new CheckConfigError('bad selector')), signal: new AbortController().signal, resyncMs: noResync });
    await expect(wrong).rejects.toThrow('bad selector');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
