/**
 * The fake `kind`, run as a real process through the harness: clusters in the sim, node containers
 * in the fakes' state, kubeconfigs the real KubeClient can use, and a call log.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { createKubeClientFactory } from '../../src/platform/kube.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimHarness, type SimHarness } from './harness.js';

let h: SimHarness;
beforeAll(async () => {
  h = await createSimHarness();
});
afterAll(async () => {
  await h.cleanup();
});

const sh = (script: string, extraEnv?: Record<string, string>) => h.sh(script, extraEnv);

const KIND_CONFIG = `kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
    image: kindest/node:v1.35.8@sha256:07b2536e30b803ed61d1677a79df6115f798ce64c80f9e22f6ed45afd09323c0
    extraPortMappings:
      - containerPort: 30080
        hostPort: 8080
        listenAddress: 127.0.0.1
  - role: worker
    labels:
      ingress-ready: "true"
  - role: worker
`;

describe('fake kind', () => {
  it('creates a cluster the real KubeClient can use, records the call and the config, and deletes it', async () => {
    await writeFile(join(h.dir, 'kind.yaml'), KIND_CONFIG);
    const kubeconfig = join(h.dir, 'lab', 'kubeconfig');
    const created = await sh(`kind create cluster --name lab1 --config kind.yaml --kubeconfig ${kubeconfig} --wait 0s`);
    expect(created.code).toBe(0);
    expect(created.stderr).toContain('Set kubectl context to "kind-lab1"');

    const call = h.calls('kind').find((c) => c.argv[0] === 'create')!;
    expect(call.argv).toEqual(['create', 'cluster', '--name', 'lab1', '--config', 'kind.yaml', '--kubeconfig', kubeconfig, '--wait', '0s']);
    expect(call.config).toBe(KIND_CONFIG);
    expect(call.cwd).toBe(h.dir);

    const kube = createKubeClientFactory()(kubeconfig, 'kind-lab1');
    const nodes = await kube.list({ apiVersion: 'v1', kind: 'Node' });
    expect(nodes.map((n) => n.metadata.name)).toEqual(['lab1-control-plane', 'lab1-worker', 'lab1-worker2']);
    expect(nodes[1]!.metadata.labels).toMatchObject({ 'ingress-ready': 'true' });
    expect((nodes[0]!.status as { nodeInfo: { kubeletVersion: string } }).nodeInfo.kubeletVersion).toBe('v1.35.8');

    // Node containers as docker shows them, with the kind labels and published ports.
    const ps = await sh(`docker ps --all --no-trunc --filter label=io.x-k8s.kind.cluster=lab1 --format '{{json .}}'`);
    const rows = ps.stdout.trim().split('\n').map((l) => JSON.parse(l) as { Names: string; Labels: string; Ports: string; ID: string });
    expect(rows.map((r) => r.Names)).toEqual(['lab1-control-plane', 'lab1-worker', 'lab1-worker2']);
    expect(rows[0]!.Labels).toContain('io.x-k8s.kind.role=control-plane');
    expect(rows[0]!.Ports).toContain('127.0.0.1:8080->30080/tcp');
    expect(rows[0]!.ID).toHaveLength(64);
    const ip = await sh(`docker inspect --format '{{json .NetworkSettings.Networks}}' lab1-worker`);
    expect(JSON.parse(ip.stdout).kind.IPAddress).toMatch(/^172\.18\.0\.\d+$/);

    expect((await sh('kind get clusters')).stdout.trim().split('\n')).toContain('lab1');
    expect((await sh('kind get nodes --name lab1')).stdout.trim().split('\n')).toHaveLength(3);
    const exported = parse((await sh('kind get kubeconfig --name lab1')).stdout) as { contexts: Array<{ name: string }> };
    expect(exported.contexts.map((c) => c.name)).toEqual(['kind-lab1']);

    const again = await sh(`kind create cluster --name lab1 --kubeconfig ${kubeconfig}`);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('node(s) already exist for a cluster with the name "lab1"');

    expect((await sh(`kind delete cluster --name lab1 --kubeconfig ${kubeconfig}`)).code).toBe(0);
    expect(h.state().containers.filter((c) => c.labels['io.x-k8s.kind.cluster'] === 'lab1')).toEqual([]);
    expect(h.sim.hasCluster('lab1')).toBe(false);
    expect((parse(await readFile(kubeconfig, 'utf8')) as { contexts: unknown[] }).contexts).toEqual([]);
  });

  it('reports its version', async () => {
    expect((await sh('kind version')).stdout).toBe('kind v0.33.0 go1.25.1 linux/amd64\n');
    expect((await sh('kind version', { KINDLAB_FAKE_KIND_VERSION: 'v0.31.0' })).stdout).toMatch(/^kind v0\.31\.0 /);
  });
});
