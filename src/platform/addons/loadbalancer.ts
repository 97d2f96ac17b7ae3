/**
 * LoadBalancer Services on kind: the two addons that give them IPs, cloud-provider-kind and MetalLB.
 * A lab uses one of them (`--load-balancer` swaps them for a run), so they share this module.
 *
 * cloud-provider-kind (the default; what kind's docs point to) runs outside the clusters, as one
 * container serving every kind cluster on the host: for each LoadBalancer Service it starts an Envoy
 * container on the `kind` network and writes its IP into the Service status. kindlab starts it once,
 * shares it between labs, and `down` removes it when no kindlab cluster is left.
 * Flags (cloud-provider-kind cmd/app.go, v0.11.1):
 *  - --enable-default-ingress=false: otherwise its IngressClass becomes the cluster default and
 *    grabs class-less Ingresses meant for ingress-nginx. One setting for all labs, because the
 *    container is shared; labs name their IngressClass explicitly.
 *  - --gateway-channel standard: it installs Gateway API CRDs of that channel if absent.
 *  - no --enable-lb-port-mapping, unless a lab asks for it (`portMapping: true`), on every platform.
 *    With the flag, v0.11.1 publishes every port of an IPv4 Service on the host at the same number
 *    on all interfaces (`--publish=0.0.0.0:<port>:<port>`, pkg/loadbalancer/server.go
 *    createLoadBalancer/listenAddressForService; pkg/gateway/envoy.go does the same for Gateway
 *    listeners): a second load balancer on a port already taken (two gateways on :80, two labs at
 *    once) fails to start, and the labs' services become reachable from the LAN. v0.11.1 has no
 *    flag or variable for the host address. kindlab needs no host port: checks send their requests
 *    from a kind node container (src/checks/vantage.ts), which reaches LB IPs on the `kind` network
 *    on every platform. On Docker Desktop the host itself cannot reach LB IPs (no route into the
 *    VM), which is what the flag was for; there the labs say to `docker exec` into a node, and
 *    `kubectl port-forward` on 127.0.0.1 serves a browser. Left alone: cloud-provider-kind turns
 *    its tunnel mode (with the same publishing) on by itself when /proc/version names a WSL2
 *    kernel (cmd/app.go isWSL2), which a container on a WSL2-backed engine may see; and every
 *    Envoy's admin port and exposed ports are published on random host ports (`--publish-all`)
 *    whatever the flags.
 *
 * MetalLB is the fallback (e.g. when the Docker socket cannot be mounted): in-cluster, L2 mode, with
 * an address pool carved from the `kind` Docker network. Pools of different clusters never overlap.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { KindlabError, toMessage } from '../../core/errors.js';
import type { KubeObject } from '../../core/seams.js';
import { listKindClusters } from '../kind/cluster.js';
import { hasKindlabPrefix, OWNED_LABEL, SCOPE_LABEL } from '../kind/names.js';
import { kubectlArgs, mustRun, outputTail, phaseError } from '../kind/run.js';
import { waitForWorkloads } from '../kind/wait.js';
import { DEFAULT_ADDON_TIMEOUT_MS, type ClusterContext, type HostContext } from './context.js';
import { clustersSetting, type ClusterAddon, type HostAddon } from './types.js';

const cloudProviderKindSettings = z.strictObject({
  /** Force --enable-lb-port-mapping (on by default with Docker Desktop, where LB IPs are not routable). */
  portMapping: z.boolean().optional(),
  /** The Docker socket as the daemon sees it; /var/run/docker.sock unless the engine is rootless. */
  dockerSocket: z.string().startsWith('/').optional(),
});
type CloudProviderKindSettings = z.infer<typeof cloudProviderKindSettings>;

export const CPK_CONTAINER = 'kindlab-cloud-provider-kind';
const PHASE_CPK = 'Starting cloud-provider-kind';
const PHASE_METALLB = 'Installing MetalLB';

export interface CloudProviderKindOptions {
  image: string;
  portMapping: boolean;
  dockerSocket: string;
}

/** `docker run` arguments for the shared cloud-provider-kind container. */
export function cloudProviderKindRunArgs(o: CloudProviderKindOptions): string[] {
  const flags = ['--enable-default-ingress=false', '--gateway-channel', 'standard', ...(o.portMapping ? ['--enable-lb-port-mapping'] : [])];
  return [
    'run',
    '-d',
    '--name',
    CPK_CONTAINER,
    '--label',
    `${OWNED_LABEL}=true`,
    '--label',
    `${SCOPE_LABEL}=shared`,
    '--label',
    `dev.kindlab.args=${flags.join(' ')}`,
    // Host network, as in the README: it tries each cluster's internal endpoint, then the 127.0.0.1 one
    // (pkg/controller/controller.go), and the host network reaches both.
    '--network',
    'host',
    '-v',
    `${o.dockerSocket}:/var/run/docker.sock`,
    o.image,
    ...flags,
  ];
}

/** Docker Desktop (and any engine inside a VM on macOS/Windows) cannot route to LB IPs from the host. */
export function hostCannotReachLbIps(hostPlatform: NodeJS.Platform, dockerOperatingSystem: string): boolean {
  return hostPlatform === 'darwin' || hostPlatform === 'win32' || /docker desktop/i.test(dockerOperatingSystem);
}

async function inspectRunning(ctx: HostContext, name: string): Promise<'running' | 'stopped' | 'absent'> {
  const r = await ctx.runner.run(ctx.tools.docker, ['inspect', '--format', '{{.State.Running}}', name], { env: ctx.env, signal: ctx.signal });
  if (r.exitCode !== 0) return 'absent';
  return r.stdout.trim() === 'true' ? 'running' : 'stopped';
}

/** Another cloud-provider-kind the user runs themselves: two controllers would fight over the Services. */
async function foreignCloudProviderKind(ctx: HostContext): Promise<string | undefined> {
  const r = await ctx.runner.run(ctx.tools.docker, ['ps', '--format', '{{.Names}}\t{{.Image}}'], { env: ctx.env, signal: ctx.signal });
  if (r.exitCode !== 0) return undefined;
  return r.stdout
    .split('\n')
    .map((l) => l.split('\t'))
    .find(([name, image]) => name && name !== CPK_CONTAINER && (image ?? '').includes('cloud-provider-kind'))?.[0];
}

export async function ensureCloudProviderKind(
  ctx: HostContext,
  settings: CloudProviderKindSettings,
  env: { hostPlatform: NodeJS.Platform; dockerOperatingSystem: string },
): Promise<{ started: boolean }> {
  const state = await inspectRunning(ctx, CPK_CONTAINER);
  if (state === 'running') {
    ctx.status('cloud-provider-kind is already running (shared by all labs)');
    return { started: false };
  }
  const foreign = await foreignCloudProviderKind(ctx);
  if (foreign) {
    ctx.status(`Using the cloud-provider-kind you already run (container ${foreign})`);
    return { started: false };
  }
  if (state === 'stopped') {
    // Only kindlab's own stopped container is replaced; one of that name someone else made is theirs.
    const label = await ctx.runner.run(ctx.tools.docker, ['inspect', '--format', `{{index .Config.Labels "${OWNED_LABEL}"}}`, CPK_CONTAINER], { env: ctx.env, signal: ctx.signal });
    if (label.stdout.trim() !== 'true') {
      throw phaseError(PHASE_CPK, `a stopped container named ${CPK_CONTAINER} is in the way, and kindlab did not start it (no ${OWNED_LABEL} label)`, {
        fix: `If it is yours to delete: docker rm ${CPK_CONTAINER}; or start the lab with --load-balancer metallb.`,
      });
    }
    await ctx.runner.run(ctx.tools.docker, ['rm', '-f', CPK_CONTAINER], { env: ctx.env });
  }

  const args = cloudProviderKindRunArgs({
    image: ctx.pins.cloudProviderKindImage,
    portMapping: settings.portMapping ?? false,
    dockerSocket: settings.dockerSocket ?? '/var/run/docker.sock',
  });
  ctx.status('Starting cloud-provider-kind (LoadBalancer IPs for every kind cluster)');
  if (!settings.portMapping && hostCannotReachLbIps(env.hostPlatform, env.dockerOperatingSystem)) {
    ctx.status('LoadBalancer IPs answer inside the kind network only (the labs send requests from a node container); for a browser, use kubectl port-forward on 127.0.0.1');
  }
  const r = await ctx.runner.run(ctx.tools.docker, args, { env: ctx.env, signal: ctx.signal, timeoutMs: 10 * 60_000 });
  // Two labs starting at once: the other one won the name, and its container serves us too.
  if (r.exitCode !== 0 && !/is already in use/i.test(r.stderr)) {
    throw phaseError(PHASE_CPK, 'could not start the cloud-provider-kind container', {
      result: r,
      fix: 'If the Docker socket cannot be mounted (rootless Docker, some Podman setups), run again with --load-balancer metallb.',
    });
  }
  // A bad flag or an unreadable socket makes it exit at once; catch that here rather than as a
  // Service that stays <pending> later.
  await ctx.clock.sleep(1500, ctx.signal);
  if ((await inspectRunning(ctx, CPK_CONTAINER)) !== 'running') {
    const logs = await ctx.runner.run(ctx.tools.docker, ['logs', '--tail', '30', CPK_CONTAINER], { env: ctx.env });
    throw phaseError(PHASE_CPK, 'cloud-provider-kind exited right after starting', { details: outputTail(logs) });
  }
  return { started: r.exitCode === 0 };
}

// ---------------------------------------------------------------- MetalLB

export function metallbManifestUrl(version: string): string {
  return `https://raw.githubusercontent.com/metallb/metallb/${version}/config/manifests/metallb-native.yaml`;
}

const ipToInt = (ip: string) => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
const intToIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/**
 * The address range for pool `index` in an IPv4 subnet, carved from the top: Docker hands out
 * container addresses from the bottom, so the top stays free. Blocks are 256 addresses in a /16 (the
 * usual `kind` network), an eighth of smaller subnets, and only the upper half is ever used.
 */
export function poolRange(subnet: string, index: number): string {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(subnet);
  if (!m) throw new KindlabError('environment', `cannot carve a MetalLB pool from subnet "${subnet}"`);
  const prefix = Number(m[2]);
  const size = 2 ** (32 - prefix);
  const base = ipToInt(m[1] as string) - (ipToInt(m[1] as string) % size);
  const block = Math.min(256, size / 8);
  if (block < 4 || (index + 1) * block > size / 2) {
    throw new KindlabError('environment', `the kind network ${subnet} has no room for another MetalLB pool (${index + 1} clusters use MetalLB)`, {
      fix: 'Delete labs you no longer need (kindlab down <lab>).',
    });
  }
  const last = base + size - 1 - index * block;
  const first = last - block + 1;
  // Skip the subnet's broadcast address in the top block.
  return `${intToIp(first)}-${intToIp(index === 0 ? last - 1 : last)}`;
}

/**
 * Gives each cluster the lowest pool index no live cluster holds. `held` is the saved table
 * (cluster → index); entries of clusters that no longer exist are dropped.
 */
export function allocatePools(held: Record<string, number>, live: readonly string[], wanted: readonly string[]): Record<string, number> {
  const table: Record<string, number> = {};
  for (const [cluster, index] of Object.entries(held)) if (live.includes(cluster) || wanted.includes(cluster)) table[cluster] = index;
  const used = new Set(Object.values(table));
  for (const cluster of wanted) {
    if (table[cluster] !== undefined) continue;
    let i = 0;
    while (used.has(i)) i++;
    table[cluster] = i;
    used.add(i);
  }
  return table;
}

/** Reads, updates and saves the host-wide pool table (<state>/metallb-pools.json). */
export async function reservePools(stateRoot: string, live: readonly string[], wanted: readonly string[]): Promise<Record<string, number>> {
  const file = join(stateRoot, 'metallb-pools.json');
  let held: Record<string, number>;
  try {
    held = JSON.parse(await readFile(file, 'utf8')) as Record<string, number>;
  } catch {
    held = {};
  }
  const table = allocatePools(held, live, wanted);
  await writeFile(file, `${JSON.stringify(table, null, 2)}\n`);
  return table;
}

/** The IPv4 subnet of the `kind` Docker network. */
export async function kindNetworkSubnet(ctx: HostContext): Promise<string> {
  const r = await mustRun(ctx.runner, PHASE_METALLB, ctx.tools.docker, ['network', 'inspect', 'kind', '--format', '{{json .IPAM.Config}}'], {
    env: ctx.env,
    signal: ctx.signal,
  });
  const configs = JSON.parse(r.stdout || '[]') as Array<{ Subnet?: string }>;
  const v4 = configs.map((c) => c.Subnet ?? '').find((s) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(s));
  if (!v4) throw phaseError(PHASE_METALLB, 'the kind Docker network has no IPv4 subnet', { result: r });
  return v4;
}

export function metallbPoolObjects(range: string): KubeObject[] {
  return [
    {
      apiVersion: 'metallb.io/v1beta1',
      kind: 'IPAddressPool',
      metadata: { name: 'kindlab', namespace: 'metallb-system' },
      spec: { addresses: [range] },
    },
    {
      apiVersion: 'metallb.io/v1beta1',
      kind: 'L2Advertisement',
      metadata: { name: 'kindlab', namespace: 'metallb-system' },
      spec: { ipAddressPools: ['kindlab'] },
    },
  ];
}

export async function installMetallb(ctx: ClusterContext, range: string): Promise<void> {
  ctx.status(`Installing MetalLB in ${ctx.kindName} (pool ${range})`);
  await mustRun(ctx.runner, PHASE_METALLB, ctx.tools.kubectl, kubectlArgs(ctx.access, 'apply', '-f', metallbManifestUrl(ctx.pins.metallb)), {
    env: ctx.env,
    signal: ctx.signal,
    timeoutMs: 5 * 60_000,
  });
  await waitForWorkloads(
    ctx.kube,
    [
      { kind: 'Deployment', namespace: 'metallb-system', name: 'controller' },
      { kind: 'DaemonSet', namespace: 'metallb-system', name: 'speaker' },
    ],
    { clock: ctx.clock, timeoutMs: ctx.timeouts?.addonMs ?? DEFAULT_ADDON_TIMEOUT_MS, phase: PHASE_METALLB, status: ctx.status, signal: ctx.signal },
  );
  // The pool is validated by MetalLB's webhook, served by the controller; right after it turns
  // Available the webhook Service may still lack endpoints, so a few quick retries.
  for (let attempt = 1; ; attempt++) {
    try {
      for (const obj of metallbPoolObjects(range)) await ctx.kube.apply(obj);
      return;
    } catch (err) {
      if (attempt >= 10 || !/webhook|connection refused|no endpoints/i.test(toMessage(err))) {
        throw phaseError(PHASE_METALLB, `could not create the address pool: ${toMessage(err)}`, { cause: err });
      }
      await ctx.clock.sleep(2000, ctx.signal);
    }
  }
}

// ---------------------------------------------------------------- the two addons

/**
 * Envoy for cloud-provider-kind v0.11.1: its pkg/constants/constants.go DefaultProxyImageName
 * "envoyproxy/envoy:v1.33.2" on registry docker.io (read from the v0.11.1 tag).
 */
export const CPK_ENVOY_IMAGE = 'docker.io/envoyproxy/envoy:v1.33.2';
const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

async function dockerOperatingSystem(ctx: HostContext): Promise<string> {
  const r = await ctx.runner.run(ctx.tools.docker, ['info', '--format', '{{.OperatingSystem}}'], { env: ctx.env, timeoutMs: 30_000 });
  return r.exitCode === 0 ? r.stdout.trim() : '';
}

export const cloudProviderKind: HostAddon<CloudProviderKindSettings> = {
  scope: 'host',
  settings: cloudProviderKindSettings,
  loadBalancer: 'default',
  versions: (pins) => ({ 'cloud-provider-kind': pins.cloudProviderKindImage }),
  images: (_settings, pins) => [
    { ref: pins.cloudProviderKindImage, place: 'host', why: 'cloud-provider-kind' },
    { ref: CPK_ENVOY_IMAGE, place: 'host', why: 'Envoy load balancers started by cloud-provider-kind' },
  ],
  async start(host, settings, machine) {
    return ensureCloudProviderKind(host, settings, {
      hostPlatform: machine.hostPlatform,
      // Only asked when the lab leaves the choice to kindlab.
      dockerOperatingSystem: settings.portMapping === undefined ? await dockerOperatingSystem(host) : '',
    });
  },
  async stop(host) {
    await host.runner.run(host.tools.docker, ['rm', '-f', CPK_CONTAINER], { env: host.env });
    return 'stopped cloud-provider-kind (no kindlab cluster left)';
  },
  script(w, s) {
    const run = (portMapping: boolean) =>
      w.command(['docker', ...cloudProviderKindRunArgs({ image: w.pins.cloudProviderKindImage, portMapping, dockerSocket: s.dockerSocket ?? DEFAULT_DOCKER_SOCKET })]);
    w.lines(
      `if [ "$(docker inspect --format '{{.State.Running}}' ${CPK_CONTAINER} 2>/dev/null || true)" != true ]; then`,
      `  say "Starting cloud-provider-kind (${w.pins.cloudProviderKind})"`,
      `  docker rm -f ${CPK_CONTAINER} >/dev/null 2>&1 || true`,
    );
    // No host port mapping unless the lab asks for it: with it every LB port is bound on 0.0.0.0 of
    // the host (see the header); the script's requests run in a node container instead.
    w.lines(`  ${run(s.portMapping ?? false)} >/dev/null`);
    w.lines('fi');
  },
  downScript(w) {
    w.lines(
      '  # cloud-provider-kind serves every kind cluster on this machine: only removed when no kindlab cluster is left.',
      `  if ! kind get clusters 2>/dev/null | grep -q '^kindlab-'; then docker rm -f ${CPK_CONTAINER} >/dev/null 2>&1 || true; fi`,
    );
  },
};

/** poolRange and metallbPoolObjects in bash, for `kindlab export`. */
const METALLB_POOL_FUNCTION = String.raw`# The address pool kindlab gives MetalLB: a 256-address block from the top of the kind network
# (one block per cluster, the first one without the broadcast address). Only /16 networks here.
metallb_pool() {
  local ctx="$1" index="$2" subnet prefix bits o1 o2 third last range
  subnet="$(docker network inspect kind --format '{{range .IPAM.Config}}{{.Subnet}} {{end}}' | tr ' ' '\n' | grep -E '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/' | head -n1)"
  prefix="${"$"}{subnet%/*}"; bits="${"$"}{subnet#*/}"
  [ "$bits" = 16 ] || die "the kind network is $subnet; this script only carves MetalLB pools from a /16"
  IFS=. read -r o1 o2 _ _ <<<"$prefix"
  third=$((255 - index)); last=255; if [ "$index" = 0 ]; then last=254; fi
  range="$o1.$o2.$third.0-$o1.$o2.$third.$last"
  for _ in $(seq 1 10); do
    if kubectl --context "$ctx" apply -f - <<EOF
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: kindlab, namespace: metallb-system}
spec: {addresses: ["$range"]}
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: kindlab, namespace: metallb-system}
spec: {ipAddressPools: [kindlab]}
EOF
    then return 0; fi
    sleep 2
  done
  die "MetalLB did not accept the address pool"
}`;

const metallbSettings = z.strictObject({ clusters: clustersSetting });

/** What the MetalLB installs of one run share: each cluster's pool index and the kind network's subnet. */
interface MetallbPools {
  index: Record<string, number>;
  subnet: () => Promise<string>;
}

export const metallb: ClusterAddon<z.infer<typeof metallbSettings>, MetallbPools> = {
  scope: 'cluster',
  settings: metallbSettings,
  loadBalancer: 'alternative',
  versions: (pins) => ({ metallb: pins.metallb }),
  downloads: (pins) => [{ url: metallbManifestUrl(pins.metallb), check: 'exists', why: `MetalLB ${pins.metallb} manifest` }],
  // ASSUMED: metallb-native.yaml of the pinned tag uses quay.io/metallb/{controller,speaker}:<tag>.
  images: (_settings, pins) => ['controller', 'speaker'].map((c) => ({ ref: `quay.io/metallb/${c}:${pins.metallb}`, place: 'cluster', why: `MetalLB ${pins.metallb}` })),
  async prepare(host, kindNames, machine) {
    const live = (await listKindClusters({ runner: host.runner, tools: host.tools, env: host.env }, 'Installing addons')).filter(hasKindlabPrefix);
    const index = await reservePools(machine.stateRoot, live, kindNames);
    let subnet: Promise<string> | undefined;
    return { index, subnet: () => (subnet ??= kindNetworkSubnet(host)) };
  },
  install: async (ctx, _settings, pools) => installMetallb(ctx, poolRange(await pools.subnet(), pools.index[ctx.kindName] ?? 0)),
  scriptSetup: (w) => w.lines(METALLB_POOL_FUNCTION),
  script(w, _settings, t) {
    const k = (...args: string[]) => w.command(['kubectl', '--context', t.context, ...args]);
    w.lines(
      `say "Installing MetalLB ${w.pins.metallb} in ${t.kindName}"`,
      k('apply', '-f', metallbManifestUrl(w.pins.metallb)),
      k('-n', 'metallb-system', 'rollout', 'status', 'deployment/controller', '--timeout=300s'),
      k('-n', 'metallb-system', 'rollout', 'status', 'daemonset/speaker', '--timeout=300s'),
      `metallb_pool ${w.word(t.context)} ${t.index}`,
    );
  },
};
