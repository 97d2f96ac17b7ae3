/**
 * The real KubeClient (client-node underneath) against the simulated API server: what kindlab
 * relies on when it applies manifests, waits on status through watches and runs checks via exec.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeClient, KubeObject, WatchEventType } from '../../src/core/seams.js';
import { createKubeClientFactory } from '../../src/platform/kube.js';
import { startSimCluster, type Sim } from '../sim/apiserver.js';

let sim: Sim;
let dir: string;
let kube: KubeClient;

beforeEach(async () => {
  sim = await startSimCluster();
  dir = await mkdtemp(join(tmpdir(), 'kindlab-kube-'));
  await sim.writeKubeconfig(join(dir, 'kubeconfig'), 'kind-test');
  kube = createKubeClientFactory()(join(dir, 'kubeconfig'), 'kind-test');
});

afterEach(async () => {
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
});

const configMap = (name: string, data: Record<string, string>, labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default', ...(labels ? { labels } : {}) },
  data,
});

function deployment(name: string, replicas: number, labels: Record<string, string> = { app: name }): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', labels },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
    },
  };
}

/** Collects values; `until` resolves with the first value (seen or future) that satisfies a predicate. */
function waitFor<T>(ms: number) {
  const seen: T[] = [];
  const waiters: Array<{ p: (v: T) => boolean; resolve: (v: T) => void }> = [];
  return {
    push(v: T) {
      seen.push(v);
      for (const w of waiters) if (w.p(v)) w.resolve(v);
    },
    until(p: (v: T) => boolean): Promise<T> {
      const hit = seen.find(p);
      if (hit !== undefined) return Promise.resolve(hit);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not seen within ${ms} ms; saw ${JSON.stringify(seen).slice(0, 2000)}`)), ms);
        waiters.push({ p, resolve: (v) => (clearTimeout(timer), resolve(v)) });
      });
    },
  };
}

describe('KubeClient against the sim', () => {
  it('creates, reads, patches, lists and deletes objects', async () => {
    const created = await kube.apply(configMap('settings', { color: 'blue' }));
    expect(created.metadata.uid).toBeTruthy();
    expect(created.data).toEqual({ color: 'blue' });

    const read = await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'settings', namespace: 'default' });
    expect(read?.metadata.uid).toBe(created.metadata.uid);
    // Timestamps stay strings: the client does not turn objects into model classes.
    expect(typeof read?.metadata.creationTimestamp).toBe('string');

    const patched = await kube.patch({ apiVersion: 'v1', kind: 'ConfigMap', name: 'settings', namespace: 'default' }, { data: { size: 'L' } });
    expect(patched.data).toEqual({ color: 'blue', size: 'L' });
    expect(Number(patched.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));

    const listed = await kube.list({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default' });
    const mine = listed.find((o) => o.metadata.name === 'settings');
    // List items come without apiVersion/kind from the server; the client fills them in.
    expect(mine).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', data: { color: 'blue', size: 'L' } });

    expect(await kube.delete({ apiVersion: 'v1', kind: 'ConfigMap', name: 'settings', namespace: 'default' })).toBe(true);
    expect(await kube.delete({ apiVersion: 'v1', kind: 'ConfigMap', name: 'settings', namespace: 'default' })).toBe(false);
    expect(await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'settings', namespace: 'default' })).toBeUndefined();
  });

  it('returns undefined for a missing object but throws for a kind the server does not serve', async () => {
    expect(await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'nope', namespace: 'default' })).toBeUndefined();
    await expect(kube.get({ apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', namespace: 'default' })).rejects.toThrow(
      /does not serve Widget in example.com\/v1/,
    );
  });

  it('reports API errors with the server message and the attempted operation', async () => {
    const err = await kube
      .apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'missing-ns' }, data: {} })
      .catch((e: unknown) => e as Error & { code?: number; reason?: string });
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe('apply ConfigMap missing-ns/x: namespaces "missing-ns" not found');
    expect(err.code).toBe(404);
  });

  it('server-side apply is idempotent and drops fields this manager stopped applying', async () => {
    const first = await kube.apply(configMap('app', { a: '1', b: '2' }, { team: 'blue', tier: 'web' }));
    const again = await kube.apply(configMap('app', { a: '1', b: '2' }, { team: 'blue', tier: 'web' }));
    expect(again.metadata.resourceVersion).toBe(first.metadata.resourceVersion);

    // Someone else (kubectl label) adds a label; kindlab then re-applies without `tier` and `b`.
    await kube.patch({ apiVersion: 'v1', kind: 'ConfigMap', name: 'app', namespace: 'default' }, { metadata: { labels: { owner: 'ops' } } });
    const third = await kube.apply(configMap('app', { a: '1', c: '3' }, { team: 'blue' }));
    expect(third.metadata.labels).toEqual({ team: 'blue', owner: 'ops' });
    expect(third.data).toEqual({ a: '1', c: '3' });
    const managers = (third.metadata.managedFields as Array<{ manager: string; operation: string }>).map((m) => `${m.manager}/${m.operation}`);
    expect(managers).toContain('kindlab/Apply');
  });

  it('applies an object read back from the server (server-owned fields are stripped)', async () => {
    const created = await kube.apply(configMap('roundtrip', { k: 'v' }));
    const changed = { ...created, data: { k: 'w' } };
    const applied = await kube.apply(changed);
    expect(applied.data).toEqual({ k: 'w' });
  });

  it('lists with label and field selectors', async () => {
    await kube.apply(configMap('a', {}, { app: 'web', tier: 'front' }));
    await kube.apply(configMap('b', {}, { app: 'web', tier: 'back' }));
    await kube.apply(configMap('c', {}, { app: 'db' }));
    const names = async (labelSelector?: string, fieldSelector?: string) =>
      (await kube.list({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', ...(labelSelector ? { labelSelector } : {}), ...(fieldSelector ? { fieldSelector } : {}) }))
        .map((o) => o.metadata.name)
        .filter((n) => n !== 'kube-root-ca.crt');

    expect(await names('app=web')).toEqual(['a', 'b']);
    expect(await names('app==web,tier!=back')).toEqual(['a']);
    expect(await names('tier in (front, back)')).toEqual(['a', 'b']);
    expect(await names('app notin (web)')).toEqual(['c']);
    expect(await names('tier')).toEqual(['a', 'b']);
    expect(await names('!tier')).toEqual(['c']);
    expect(await names(undefined, 'metadata.name=b')).toEqual(['b']);
    await expect(names(undefined, 'data.x=1')).rejects.toThrow(/field label not supported: data.x/);
  });

  it('lists across namespaces when no namespace is given', async () => {
    await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } });
    await kube.apply({ ...configMap('here', {}), metadata: { name: 'here', namespace: 'other' } });
    await kube.apply(configMap('there', {}));
    const all = await kube.list({ apiVersion: 'v1', kind: 'ConfigMap', labelSelector: '' });
    const names = all.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    expect(names).toEqual(expect.arrayContaining(['other/here', 'default/there']));
  });

  it('watches: initial objects as ADDED, then changes, and nothing after stop', async () => {
    await kube.apply(configMap('before', { v: '1' }, { app: 'w' }));
    const events: Array<[WatchEventType, string, string | undefined]> = [];
    const seen = waitFor<[WatchEventType, string, string | undefined]>(3000);
    const stop = await kube.watch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', labelSelector: 'app=w' }, (type, obj) => {
      const e: [WatchEventType, string, string | undefined] = [type, obj.metadata.name, (obj.data as Record<string, string> | undefined)?.v];
      events.push(e);
      seen.push(e);
    });
    expect(events).toEqual([['ADDED', 'before', '1']]);

    await kube.apply(configMap('later', { v: '1' }, { app: 'w' }));
    await kube.patch({ apiVersion: 'v1', kind: 'ConfigMap', name: 'before', namespace: 'default' }, { data: { v: '2' } });
    await kube.apply(configMap('unrelated', {}, { app: 'other' }));
    await kube.delete({ apiVersion: 'v1', kind: 'ConfigMap', name: 'later', namespace: 'default' });
    await seen.until(([type, name]) => type === 'DELETED' && name === 'later');
    expect(events).toEqual([
      ['ADDED', 'before', '1'],
      ['ADDED', 'later', '1'],
      ['MODIFIED', 'before', '2'],
      ['DELETED', 'later', '1'],
    ]);

    stop();
    await kube.patch({ apiVersion: 'v1', kind: 'ConfigMap', name: 'before', namespace: 'default' }, { data: { v: '3' } });
    await new Promise((r) => setTimeout(r, 100));
    expect(events).toHaveLength(4);
  });

  it('resumes a watch the server ended, and re-lists when its resourceVersion is too old', async () => {
    await kube.apply(configMap('keep', {}, { app: 'r' }));
    await kube.apply(configMap('drop', {}, { app: 'r' }));
    const events: string[] = [];
    const seen = waitFor<string>(3000);
    const stop = await kube.watch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', labelSelector: 'app=r' }, (type, obj) => {
      events.push(`${type} ${obj.metadata.name}`);
      seen.push(`${type} ${obj.metadata.name}`);
    });

    // The server ends the watch (timeout): the client resumes from its resourceVersion.
    sim.closeWatches();
    await new Promise((r) => setTimeout(r, 50));
    await kube.apply(configMap('new1', {}, { app: 'r' }));
    await seen.until((e) => e === 'ADDED new1');

    // History is compacted and a change happens while the watch is down: 410, re-list, difference.
    sim.closeWatches();
    sim.store.delete('v1', 'ConfigMap', 'drop', 'default');
    sim.store.objects.compact();
    await seen.until((e) => e === 'DELETED drop');
    stop();
    expect(events).toEqual(['ADDED drop', 'ADDED keep', 'ADDED new1', 'DELETED drop']);
    expect(sim.requests.filter((r) => r.method === 'GET' && r.path === '/api/v1/namespaces/default/configmaps' && r.query.watch !== 'true')).toHaveLength(2);
  });

  it('sees a controller write status through a watch within 200 ms', async () => {
    sim.addNodes('default', [{ name: 'kind-control-plane', role: 'control-plane' }]);
    sim.controllers.rollouts({ delayMs: 20 });
    const ready = waitFor<KubeObject>(2000);
    const stop = await kube.watch({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default' }, (_type, obj) => ready.push(obj));
    const started = Date.now();
    await kube.apply(deployment('web', 2));
    const done = await ready.until((d) => (d.status as { readyReplicas?: number } | undefined)?.readyReplicas === 2);
    const elapsed = Date.now() - started;
    stop();
    expect(elapsed).toBeLessThan(200);
    expect(done.status).toMatchObject({ replicas: 2, updatedReplicas: 2, availableReplicas: 2, observedGeneration: 1 });
    const pods = await kube.list({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', labelSelector: 'app=web' });
    expect(pods.map((p) => (p.status as { phase?: string }).phase)).toEqual(['Running', 'Running']);
  });

  it('runs a command in a pod over the exec WebSocket', async () => {
    sim.addNodes('default', [{ name: 'kind-control-plane', role: 'control-plane' }]);
    sim.controllers.pods({ delayMs: 0 });
    sim.onExec = ({ namespace, pod, container, command }) =>
      command[0] === 'fail'
        ? { stdout: 'partial\n', stderr: 'boom\n', exitCode: 3 }
        : { stdout: `${namespace}/${pod}/${container}: ${command.join(' ')}\n` };
    await kube.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'client', namespace: 'default', annotations: { 'kubectl.kubernetes.io/default-container': 'curl' } },
      spec: { containers: [{ name: 'sidecar', image: 'envoy' }, { name: 'curl', image: 'curlimages/curl' }] },
    });
    await expect.poll(async () => (await kube.get({ apiVersion: 'v1', kind: 'Pod', name: 'client', namespace: 'default' }))?.status).toMatchObject({ phase: 'Running' });

    // No container given: the default-container annotation decides, as with kubectl.
    expect(await kube.exec({ namespace: 'default', name: 'client' }, ['curl', '-s', 'http://web'])).toEqual({
      stdout: 'default/client/curl: curl -s http://web\n',
      stderr: '',
      exitCode: 0,
    });
    expect(await kube.exec({ namespace: 'default', name: 'client', container: 'sidecar' }, ['fail'])).toEqual({
      stdout: 'partial\n',
      stderr: 'boom\n',
      exitCode: 3,
    });
    await expect(kube.exec({ namespace: 'default', name: 'ghost' }, ['true'])).rejects.toThrow(/pods "ghost" not found/);
    await expect(kube.exec({ namespace: 'default', name: 'client', container: 'nope' }, ['true'])).rejects.toThrow(/exec in pod default\/client/);
  });

  it('serves Istio custom resources, including the older API versions tutorials use', async () => {
    await kube.apply({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'reviews', namespace: 'default' },
      spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' }, weight: 100 }] }] },
    });
    const v1 = await kube.get({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', name: 'reviews', namespace: 'default' });
    expect(v1?.spec).toMatchObject({ hosts: ['reviews'] });
    const old = await kube.get({ apiVersion: 'networking.istio.io/v1alpha3', kind: 'VirtualService', name: 'reviews', namespace: 'default' });
    expect(old?.apiVersion).toBe('networking.istio.io/v1alpha3');
    expect(old?.metadata.uid).toBe(v1?.metadata.uid);
    const patched = await kube.patch(
      { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', name: 'reviews', namespace: 'default' },
      { spec: { http: [{ route: [{ destination: { host: 'reviews', subset: 'v2' } }] }] } },
    );
    expect(JSON.stringify(patched.spec)).toContain('"subset":"v2"');
  });

  it('serves a kind once its CustomResourceDefinition is applied', async () => {
    const widget = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1', namespace: 'default' }, spec: { size: 3 } };
    await expect(kube.apply(widget)).rejects.toThrow(/does not serve Widget/);
    await kube.apply({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { kind: 'Widget', plural: 'widgets', singular: 'widget' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    });
    await kube.apply(widget);
    expect((await kube.list({ apiVersion: 'example.com/v1', kind: 'Widget', namespace: 'default' })).map((w) => w.spec)).toEqual([{ size: 3 }]);
  });

  it('uses only the given kubeconfig context and explains a missing one', async () => {
    const path = join(dir, 'other-kubeconfig');
    await writeFile(path, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
    const missing = createKubeClientFactory()(path, 'kind-nope');
    await expect(missing.list({ apiVersion: 'v1', kind: 'Namespace' })).rejects.toThrow(/has no context "kind-nope"/);

    const down = await startSimCluster();
    await down.writeKubeconfig(path, 'kind-down');
    await down.stop();
    const unreachable = createKubeClientFactory()(path, 'kind-down');
    await expect(unreachable.list({ apiVersion: 'v1', kind: 'Namespace' })).rejects.toThrow(/cannot reach the API server at https:\/\/127\.0\.0\.1:\d+/);
  });
});
