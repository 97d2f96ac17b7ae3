import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/seams.js';
import { runCheck } from '../../src/checks/run.js';
import { FakeKube } from './fake-kube.js';
import { fixtureObjects, makeCheck, makeCtx } from './helpers.js';

const objects = (...names: string[]) => names.flatMap((n) => fixtureObjects(n));
const clone = <T>(v: T): T => structuredClone(v);

describe('resource', () => {
  it('shows the field-level difference of a named object', async () => {
    const kube = new FakeKube(objects('virtualservice-reviews-80-20.json'));
    const match = { spec: { http: [{ route: [{ destination: { subset: 'v1' }, weight: 50 }, { destination: { subset: 'v3' }, weight: 50 }] }] } };
    const r = await runCheck(makeCheck('resource', { kind: 'VirtualService', name: 'reviews', match }, { timeout: '3s' }), makeCtx({ kube }));
    expect(r.status).toBe('fail');
    expect(r.title).toBe('VirtualService default/reviews as expected');
    expect(r.found).toBe('differs in 2 fields');
    expect(r.details?.slice(0, 2)).toEqual([
      'spec.http[0].route[0].weight: expected 50, found 80 (no item of spec.http[0].route matches expected item 1)',
      'spec.http[0].route[1].weight: expected 50, found 20 (no item of spec.http[0].route matches expected item 2)',
    ]);
    expect(r.hint).toBe('kubectl get virtualservice reviews -n default -o yaml');
  });

  it('passes once the watch delivers the change', async () => {
    const vs = objects('virtualservice-reviews-80-20.json')[0] as KubeObject;
    const kube = new FakeKube([vs]);
    const match = { spec: { http: [{ route: [{ weight: 50 }, { destination: { subset: 'v3' }, weight: 50 }] }] } };
    const pending = runCheck(makeCheck('resource', { kind: 'VirtualService', name: 'reviews', match }, { timeout: '5m' }), makeCtx({ kube }));
    setTimeout(() => {
      const next = clone(vs) as KubeObject & { spec: { http: Array<{ route: Array<{ weight: number }> }> } };
      next.spec.http[0]!.route[0]!.weight = 50;
      next.spec.http[0]!.route[1]!.weight = 50;
      kube.set(next);
    }, 30);
    const r = await pending;
    expect(r.status).toBe('pass');
    expect(kube.calls.watch).toBe(1);
    expect(kube.calls.get).toBeLessThan(10); // woken by events, not polling
  });

  it('checks every object matching a selector and their count', async () => {
    const kube = new FakeKube(objects('pods-canary-l4.json'));
    const all = await runCheck(makeCheck('resource', { kind: 'Pod', selector: 'app=nginx', count: { gte: 4 }, match: { status: { phase: 'Running' } } }, { timeout: '2s' }), makeCtx({ kube }));
    expect(all.status).toBe('fail');
    expect(all.found).toBe('5 objects, 2 not matching');
    expect(all.details).toContain('default/new-nginx-6d8f7b9c54-c5tzr: status.phase: expected "Running", found "Pending"');
    const count = await runCheck(makeCheck('resource', { kind: 'Pod', selector: 'run=old-nginx', count: 1 }, { timeout: '2s' }), makeCtx({ kube }));
    expect(count).toMatchObject({ status: 'pass', found: '1 object', expected: '1 object' });
  });

  it('absent: fails while the object exists and passes when it is deleted', async () => {
    const kube = new FakeKube(objects('pods-canary-l4.json'));
    const pending = runCheck(makeCheck('resource', { kind: 'Pod', selector: 'run=old-nginx', absent: true }, { timeout: '5m' }), makeCtx({ kube }));
    setTimeout(() => kube.remove({ apiVersion: 'v1', kind: 'Pod', name: 'old-nginx-5b7c9d4f8-qq2wd', namespace: 'default' }), 30);
    expect(await pending).toMatchObject({ status: 'pass', found: 'absent' });
    const still = await runCheck(makeCheck('resource', { kind: 'Pod', selector: 'run=new-nginx', absent: true }, { timeout: '2s' }), makeCtx({ kube }));
    expect(still.status).toBe('fail');
    expect(still.found).toMatch(/^present: new-nginx-6d8f7b9c54-2xkqp, /);
  });

  it('captures from the object', async () => {
    const kube = new FakeKube(objects('service-nginx-lb.json'));
    const r = await runCheck(makeCheck('resource', { kind: 'Service', name: 'nginx', match: { status: { loadBalancer: { ingress: [{ ip: '/./' }] } } } }, { capture: { LB_IP: 'status.loadBalancer.ingress[0].ip' } }), makeCtx({ kube }));
    expect(r.captured).toEqual({ LB_IP: '172.18.0.9' });
  });

  it('needs apiVersion for an ambiguous kind', async () => {
    const r = await runCheck(makeCheck('resource', { kind: 'Gateway', name: 'bookinfo-gateway' }), makeCtx());
    expect(r).toMatchObject({ status: 'error' });
    expect(r.found).toMatch(/kind Gateway exists in several API groups/);
  });
});

describe('rollout', () => {
  const progressing = () => objects('deployment-new-nginx-progressing.json', 'pods-canary-l4.json');

  it('passes once the watch delivers readyReplicas and ready pods', async () => {
    const kube = new FakeKube(progressing());
    const pending = runCheck(makeCheck('rollout', 'deployment/new-nginx', { timeout: '10m' }), makeCtx({ kube }));
    setTimeout(() => {
      for (const p of kube.objects.values()) {
        if (p.kind === 'Pod' && p.metadata.labels?.run === 'new-nginx') {
          const ready = clone(p) as KubeObject & { status: { phase: string; conditions: Array<{ type: string; status: string }> } };
          ready.status.phase = 'Running';
          for (const c of ready.status.conditions) c.status = 'True';
          kube.set(ready);
        }
      }
      const d = clone(kube.objects.get('apps/v1|Deployment|default|new-nginx')) as KubeObject & { status: Record<string, number> };
      Object.assign(d.status, { readyReplicas: 4, availableReplicas: 4, unavailableReplicas: 0 });
      kube.set(d);
    }, 30);
    const r = await pending;
    expect(r.status).toBe('pass');
    expect(r.found).toBe('4/4 ready, 4 updated, 4 available, on kindlab-lab1-worker, kindlab-lab1-worker2');
    expect(r.data).toMatchObject({ ready: 4, desired: 4 });
    expect(kube.calls.watch).toBe(2);
  });

  it('explains what is missing when it does not finish', async () => {
    const kube = new FakeKube(progressing());
    const r = await runCheck(makeCheck('rollout', { kind: 'Deployment', name: 'new-nginx' }, { timeout: '5s' }), makeCtx({ kube }));
    expect(r.status).toBe('fail');
    expect(r.found).toBe('2/4 ready, 4 updated, 2 available, on kindlab-lab1-worker, kindlab-lab1-worker2');
    expect(r.details).toEqual([
      '2 of 4 updated replicas available',
      '2 of 4 pods Running and Ready (new-nginx-6d8f7b9c54-c5tzr Pending, new-nginx-6d8f7b9c54-vn9lm Pending)',
      expect.stringMatching(/^gave up after 5.0s/),
    ]);
    expect(r.hint).toMatch(/^kubectl rollout status deployment\/new-nginx -n default/);
  });

  it('names the image pull problem of the pods that are not ready, as kubectl get pods does', async () => {
    const kube = new FakeKube(progressing());
    const image = 'registry.istio.io/release/examples-bookinfo-details-v1:1.20.3';
    const waiting = (reason: string) => [{ name: 'nginx', image, ready: false, restartCount: 0, state: { waiting: { reason, message: `Back-off pulling image "${image}"` } } }];
    const pods = [...kube.objects.values()].filter((p) => p.kind === 'Pod' && p.metadata.labels?.run === 'new-nginx' && (p.status as { phase: string }).phase === 'Pending');
    expect(pods).toHaveLength(2);
    kube.set({ ...clone(pods[0]!), status: { ...(pods[0]!.status as object), containerStatuses: waiting('ImagePullBackOff') } } as KubeObject);
    kube.set({ ...clone(pods[1]!), status: { ...(pods[1]!.status as object), initContainerStatuses: waiting('ErrImagePull') } } as KubeObject);
    const r = await runCheck(makeCheck('rollout', 'deployment/new-nginx', { timeout: '1s' }), makeCtx({ kube }));
    expect(r.status).toBe('fail');
    expect(r.details).toContain(
      `2 of 4 pods Running and Ready (${pods[0]!.metadata.name} ImagePullBackOff (${image}), ${pods[1]!.metadata.name} Init:ErrImagePull (${image}))`,
    );
  });

  it('does not count another Deployment’s pods when selectors overlap', async () => {
    const d = objects('deployment-new-nginx-progressing.json')[0] as KubeObject & { spec: { replicas: number; selector: unknown }; status: Record<string, number> };
    d.spec.selector = { matchLabels: { app: 'nginx' } };
    d.spec.replicas = 2;
    Object.assign(d.status, { replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 });
    const kube = new FakeKube([d, ...objects('pods-canary-l4.json')]);
    const r = await runCheck(makeCheck('rollout', { name: 'new-nginx', replicas: 2 }, { timeout: '2s' }), makeCtx({ kube }));
    expect(r.data).toMatchObject({ ready: 2 });
    expect((r.data as { pods: unknown[] }).pods).toHaveLength(4); // old-nginx's ready pod is not among them
    expect(r.status).toBe('pass');
  });

  it('checks the expected count against the desired one', async () => {
    const d = objects('deployment-new-nginx-progressing.json')[0] as KubeObject & { spec: { replicas: number } };
    d.spec.replicas = 1;
    const r = await runCheck(makeCheck('rollout', { name: 'new-nginx', replicas: 4 }, { timeout: '2s' }), makeCtx({ kube: new FakeKube([d]) }));
    expect(r.status).toBe('fail');
    expect(r.details).toContain('desired count is 1, expected 4');
  });

  it('checks node placement of a DaemonSet', async () => {
    const kube = new FakeKube(objects('daemonset-ingress-nginx.json', 'pods-ingress-nginx.json', 'nodes-ingress-ha.json'));
    const ok = await runCheck(
      makeCheck('rollout', { kind: 'DaemonSet', namespace: 'ingress-nginx', name: 'ingress-nginx-controller', nodeSelector: { 'lab.example.io/ingress': 'true' }, distinctNodes: 2 }),
      makeCtx({ kube }),
    );
    expect(ok).toMatchObject({ status: 'pass', found: '2/2 ready, 2 updated, 2 available, on kindlab-ingress-ha-worker, kindlab-ingress-ha-worker2' });
    const bad = await runCheck(makeCheck('rollout', { kind: 'DaemonSet', namespace: 'ingress-nginx', name: 'ingress-nginx-controller', nodeSelector: { 'node-role.kubernetes.io/control-plane': '' } }, { timeout: '2s' }), makeCtx({ kube }));
    expect(bad.status).toBe('fail');
    expect(bad.details).toContain('pod ingress-nginx-controller-7hq2x runs on kindlab-ingress-ha-worker, which lacks node-role.kubernetes.io/control-plane=');
    const short = await runCheck(makeCheck('rollout', 'daemonset/ingress-nginx/ingress-nginx-controller'), makeCtx({ kube }));
    expect(short.status).toBe('pass');
  });

  it('waits for a Deployment that does not exist yet', async () => {
    const r = await runCheck(makeCheck('rollout', 'deployment/ghost', { timeout: '2s' }), makeCtx());
    expect(r).toMatchObject({ status: 'fail', found: 'Deployment default/ghost not found' });
  });
});

describe('nodes', () => {
  it('reports roles, readiness and labels, and passes when a node turns Ready', async () => {
    const kube = new FakeKube(objects('nodes-ingress-ha.json'));
    const spec = { count: 4, roles: { 'control-plane': 1, worker: 3, ingress: 2 }, labeled: { 'lab.example.io/ingress=true': 2, 'node.kubernetes.io/exclude-from-external-load-balancers': 2 } };
    const notReady = await runCheck(makeCheck('nodes', spec, { timeout: '2s' }), makeCtx({ kube }));
    expect(notReady.status).toBe('fail');
    expect(notReady.details?.[0]).toBe('not Ready: kindlab-ingress-ha-worker2');
    expect(notReady.found).toBe(
      'kindlab-ingress-ha-control-plane control-plane Ready; kindlab-ingress-ha-worker ingress Ready; kindlab-ingress-ha-worker2 ingress NotReady; kindlab-ingress-ha-worker3 <none> Ready',
    );

    const pending = runCheck(makeCheck('nodes', spec, { timeout: '10m' }), makeCtx({ kube }));
    setTimeout(() => {
      const n = clone(kube.objects.get('v1|Node||kindlab-ingress-ha-worker2')) as KubeObject & { status: { conditions: Array<{ type: string; status: string }> } };
      n.status.conditions.find((c) => c.type === 'Ready')!.status = 'True';
      kube.set(n);
    }, 30);
    expect((await pending).status).toBe('pass');
  });

  it('names the wrong counts', async () => {
    const kube = new FakeKube(objects('nodes-ingress-ha.json'));
    const r = await runCheck(makeCheck('nodes', { count: 3, ready: false, roles: { ingress: 3 }, labeled: { 'lab.example.io/ingress=true': 3 } }, { timeout: '2s' }), makeCtx({ kube }));
    expect(r.details?.slice(0, 3)).toEqual([
      '4 nodes, expected 3',
      '2 ingress (kindlab-ingress-ha-worker, kindlab-ingress-ha-worker2), expected 3',
      '2 labeled lab.example.io/ingress=true (kindlab-ingress-ha-worker, kindlab-ingress-ha-worker2), expected 3',
    ]);
  });
});

describe('sidecar', () => {
  const deployment = (name: string, app: string, version: string): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: { selector: { matchLabels: { app, version } } },
  });

  it('accepts an istio-proxy container or a native sidecar, and lists pods without one', async () => {
    const kube = new FakeKube(objects('pods-bookinfo.json'));
    const mesh = await runCheck(makeCheck('sidecar', { selector: 'app in (productpage,reviews)' }), makeCtx({ kube }));
    expect(mesh).toMatchObject({ status: 'pass', found: '3 of 3 pods with istio-proxy (1 as native sidecar)' });
    const all = await runCheck(makeCheck('sidecar', {}, { timeout: '2s' }), makeCtx({ kube }));
    expect(all.status).toBe('fail');
    expect(all.details?.[0]).toBe('without the proxy: ratings-v1-85c74b6cb4-r7d2j');
  });

  it('passes after the pod is re-created with the proxy', async () => {
    const kube = new FakeKube([...objects('pods-bookinfo.json'), deployment('ratings-v1', 'ratings', 'v1')]);
    const pending = runCheck(makeCheck('sidecar', { workload: 'deployment/ratings-v1' }, { timeout: '5m' }), makeCtx({ kube }));
    setTimeout(() => {
      const old = kube.objects.get('v1|Pod|default|ratings-v1-85c74b6cb4-r7d2j') as KubeObject & { spec: { containers: Array<{ name: string }> } };
      kube.remove({ apiVersion: 'v1', kind: 'Pod', name: old.metadata.name, namespace: 'default' });
      const injected = clone(old);
      injected.metadata.name = 'ratings-v1-85c74b6cb4-zz9k1';
      injected.spec.containers.push({ name: 'istio-proxy' });
      kube.set(injected);
    }, 30);
    expect((await pending).status).toBe('pass');
  });

  it('checks istio-init capabilities and absence', async () => {
    const kube = new FakeKube([...objects('pods-bookinfo.json'), deployment('ratings-v1', 'ratings', 'v1')]);
    const ctx = makeCtx({ kube });
    expect((await runCheck(makeCheck('sidecar', { selector: 'app=productpage', initCapabilities: ['NET_RAW', 'NET_ADMIN'] }), ctx)).status).toBe('pass');
    const more = await runCheck(makeCheck('sidecar', { selector: 'app=productpage', initCapabilities: ['NET_ADMIN', 'SYS_ADMIN'] }, { timeout: '2s' }), ctx);
    expect(more.details?.[0]).toBe('productpage-v1-7d6cfb7dfd-4wq9z: istio-init lacks SYS_ADMIN (adds NET_ADMIN, NET_RAW)');
    const cni = await runCheck(makeCheck('sidecar', { selector: 'app=productpage', initCapabilities: [] }, { timeout: '2s' }), ctx);
    expect(cni.details?.[0]).toBe('productpage-v1-7d6cfb7dfd-4wq9z has an istio-init container (adds NET_ADMIN, NET_RAW)');
    expect((await runCheck(makeCheck('sidecar', { workload: 'deployment/ratings-v1', present: false }), ctx)).status).toBe('pass');
    const none = await runCheck(makeCheck('sidecar', { namespace: 'bookinfo' }, { timeout: '2s' }), ctx);
    expect(none.found).toBe('no pods in bookinfo');
  });
});
