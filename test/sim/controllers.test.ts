/**
 * The sim's opt-in controllers and the kind bootstrap: what makes objects applied in integration
 * tests become Ready, get IPs and endpoints, the way a kind cluster would.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/seams.js';
import { startSimCluster, type Sim } from './apiserver.js';

let sim: Sim;
beforeEach(async () => {
  sim = await startSimCluster();
});
afterEach(async () => {
  await sim.stop();
});

const settle = (ms = 60) => new Promise((r) => setTimeout(r, ms));
type Status = Record<string, unknown>;
const statusOf = (o: KubeObject | undefined) => (o?.status ?? {}) as Status;

function deployment(name: string, replicas: number, image = 'nginx:1.27', extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image, ports: [{ name: 'http', containerPort: 8080 }] }], ...extra } },
    },
  };
}

const podsOf = (app: string) => sim.store.list('v1', 'Pod', 'default', { labelSelector: `app=${app}` });

describe('rollouts', () => {
  beforeEach(() => {
    sim.addNodes('default', [
      { name: 'cp', role: 'control-plane' },
      { name: 'w1', role: 'worker', labels: { zone: 'a' } },
      { name: 'w2', role: 'worker', labels: { zone: 'b' } },
    ]);
  });

  it('rolls a Deployment out, then rolls a new template out and scales', async () => {
    sim.controllers.rollouts({ delayMs: 5 });
    sim.store.create(deployment('web', 3));
    await expect.poll(() => statusOf(sim.store.get('apps/v1', 'Deployment', 'web')).readyReplicas, { timeout: 2000, interval: 10 }).toBe(3);
    const status = statusOf(sim.store.get('apps/v1', 'Deployment', 'web'));
    expect(status).toMatchObject({ replicas: 3, updatedReplicas: 3, availableReplicas: 3, observedGeneration: 1 });
    expect((status.conditions as Array<{ type: string; status: string }>).map((c) => `${c.type}=${c.status}`)).toEqual(['Available=True', 'Progressing=True']);
    const pods = podsOf('web');
    expect(pods).toHaveLength(3);
    // Spread over the workers; the tainted control plane gets none.
    expect(new Set(pods.map((p) => (p.spec as { nodeName: string }).nodeName))).toEqual(new Set(['w1', 'w2']));
    expect(pods.every((p) => /^10\.244\.\d+\.\d+$/.test(String(statusOf(p).podIP)))).toBe(true);

    const firstHash = pods[0]!.metadata.labels!['pod-template-hash'];
    sim.store.replace({ ...sim.store.get('apps/v1', 'Deployment', 'web')!, spec: deployment('web', 2, 'nginx:1.28').spec });
    await expect.poll(() => statusOf(sim.store.get('apps/v1', 'Deployment', 'web')).observedGeneration, { timeout: 2000, interval: 10 }).toBe(2);
    const after = podsOf('web');
    expect(after).toHaveLength(2);
    expect(after.every((p) => p.metadata.labels!['pod-template-hash'] !== firstHash)).toBe(true);
    const replicaSets = sim.store.list('apps/v1', 'ReplicaSet', 'default');
    expect(replicaSets.map((rs) => (rs.spec as { replicas: number }).replicas).sort()).toEqual([0, 2]);
    expect(replicaSets.map((rs) => rs.metadata.annotations!['deployment.kubernetes.io/revision']).sort()).toEqual(['1', '2']);
  });

  it('recreates a deleted pod, and deleting the Deployment removes its ReplicaSets and pods', async () => {
    sim.controllers.rollouts({ delayMs: 5 });
    sim.store.create(deployment('api', 1));
    await expect.poll(() => podsOf('api').length, { timeout: 2000, interval: 10 }).toBe(1);
    const victim = podsOf('api')[0]!.metadata.name;
    sim.store.delete('v1', 'Pod', victim, 'default');
    await expect.poll(() => podsOf('api').filter((p) => p.metadata.name !== victim).length, { timeout: 2000, interval: 10 }).toBe(1);
    expect(podsOf('api').map((p) => p.metadata.name)).not.toContain(victim);
    sim.store.delete('apps/v1', 'Deployment', 'api', 'default');
    expect(podsOf('api')).toEqual([]);
    expect(sim.store.list('apps/v1', 'ReplicaSet', 'default')).toEqual([]);
  });

  it('lets a test decide pod fates (a crash-looping rollout never becomes available)', async () => {
    sim.controllers.rollouts({ delayMs: 5, podFate: (pod) => (pod.metadata.labels?.app === 'bad' ? 'crash-loop' : undefined) });
    sim.store.create(deployment('bad', 2));
    await expect.poll(() => podsOf('bad').length, { timeout: 2000, interval: 10 }).toBe(2);
    await settle();
    const status = statusOf(sim.store.get('apps/v1', 'Deployment', 'bad'));
    expect(status.readyReplicas).toBeUndefined(); // zero counts are omitted, as by a real server
    expect(status.unavailableReplicas).toBe(2);
    const pod = podsOf('bad')[0]!;
    expect((statusOf(pod).containerStatuses as Array<{ state: { waiting?: { reason: string } } }>)[0]!.state.waiting?.reason).toBe('CrashLoopBackOff');
  });

  it('cannot pull from a registry that is gone: ErrImagePull, then ImagePullBackOff, never Ready; a frozen one still serves', async () => {
    sim.controllers.all({ delayMs: 5 });
    const retired = 'registry.istio.io/release/examples-helloworld-v1:1.0';
    const sidecar = { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.31.1' };
    const dep = deployment('hello', 1, retired);
    ((dep.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers).push(sidecar);
    sim.store.create(dep);
    sim.store.create(deployment('pause', 1, 'k8s.gcr.io/pause:3.9'));
    type CS = { name: string; ready: boolean; state: { waiting?: { reason: string; message: string }; running?: unknown } };
    const states = () => ((statusOf(podsOf('hello')[0]).containerStatuses ?? []) as CS[]).map((c) => `${c.name}:${c.state.waiting?.reason ?? (c.state.running ? 'running' : '?')}`);
    await expect.poll(states, { timeout: 2000, interval: 2 }).toEqual(['web:ErrImagePull', 'istio-proxy:running']);
    expect(((statusOf(podsOf('hello')[0]).containerStatuses as CS[])[0]!.state.waiting?.message)).toContain(`failed to pull and unpack image "${retired}"`);
    await expect.poll(states, { timeout: 2000, interval: 10 }).toEqual(['web:ImagePullBackOff', 'istio-proxy:running']);
    const pod = podsOf('hello')[0]!;
    expect(statusOf(pod).phase).toBe('Pending');
    expect((statusOf(pod).conditions as Array<{ type: string; status: string }>).find((c) => c.type === 'Ready')?.status).toBe('False');
    expect(((statusOf(pod).containerStatuses as CS[])[0]!.state.waiting?.message)).toMatch(/^Back-off pulling image "registry\.istio\.io\/release\/examples-helloworld-v1:1\.0": ErrImagePull: /);
    expect(statusOf(sim.store.get('apps/v1', 'Deployment', 'hello')).unavailableReplicas).toBe(1);
    // k8s.gcr.io is frozen but redirects to registry.k8s.io: its images still pull.
    await expect.poll(() => statusOf(sim.store.get('apps/v1', 'Deployment', 'pause')).readyReplicas, { timeout: 2000, interval: 10 }).toBe(1);
  });

  it('puts DaemonSet pods on the nodes its nodeSelector and tolerations allow', async () => {
    sim.controllers.rollouts({ delayMs: 5 });
    const ds = (name: string, spec: Record<string, unknown>): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name, namespace: 'default' },
      spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'agent', image: 'agent' }], ...spec } } },
    });
    sim.store.create(ds('zone-a', { nodeSelector: { zone: 'a' } }));
    sim.store.create(ds('everywhere', { tolerations: [{ operator: 'Exists' }] }));
    await expect.poll(() => statusOf(sim.store.get('apps/v1', 'DaemonSet', 'everywhere')).numberReady, { timeout: 2000, interval: 10 }).toBe(3);
    await expect.poll(() => statusOf(sim.store.get('apps/v1', 'DaemonSet', 'zone-a')).numberReady, { timeout: 2000, interval: 10 }).toBe(1);
    expect(podsOf('zone-a').map((p) => (p.spec as { nodeName: string }).nodeName)).toEqual(['w1']);
    expect(statusOf(sim.store.get('apps/v1', 'DaemonSet', 'zone-a'))).toMatchObject({ desiredNumberScheduled: 1, numberMisscheduled: 0 });
    // A node joining gets its pod.
    sim.addNodes('default', [{ name: 'w3', role: 'worker', labels: { zone: 'a' } }]);
    await expect.poll(() => statusOf(sim.store.get('apps/v1', 'DaemonSet', 'zone-a')).numberReady, { timeout: 2000, interval: 10 }).toBe(2);
  });

  it('gives StatefulSet pods ordinal names', async () => {
    sim.controllers.rollouts({ delayMs: 5 });
    sim.store.create({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'default' },
      spec: { replicas: 2, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'postgres' }] } } },
    });
    await expect.poll(() => statusOf(sim.store.get('apps/v1', 'StatefulSet', 'db')).readyReplicas, { timeout: 2000, interval: 10 }).toBe(2);
    expect(podsOf('db').map((p) => p.metadata.name)).toEqual(['db-0', 'db-1']);
  });

  it('leaves pods Pending when no node fits', async () => {
    sim.controllers.rollouts({ delayMs: 5 });
    sim.store.create(deployment('picky', 1, 'nginx', { nodeSelector: { zone: 'mars' } }));
    await expect.poll(() => podsOf('picky').length, { timeout: 2000, interval: 10 }).toBe(1);
    await settle();
    expect(statusOf(podsOf('picky')[0]).phase).toBe('Pending');
    expect(statusOf(sim.store.get('apps/v1', 'Deployment', 'picky')).readyReplicas).toBeUndefined();
  });

  it('stops reconciling once stopped', async () => {
    const stop = sim.controllers.rollouts({ delayMs: 5 });
    stop();
    sim.store.create(deployment('idle', 1));
    await settle();
    expect(podsOf('idle')).toEqual([]);
  });
});

describe('services', () => {
  beforeEach(() => {
    sim.addNodes('default', [{ name: 'kind-control-plane', role: 'control-plane' }]);
  });

  it('gives LoadBalancer Services an external IP, honouring loadBalancerIP', async () => {
    sim.controllers.loadBalancers({ ipPrefix: '10.0.0.' });
    const svc = (name: string, spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { ports: [{ port: 80 }], ...spec } });
    sim.store.create(svc('lb', { type: 'LoadBalancer' }));
    sim.store.create(svc('fixed', { type: 'LoadBalancer', loadBalancerIP: '10.0.0.250' }));
    sim.store.create(svc('internal', {}));
    const ip = (name: string) => (statusOf(sim.store.get('v1', 'Service', name)).loadBalancer as { ingress?: Array<{ ip: string }> }).ingress?.[0]?.ip;
    await expect.poll(() => ip('lb'), { timeout: 2000, interval: 10 }).toBe('10.0.0.200');
    await expect.poll(() => ip('fixed'), { timeout: 2000, interval: 10 }).toBe('10.0.0.250');
    expect(ip('internal')).toBeUndefined();
  });

  it('keeps EndpointSlices and Endpoints in step with ready pods, resolving named target ports', async () => {
    sim.controllers.rollouts({ delayMs: 5 });
    sim.controllers.endpointSlices();
    sim.store.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
    sim.store.create(deployment('web', 2));
    const slice = () => sim.store.list('discovery.k8s.io/v1', 'EndpointSlice', 'default', { labelSelector: 'kubernetes.io/service-name=web' })[0];
    await expect.poll(() => (slice()?.endpoints as unknown[] | undefined)?.length, { timeout: 2000, interval: 10 }).toBe(2);
    expect(slice()?.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const podIps = podsOf('web').map((p) => statusOf(p).podIP).sort();
    expect((slice()!.endpoints as Array<{ addresses: string[]; conditions: { ready: boolean } }>).map((e) => e.addresses[0]).sort()).toEqual(podIps);
    const endpoints = sim.store.get('v1', 'Endpoints', 'web');
    expect((endpoints?.subsets as Array<{ addresses: unknown[] }>)[0]!.addresses).toHaveLength(2);
  });
});

describe('sidecar injection and jobs', () => {
  beforeEach(() => {
    sim.addNodes('default', [{ name: 'kind-control-plane', role: 'control-plane' }]);
  });

  it('injects istio-proxy into pods of labelled namespaces, unless a pod opts out', async () => {
    sim.controllers.sidecarInjection();
    sim.controllers.pods({ delayMs: 0 });
    sim.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mesh', labels: { 'istio-injection': 'enabled' } } });
    const pod = (name: string, labels: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'mesh', labels }, spec: { containers: [{ name: 'app', image: 'app' }] } });
    const injected = sim.store.create(pod('in'));
    const skipped = sim.store.create(pod('out', { 'sidecar.istio.io/inject': 'false' }));
    const names = (p: KubeObject) => (p.spec as { containers: Array<{ name: string }> }).containers.map((c) => c.name);
    expect(names(injected)).toEqual(['app', 'istio-proxy']);
    expect(injected.metadata.annotations?.['kubectl.kubernetes.io/default-container']).toBe('app');
    expect(names(skipped)).toEqual(['app']);
    await expect.poll(() => (statusOf(sim.store.get('v1', 'Pod', 'in', 'mesh')).containerStatuses as unknown[] | undefined)?.length, { timeout: 2000, interval: 10 }).toBe(2);
  });

  it('completes Jobs', async () => {
    sim.controllers.jobs({ delayMs: 5 });
    sim.store.create({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'once', namespace: 'default' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } });
    await expect.poll(() => statusOf(sim.store.get('batch/v1', 'Job', 'once')).succeeded, { timeout: 2000, interval: 10 }).toBe(1);
    const conditions = statusOf(sim.store.get('batch/v1', 'Job', 'once')).conditions as Array<{ type: string }>;
    expect(conditions.map((c) => c.type)).toContain('Complete');
    expect(sim.store.list('v1', 'Pod', 'default', { labelSelector: 'job-name=once' }).map((p) => statusOf(p).phase)).toEqual(['Succeeded']);
  });
});

describe('kind clusters', () => {
  it('bootstraps a kind-like cluster: tainted control plane, labelled workers, system workloads ready', async () => {
    const res = await fetch(`${sim.url}/_sim/clusters`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'lab', nodes: [{ name: 'lab-control-plane', role: 'control-plane' }, { name: 'lab-worker', role: 'worker', labels: { ingress: 'yes' }, kubeletVersion: 'v1.34.11' }] }),
    });
    expect(await res.json()).toEqual({ name: 'lab', url: `${sim.url}/clusters/lab`, secureUrl: `${sim.secureUrl}/clusters/lab` });
    const lab = sim.cluster('lab');
    expect(lab.kubernetesVersion).toBe('v1.34.11');
    const nodes = lab.list('v1', 'Node');
    expect(nodes.map((n) => n.metadata.name)).toEqual(['lab-control-plane', 'lab-worker']);
    expect((nodes[0]!.spec as { taints?: unknown[] }).taints).toEqual([{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]);
    expect(nodes[1]!.metadata.labels).toMatchObject({ ingress: 'yes', 'kubernetes.io/hostname': 'lab-worker' });
    expect(statusOf(lab.get('apps/v1', 'Deployment', 'coredns', 'kube-system')).readyReplicas).toBe(2);
    expect(statusOf(lab.get('apps/v1', 'DaemonSet', 'kube-proxy', 'kube-system')).numberReady).toBe(2);
    const systemPods = lab.list('v1', 'Pod', 'kube-system');
    expect(systemPods.every((p) => statusOf(p).phase === 'Running')).toBe(true);
    expect(systemPods.map((p) => p.metadata.name)).toContain('etcd-lab-control-plane');
    expect(lab.get('storage.k8s.io/v1', 'StorageClass', 'standard')).toBeDefined();
    // The default cluster is untouched.
    expect(sim.store.list('v1', 'Node')).toEqual([]);
  });
});
