/**
 * The fake istioctl, docker, helm and cloud-provider-kind, and the harness's own features (scripted
 * failures, tools off PATH, the fake Istio release tree).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
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

describe('fake istioctl, docker, helm and cloud-provider-kind', () => {
  const KC = () => `--kubeconfig ${join(h.dir, 'kc-i')} --context kind-mesh`;
  beforeAll(async () => {
    expect((await sh(`kind create cluster --name mesh --kubeconfig ${join(h.dir, 'kc-i')}`)).code).toBe(0);
  });

  it('fails loudly (exit 64, "not simulated") on a command no fake simulates, never exits 0', async () => {
    for (const cmd of ['kubectl certificate approve x', 'kind export logs', 'docker buildx ls', 'helm repo index .', 'helm plugin list', 'istioctl bug-report']) {
      const r = await sh(cmd);
      expect({ cmd, code: r.code }).toEqual({ cmd, code: 64 });
      expect(r.stderr).toContain('not simulated');
    }
  });

  it('docker cp goes through the container (fails when the copy cannot be made, never pretends)', async () => {
    await writeFile(join(h.dir, 'note.txt'), 'copied\n');
    // This harness models no filesystem in the node (the lab runs install one): the copy is refused.
    const into = await sh(`docker cp ${join(h.dir, 'note.txt')} mesh-control-plane:/etc/kindlab/note.txt`);
    expect(into.code).not.toBe(0);
    expect((await sh(`docker cp ${join(h.dir, 'missing')} mesh-control-plane:/tmp/x`)).stderr).toContain('no such file or directory');
    expect((await sh(`docker cp ${join(h.dir, 'note.txt')} nosuch:/tmp/x`)).stderr).toContain('No such container: nosuch');
  });

  it('installs the profile control plane and reports versions', async () => {
    expect(JSON.parse((await sh('istioctl version --remote=false -o json')).stdout)).toMatchObject({ clientVersion: { version: '1.31.1' } });
    const install = await sh(`istioctl install ${KC()} --skip-confirmation --set profile=default`);
    expect(install.code).toBe(0);
    expect(install.stdout).toContain('✔ Installation complete');
    const mesh = h.sim.cluster('mesh');
    expect(mesh.list('apps/v1', 'Deployment', 'istio-system').map((d) => d.metadata.name)).toEqual(['istio-ingressgateway', 'istiod']);
    const webhook = mesh.get('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', 'istio-sidecar-injector');
    expect(webhook?.metadata.labels).toMatchObject({ app: 'sidecar-injector' });
    expect(mesh.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'virtualservices.networking.istio.io')).toBeDefined();
    expect((await sh(`istioctl version ${KC()}`)).stdout).toContain('control plane version: 1.31.1');
    // analyze looks at the cluster: default is not labelled for injection yet (IST0102, Info, exit 0).
    expect(await sh(`istioctl analyze ${KC()}`)).toMatchObject({ code: 0, stdout: expect.stringContaining('Info [IST0102] (Namespace default) The namespace is not enabled for Istio injection.') });
    await sh(`kubectl ${KC()} label namespace default istio-injection=enabled`);
    expect(await sh(`istioctl analyze ${KC()}`)).toMatchObject({ code: 0, stdout: '', stderr: '✔ No validation issues found when analyzing namespace: default.\n' });
    await sh(`kubectl ${KC()} label namespace default istio-injection-`);
    const scripted = await sh(`istioctl analyze ${KC()}`, { KINDLAB_FAKE_ANALYZE: JSON.stringify({ output: 'Error [IST0101] nope\n', exitCode: 79 }) });
    expect(scripted).toMatchObject({ code: 79, stdout: 'Error [IST0101] nope\n' });
  });

  it('prechecks, reports proxies, makes remote secrets and uninstalls (leaving the namespace, as istioctl does)', async () => {
    const clean = await sh(`istioctl x precheck ${KC()}`);
    expect(clean).toMatchObject({ code: 0, stdout: '' });
    expect(clean.stderr).toContain('✔ No issues found when checking the cluster.');
    // A Gateway API CRD from before v1 (GRPCRoute v1alpha2 only): a warning, and istioctl fails.
    const mesh0 = h.sim.cluster('mesh');
    const grpcroutes = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'grpcroutes.gateway.networking.k8s.io' },
      spec: {
        group: 'gateway.networking.k8s.io',
        scope: 'Namespaced',
        names: { kind: 'GRPCRoute', plural: 'grpcroutes', singular: 'grpcroute', listKind: 'GRPCRouteList' },
        versions: [{ name: 'v1alpha2', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }],
      },
    };
    mesh0.create(grpcroutes);
    const warned = await sh(`istioctl x precheck ${KC()}`);
    expect(warned.code).toBe(1);
    expect(warned.stdout).toBe('\x1b[33mWarning\x1b[0m [IST0172] (CustomResourceDefinition grpcroutes.gateway.networking.k8s.io) The Gateway API CRD version v1alpha2 is lower than the minimum version: v1\n');
    expect(warned.stderr).toMatch(/^Error: Issues found when checking the cluster\. Istio may not be safe to install or upgrade\./);
    mesh0.delete('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'grpcroutes.gateway.networking.k8s.io');
    const secret = parse((await sh(`istioctl create-remote-secret ${KC()} --name mesh`)).stdout) as { kind: string; metadata: { labels: Record<string, string> }; stringData: Record<string, string> };
    expect(secret).toMatchObject({ kind: 'Secret', metadata: { labels: { 'istio/multiCluster': 'true' } } });
    expect(secret.stringData.mesh).toContain(`server: ${h.sim.secureUrl}/clusters/mesh`);
    expect((await sh(`istioctl proxy-status ${KC()}`)).stdout.split('\n')[0]).toMatch(/^NAME\s+CLUSTER\s+CDS/);

    expect((await sh(`istioctl uninstall --purge --skip-confirmation ${KC()}`)).stdout).toBe('✔ Uninstall complete\n');
    const mesh = h.sim.cluster('mesh');
    expect(mesh.list('apps/v1', 'Deployment', 'istio-system')).toEqual([]);
    expect(mesh.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'virtualservices.networking.istio.io')).toBeUndefined();
    expect(mesh.get('v1', 'Namespace', 'istio-system')).toBeDefined();
  });

  it('docker reports a plausible engine, runs containers and execs into nodes', async () => {
    const info = JSON.parse((await sh(`docker info --format '{{json .}}'`)).stdout) as { NCPU: number; MemTotal: number; OSType: string };
    expect(info).toMatchObject({ NCPU: 8, MemTotal: 16 * 1024 ** 3, OSType: 'linux' });
    await writeFile(join(h.dir, 'info.json'), JSON.stringify({ OperatingSystem: 'Docker Desktop', NCPU: 2 }));
    expect((await sh(`docker info --format '{{.OperatingSystem}}'`, { KINDLAB_FAKE_DOCKER_INFO: join(h.dir, 'info.json') })).stdout).toBe('Docker Desktop\n');
    expect((await sh(`docker network inspect kind --format '{{json .IPAM.Config}}'`)).stdout).toContain('"Subnet":"172.18.0.0/16"');

    const run = await sh('docker run -d --name cpk --label dev.kindlab.owned=true --network host registry.k8s.io/cloud-provider-kind/cloud-controller-manager:v0.11.1 --gateway-channel standard');
    expect(run.stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
    expect((await sh(`docker inspect --format '{{.State.Running}}' cpk`)).stdout).toBe('true\n');
    const dup = await sh('docker run -d --name cpk busybox');
    expect(dup.code).toBe(125);
    expect(dup.stderr).toContain('is already in use');
    // A cloud-provider-kind container turns on the sim's LoadBalancer controller, as the real one assigns IPs.
    expect(h.sim.requests.some((r) => r.method === 'POST' && r.path === '/_sim/controllers/loadBalancers')).toBe(true);

    h.sim.onExec = ({ node, cluster, command, stdin }) => ({ stdout: `${cluster}/${node}: ${command.join(' ')}${stdin ? ` <${stdin}>` : ''}\n` });
    expect((await sh('docker exec mesh-control-plane crictl images')).stdout).toBe('mesh/mesh-control-plane: crictl images\n');
    // What is piped into `docker exec -i` reaches the handler (kindlab writes registry mirror files this way).
    expect((await sh(`printf 'server = "x"' | docker exec -i mesh-control-plane sh -c 'cat > "$1"' kindlab /etc/hosts.toml`)).stdout).toBe(
      'mesh/mesh-control-plane: sh -c cat > "$1" kindlab /etc/hosts.toml <server = "x">\n',
    );
    expect((await sh('docker rm -f cpk')).stdout).toBe('cpk\n');
    const inspected = await sh('docker inspect cpk');
    expect(inspected.code).toBe(1);
    expect(inspected.stderr).toBe('Error: No such object: cpk\n');
  });

  it('helm installs ingress-nginx as a release with its controller', async () => {
    expect((await sh('helm version --short')).stdout).toMatch(/^v4\.2\.4\+g/);
    const r = await sh(`helm upgrade --install ingress-nginx ingress-nginx/ingress-nginx -n ingress-nginx --create-namespace --kubeconfig ${join(h.dir, 'kc-i')} --kube-context kind-mesh --wait`);
    expect(r.code).toBe(0);
    const mesh = h.sim.cluster('mesh');
    expect(mesh.get('apps/v1', 'Deployment', 'ingress-nginx-controller', 'ingress-nginx')).toBeDefined();
    expect(mesh.list('v1', 'Secret', 'ingress-nginx', { labelSelector: 'owner=helm,name=ingress-nginx' })).toHaveLength(1);
  });

  it('cloud-provider-kind reports its version', async () => {
    expect((await sh('cloud-provider-kind version')).stdout).toBe('cloud-provider-kind 0.11.1\n');
  });
});

describe('harness', () => {
  it('scripts failures and removes tools from PATH', async () => {
    await h.failWhen({ tool: 'kind', match: 'create cluster', exitCode: 1, stderr: 'ERROR: failed to create cluster: boom\n', times: 1 });
    const failed = await sh('kind create cluster --name flaky');
    expect(failed).toMatchObject({ code: 1, stderr: 'ERROR: failed to create cluster: boom\n' });
    expect(h.calls('kind').at(-1)?.rule).toBe('create cluster');
    expect((await sh('kind create cluster --name flaky')).code).toBe(0); // the rule was used up

    await h.removeTool('helm');
    const gone = await sh('command -v helm || echo missing');
    expect(gone.stdout).toBe('missing\n');
    // The machine's own tools never leak in: only fakes answer for the faked names.
    expect((await sh('command -v docker')).stdout.trim()).toBe(join(h.binDir, 'docker'));
    expect((await sh('node --version')).stdout).toMatch(/^v24\./);
  });

  it('gives istioctl a release tree, so ISTIO_HOME can be found from it', async () => {
    const r = await sh('readlink -f "$(command -v istioctl)"');
    expect(r.stdout.trim()).toBe(join(h.istioHome, 'bin', 'istioctl'));
    const bookinfo = await readFile(join(h.istioHome, 'samples/bookinfo/platform/kube/bookinfo.yaml'), 'utf8');
    expect(bookinfo).toContain('name: reviews-v3');
  });
});
