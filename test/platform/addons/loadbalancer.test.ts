import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClusterContext, HostContext } from '../../../src/platform/addons/context.js';
import {
  CPK_CONTAINER,
  allocatePools,
  cloudProviderKindRunArgs,
  ensureCloudProviderKind,
  installMetallb,
  metallbManifestUrl,
  hostCannotReachLbIps,
  poolRange,
  reservePools,
} from '../../../src/platform/addons/loadbalancer.js';
import { FakeClock, FakeCluster, FakeRunner, daemonSet, deployment, settle } from '../kind/fakes.js';

const pins = {
  cloudProviderKindImage: 'registry.k8s.io/cloud-provider-kind/cloud-controller-manager:v0.11.1',
  ingressNginx: { chart: '4.15.1' },
  metallb: 'v0.16.1',
  gatewayApi: 'v1.6.1',
};

/** A Docker engine on which the cloud-provider-kind container runs once `docker run` started it. */
function engineStartingCpk(): FakeRunner {
  let running = false;
  return new FakeRunner()
    .when(`inspect --format {{.State.Running}} ${CPK_CONTAINER}`, () => (running ? { stdout: 'true\n' } : { exitCode: 1, stderr: 'No such object' }))
    .when('docker run', () => {
      running = true;
      return { stdout: 'abc123\n' };
    });
}

function host(runner: FakeRunner): HostContext {
  return { runner, clock: new FakeClock(), tools: { kind: 'kind', kubectl: 'kubectl', docker: 'docker' }, env: {}, status: () => undefined, pins, stateDir: '/s', labDir: '/l' };
}

describe('cloud-provider-kind', () => {
  it('runs as one shared, kindlab-labelled container with the Docker socket and the host network', () => {
    expect(cloudProviderKindRunArgs({ image: pins.cloudProviderKindImage, portMapping: false, dockerSocket: '/var/run/docker.sock' })).toEqual([
      'run',
      '-d',
      '--name',
      'kindlab-cloud-provider-kind',
      '--label',
      'dev.kindlab.owned=true',
      '--label',
      'dev.kindlab.scope=shared',
      '--label',
      'dev.kindlab.args=--enable-default-ingress=false --gateway-channel standard',
      '--network',
      'host',
      '-v',
      '/var/run/docker.sock:/var/run/docker.sock',
      'registry.k8s.io/cloud-provider-kind/cloud-controller-manager:v0.11.1',
      '--enable-default-ingress=false',
      '--gateway-channel',
      'standard',
    ]);
  });

  it('knows where the host cannot reach LB IPs (Docker Desktop, macOS, Windows)', () => {
    expect(hostCannotReachLbIps('linux', 'Debian GNU/Linux 12 (bookworm)')).toBe(false);
    expect(hostCannotReachLbIps('linux', 'Docker Desktop')).toBe(true);
    expect(hostCannotReachLbIps('darwin', '')).toBe(true);
    expect(cloudProviderKindRunArgs({ image: 'i', portMapping: true, dockerSocket: '/s' }).at(-1)).toBe('--enable-lb-port-mapping');
  });

  it('publishes no LB port on the host, Docker Desktop included, unless a lab asks for it', async () => {
    // v0.11.1 with --enable-lb-port-mapping binds each port of an IPv4 Service on 0.0.0.0 at the same
    // number: a second LB on :80 could not start, and the LAN would reach the lab's services.
    const start = async (settings: { portMapping?: boolean }, hostPlatform: NodeJS.Platform, dockerOperatingSystem: string) => {
      const runner = engineStartingCpk();
      const statuses: string[] = [];
      await ensureCloudProviderKind({ ...host(runner), status: (m) => void statuses.push(m) }, settings, { hostPlatform, dockerOperatingSystem });
      const call = runner.find('docker run')[0];
      return { run: call ? [call.command, ...call.args].join(' ') : '', statuses };
    };
    for (const [platform, os] of [['darwin', ''], ['win32', ''], ['linux', 'Docker Desktop'], ['linux', 'Ubuntu 24.04.3 LTS']] as const) {
      const { run } = await start({}, platform, os);
      expect(run, `${platform} ${os}`).toContain('--enable-default-ingress=false');
      expect(run, `${platform} ${os}`).not.toContain('--enable-lb-port-mapping');
    }
    // Docker Desktop users are told where LB IPs answer instead.
    expect((await start({}, 'darwin', '')).statuses.join('\n')).toMatch(/inside the kind network only.*port-forward on 127\.0\.0\.1/);
    expect((await start({}, 'linux', 'Ubuntu')).statuses.join('\n')).not.toMatch(/kind network only/);
    expect((await start({ portMapping: true }, 'darwin', '')).run).toContain('--enable-lb-port-mapping');
  });

  it('is started once and reused while it runs', async () => {
    const runner = engineStartingCpk();
    expect(await ensureCloudProviderKind(host(runner), {}, { hostPlatform: 'linux', dockerOperatingSystem: 'Ubuntu' })).toEqual({ started: true });
    expect(await ensureCloudProviderKind(host(runner), {}, { hostPlatform: 'linux', dockerOperatingSystem: 'Ubuntu' })).toEqual({ started: false });
    expect(runner.find('docker run')).toHaveLength(1);
  });

  it('defers to a cloud-provider-kind the user already runs', async () => {
    const runner = new FakeRunner()
      .when('inspect', { exitCode: 1 })
      .when('docker ps --format', { stdout: 'my-cpk\tregistry.k8s.io/cloud-provider-kind/cloud-controller-manager:v0.10.0\nweb\tnginx\n' });
    expect(await ensureCloudProviderKind(host(runner), {}, { hostPlatform: 'linux', dockerOperatingSystem: '' })).toEqual({ started: false });
    expect(runner.find('docker run')).toHaveLength(0);
  });

  it('replaces its own stopped container, but never a stopped one of that name that kindlab did not start', async () => {
    const ours = new FakeRunner()
      .when('inspect --format {{.State.Running}}', { stdout: 'false' })
      .when('dev.kindlab.owned', { stdout: 'true\n' })
      .when('docker run', { stdout: 'abc\n' });
    await ensureCloudProviderKind(host(ours), {}, { hostPlatform: 'linux', dockerOperatingSystem: '' }).catch(() => undefined);
    expect(ours.find('docker rm -f kindlab-cloud-provider-kind')).toHaveLength(1);

    const theirs = new FakeRunner().when('inspect --format {{.State.Running}}', { stdout: 'false' }).when('dev.kindlab.owned', { stdout: '\n' });
    await expect(ensureCloudProviderKind(host(theirs), {}, { hostPlatform: 'linux', dockerOperatingSystem: '' })).rejects.toMatchObject({
      message: 'Starting cloud-provider-kind: a stopped container named kindlab-cloud-provider-kind is in the way, and kindlab did not start it (no dev.kindlab.owned label)',
      fix: 'If it is yours to delete: docker rm kindlab-cloud-provider-kind; or start the lab with --load-balancer metallb.',
    });
    expect(theirs.find('docker rm')).toHaveLength(0);
  });

  it('reports the container log when it exits right after starting', async () => {
    let started = false;
    const runner = new FakeRunner()
      .when('inspect', () => (started ? { stdout: 'false' } : { exitCode: 1 }))
      .when('docker run', () => {
        started = true;
        return { stdout: 'abc\n' };
      })
      .when('docker logs', { stderr: 'Error: unknown flag: --gateway-channel' });
    await expect(ensureCloudProviderKind(host(runner), {}, { hostPlatform: 'linux', dockerOperatingSystem: '' })).rejects.toMatchObject({
      message: 'Starting cloud-provider-kind: cloud-provider-kind exited right after starting',
      details: ['Error: unknown flag: --gateway-channel'],
    });
  });
});

describe('MetalLB address pools', () => {
  it('carves 256-address blocks from the top of a /16, skipping the broadcast address', () => {
    expect(poolRange('172.18.0.0/16', 0)).toBe('172.18.255.0-172.18.255.254');
    expect(poolRange('172.18.0.0/16', 1)).toBe('172.18.254.0-172.18.254.255');
  });

  it('uses eighths of the upper half of smaller subnets, and says when there is no room', () => {
    expect(poolRange('192.168.50.0/24', 0)).toBe('192.168.50.224-192.168.50.254');
    expect(poolRange('192.168.50.0/24', 3)).toBe('192.168.50.128-192.168.50.159');
    expect(() => poolRange('192.168.50.0/24', 4)).toThrow(/no room for another MetalLB pool/);
  });

  it('gives each cluster a disjoint pool and frees pools of deleted clusters', () => {
    const table = allocatePools({}, [], ['kindlab-mc-c1', 'kindlab-mc-c2']);
    expect(table).toEqual({ 'kindlab-mc-c1': 0, 'kindlab-mc-c2': 1 });
    // c1 was deleted; a new lab gets its index, c2 keeps its own.
    expect(allocatePools(table, ['kindlab-mc-c2'], ['kindlab-other'])).toEqual({ 'kindlab-mc-c2': 1, 'kindlab-other': 0 });
    const ranges = Object.values(allocatePools({}, [], ['a', 'b', 'c'])).map((i) => poolRange('172.18.0.0/16', i));
    expect(new Set(ranges).size).toBe(3);
  });

  it('keeps the table in the state directory across runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kindlab-pools-'));
    try {
      await reservePools(dir, [], ['kindlab-a']);
      expect(await reservePools(dir, ['kindlab-a'], ['kindlab-b'])).toEqual({ 'kindlab-a': 0, 'kindlab-b': 1 });
      expect(JSON.parse(readFileSync(join(dir, 'metallb-pools.json'), 'utf8'))).toEqual({ 'kindlab-a': 0, 'kindlab-b': 1 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('installs the pinned manifest, waits for controller and speaker, then creates the pool (retrying while the webhook starts)', async () => {
    const runner = new FakeRunner();
    const kube = new FakeCluster();
    kube.failApply = { times: 2, message: 'Internal error occurred: failed calling webhook "ipaddresspoolvalidationwebhook.metallb.io": connection refused' };
    const ctx: ClusterContext = {
      ...host(runner),
      clusterName: '',
      kindName: 'kindlab-lb',
      access: { kubeconfig: '/s/kubeconfig', context: 'kind-kindlab-lb' },
      kube,
    };
    kube.set(deployment('metallb-system', 'controller', false));
    kube.set(daemonSet('metallb-system', 'speaker', 0, 2));
    const p = installMetallb(ctx, '172.18.255.0-172.18.255.254');
    await settle();
    expect(runner.lines()).toEqual([`kubectl --kubeconfig /s/kubeconfig --context kind-kindlab-lb apply -f ${metallbManifestUrl('v0.16.1')}`]);
    expect(metallbManifestUrl('v0.16.1')).toBe('https://raw.githubusercontent.com/metallb/metallb/v0.16.1/config/manifests/metallb-native.yaml');
    expect(kube.applied).toHaveLength(0);
    kube.set(deployment('metallb-system', 'controller', true));
    kube.set(daemonSet('metallb-system', 'speaker', 2, 2));
    await p;
    expect(kube.applied.map((o) => [o.kind, o.spec])).toEqual([
      ['IPAddressPool', { addresses: ['172.18.255.0-172.18.255.254'] }],
      ['L2Advertisement', { ipAddressPools: ['kindlab'] }],
    ]);
  });
});
