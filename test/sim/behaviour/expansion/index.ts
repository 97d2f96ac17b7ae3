/**
 * The "VM" of the mesh-expansion lab and the istioctl answers both issue-7 labs need, on top of the
 * Istio behaviour (test/sim/behaviour/istio, reused unchanged):
 *
 *   const h = await createSimHarness();
 *   const x = await installExpansionBehaviour(h, { misbehave: { vmNeverRegisters: true } });
 *
 * The VM is the container `<cluster>-vm`; `docker exec` into it reaches sim.onExec with that node
 * name. Its state (routes, resolv.conf, packages, the sidecar, details, MariaDB) changes only
 * through the lab's commands. When its sidecar starts (istio-start.sh) and istiod is reachable
 * (east-west gateway with an address and the istiod-gateway Gateway), a WorkloadEntry
 * `<group>-<ip>` appears with Healthy False; it turns True while details answers on :9080. For the
 * mesh's data path the VM's sidecar is a pod object `vm/bookinfo-vm` (labels of the group); it is
 * stored, as an endpoint, only while the WorkloadEntry is Healthy, since the sim's mesh finds
 * endpoints among pods.
 */
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../../../../src/core/seams.js';
import { isSamplerCommand, samplerPlanOf, simulateSamplerScript, type SimResponse } from '../../../checks/sampler-sim.js';
import type { ExecHandler, ExecOutput, ExecRequest } from '../../exec.js';
import type { SimHarness } from '../../harness.js';
import type { SimCluster } from '../../apiserver.js';
import { addonApps } from '../istio/apps/addons.js';
import { bookinfoApps } from '../istio/apps/bookinfo.js';
import { fortioServerApp, helloworldApp, httpbinApp } from '../istio/apps/samples.js';
import { istioExecHandler } from '../istio/exec.js';
import { isResponse, Mesh, type AppModel, type Origin } from '../istio/mesh.js';
import { ProcessRunner } from '../istio/processes.js';
import { seededRandom } from '../istio/random.js';
import { issueCertificate } from '../x509.js';
import { writeReleaseExtras } from './release-extras.js';
import { installToolWrappers, ISTIOCTL_NODE } from './tools.js';
import { istioctlHandler, remoteClusters } from './istioctl.js';

export interface ExpansionMisbehaviour {
  /** istiod never auto-registers the VM: no WorkloadEntry. */
  vmNeverRegisters?: boolean;
  /** MariaDB ignores UPDATE statements (the rating change is not applied). */
  ignoreUpdates?: boolean;
  /** `istioctl create-remote-secret` writes kind's https://127.0.0.1:<port> whatever --server says. */
  ignoreServerFlag?: boolean;
  /** Pods of the remote cluster never become endpoints in the primary (as if details were not deployed there). */
  remoteEndpointsIgnored?: boolean;
}

export interface Vm {
  name: string;
  cluster: string;
  ip: string;
  routes: Map<string, string>;
  nameserver?: string;
  packages: Set<string>;
  files: Set<string>;
  sidecar: boolean;
  details: boolean;
  detailsLog: string[];
  mariadb: boolean;
  bindAll: boolean;
  ratings: Map<number, number>;
}

export interface ExpansionBehaviour {
  mesh: Mesh;
  vms: Map<string, Vm>;
  stop(): Promise<void>;
}

const ok = (stdout = ''): ExecOutput => ({ stdout, exitCode: 0 });
const VM_POD = 'bookinfo-vm';

function ipInCidr(ip: string, cidr: string): boolean {
  const [net, bits = '32'] = cidr.split('/');
  const n = (x: string) => x.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  return Math.floor(n(ip) / size) === Math.floor(n(net!) / size);
}

export async function installExpansionBehaviour(h: SimHarness, opts: { misbehave?: ExpansionMisbehaviour } = {}): Promise<ExpansionBehaviour> {
  const bad = opts.misbehave ?? {};
  const vms = new Map<string, Vm>();
  const now = new Date();
  const istiodCert = issueCertificate({ subject: { CN: 'istiod' }, dnsNames: ['istiod.istio-system.svc', 'istiod-remote.istio-system.svc', 'istio-pilot.istio-system.svc'], usages: ['server'], notBefore: new Date(now.getTime() - 3600_000), notAfter: new Date(now.getTime() + 86400_000) });

  const vmApps: AppModel[] = [
    {
      name: 'vm-details',
      serves: (pod, port) => pod.metadata.labels?.['kindlab.sim/vm'] !== undefined && port === 9080,
      handle: (_ctx, req) => {
        const vm = vms.get(_ctx.pod.metadata.labels?.['kindlab.sim/vm'] ?? '');
        if (!vm?.details) return { status: 503, body: 'upstream connect error or disconnect/reset before headers. reset reason: connection failure' };
        vm.detailsLog.push(`${vm.ip} - - [${new Date().toUTCString()}] "${req.method} ${req.path} HTTP/1.1" 200 178`);
        const m = /^\/details\/(\d+)$/.exec(req.path);
        if (req.path === '/health') return { status: 200, headers: { 'content-type': 'application/json' }, body: '{"status":"Details is healthy"}' };
        if (!m) return { status: 404, body: '' };
        const body = { id: Number(m[1]), author: 'William Shakespeare', year: 1595, type: 'paperback', pages: 200, publisher: 'PublisherA', language: 'English', 'ISBN-10': '1234567890', 'ISBN-13': '123-1234567890' };
        return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
      },
    },
    {
      // ratings v2 with DB_TYPE=mysql: reads test.ratings at MYSQL_DB_HOST on every request.
      name: 'ratings-v2-mysql-vm',
      serves: (pod, port) => pod.metadata.labels?.app === 'ratings' && pod.metadata.labels?.version === 'v2-mysql-vm' && port === 9080,
      handle: (ctx, req) => {
        const m = /^\/ratings\/(\d+)$/.exec(req.path);
        if (req.path === '/health') return { status: 200, body: '{"status":"Ratings is healthy"}' };
        if (!m) return { status: 404, body: '' };
        const vm = reachableDb(ctx.cluster);
        if (!vm) return { status: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: 'could not connect to ratings database' }) };
        const ratings = { Reviewer1: vm.ratings.get(1) ?? 0, Reviewer2: vm.ratings.get(2) ?? 0 };
        return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: Number(m[1]), ratings }) };
      },
    },
  ];

  /** mysqldb.vm selects a registered VM whose MariaDB listens on the network. */
  function reachableDb(cluster: SimCluster): Vm | undefined {
    const svc = cluster.get('v1', 'Service', 'mysqldb', 'vm');
    if (!svc) return undefined;
    const sel = (svc.spec as { selector?: Record<string, string> }).selector ?? {};
    for (const we of cluster.list('networking.istio.io/v1', 'WorkloadEntry', 'vm')) {
      const labels = (we.spec as { labels?: Record<string, string> }).labels ?? we.metadata.labels ?? {};
      if (!Object.entries(sel).every(([k, v]) => labels[k] === v)) continue;
      const vm = [...vms.values()].find((x) => x.ip === (we.spec as { address?: string }).address);
      if (vm?.mariadb && vm.bindAll) return vm;
    }
    return undefined;
  }

  // No gateway push delay (xds-push.ts) here: these labs create their Gateway together with the
  // Bookinfo pods and wait for the pods, which on a real cluster outlasts istiod's push by far; the
  // sim starts pods at once, so the delay would show a race that real runs cannot hit.
  const mesh = new Mesh(h.sim, { random: seededRandom(1), gatewayPushMs: 0, apps: [...vmApps, ...bookinfoApps, helloworldApp, httpbinApp, fortioServerApp, ...addonApps] });
  const systemPath = (h.env.PATH ?? '').split(':').filter((d) => d !== h.binDir).join(':');
  const processes = new ProcessRunner(mesh, join(h.dir, 'mesh-processes'), systemPath);
  await processes.start();
  const istio = istioExecHandler(mesh, processes, h.sim.onExec);
  h.sim.onLogs = mesh.logs.handler(h.sim.onLogs);
  h.env.KINDLAB_FAKE_PORT_FORWARD = 'exec';
  await installToolWrappers(h);
  await writeReleaseExtras(h.istioHome);

  const clusterOfVm = (name: string) => name.replace(/-vm$/, '');
  const vmPod = (vm: Vm, group: KubeObject | undefined): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: VM_POD, namespace: 'vm', labels: { ...(((group?.spec as { metadata?: { labels?: Record<string, string> } })?.metadata?.labels) ?? { app: 'bookinfo-vm' }), 'kindlab.sim/vm': vm.name } },
    spec: { nodeName: `${vm.cluster}-control-plane`, containers: [{ name: 'details', image: 'vm' }, { name: 'istio-proxy', image: 'vm-sidecar' }] },
    status: { phase: 'Running', podIP: vm.ip, conditions: [{ type: 'Ready', status: 'True' }] },
  } as KubeObject);

  function vmOf(name: string): Vm {
    let vm = vms.get(name);
    if (!vm) {
      const c = h.state().containers.find((x) => x.name === name);
      vm = { name, cluster: clusterOfVm(name), ip: c?.ip ?? '', routes: new Map(), packages: new Set(), files: new Set(), sidecar: false, details: false, detailsLog: [], mariadb: false, bindAll: false, ratings: new Map() };
      vms.set(name, vm);
    }
    return vm;
  }

  const routed = (vm: Vm, ip: string) => [...vm.routes.keys()].some((cidr) => ipInCidr(ip, cidr));

  /** istiod is reachable from the VM: the east-west gateway has an address and passes 15012. */
  function istiodReachable(cluster: SimCluster): boolean {
    const ew = cluster.get('v1', 'Service', 'istio-eastwestgateway', 'istio-system');
    const lb = (ew?.status as { loadBalancer?: { ingress?: unknown[] } } | undefined)?.loadBalancer?.ingress?.length;
    return Boolean(lb && cluster.get('networking.istio.io/v1', 'Gateway', 'istiod-gateway', 'istio-system'));
  }

  /** Registration and health, as istiod keeps them: WorkloadEntry and the endpoint pod. */
  function sync(vm: Vm): void {
    const cluster = h.sim.cluster(vm.cluster);
    const group = cluster.get('networking.istio.io/v1', 'WorkloadGroup', 'bookinfo-vm', 'vm');
    const name = `bookinfo-vm-${vm.ip}`;
    const registered = vm.sidecar && group && istiodReachable(cluster) && !bad.vmNeverRegisters;
    const we = cluster.get('networking.istio.io/v1', 'WorkloadEntry', name, 'vm');
    if (!registered) {
      if (we) cluster.delete('networking.istio.io/v1', 'WorkloadEntry', name, 'vm');
      if (cluster.get('v1', 'Pod', VM_POD, 'vm')) cluster.delete('v1', 'Pod', VM_POD, 'vm');
      return;
    }
    const spec = group.spec as { metadata?: { labels?: Record<string, string> }; template?: { serviceAccount?: string; network?: string } };
    const healthy = vm.details;
    const status = { conditions: [{ type: 'Healthy', status: healthy ? 'True' : 'False', lastProbeTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }] };
    if (!we) {
      const created = cluster.create({
        apiVersion: 'networking.istio.io/v1',
        kind: 'WorkloadEntry',
        metadata: { name, namespace: 'vm', labels: spec.metadata?.labels ?? {}, annotations: { 'istio.io/autoRegistrationGroup': 'bookinfo-vm', 'istio.io/workloadController': 'istiod-sim' }, ownerReferences: [{ apiVersion: 'networking.istio.io/v1', kind: 'WorkloadGroup', name: 'bookinfo-vm', uid: group.metadata.uid ?? '', controller: false }] },
        spec: { address: vm.ip, labels: spec.metadata?.labels ?? {}, serviceAccount: spec.template?.serviceAccount ?? 'default', network: spec.template?.network ?? '' },
      } as KubeObject);
      cluster.updateStatus({ ...created, status } as KubeObject);
    } else if ((we.status as { conditions?: Array<{ status: string }> } | undefined)?.conditions?.[0]?.status !== status.conditions[0]!.status) {
      cluster.updateStatus({ ...we, status } as KubeObject);
    }
    const pod = cluster.get('v1', 'Pod', VM_POD, 'vm');
    if (healthy && !pod) {
      const created = cluster.create(vmPod(vm, group));
      cluster.updateStatus({ ...created, status: vmPod(vm, group).status } as KubeObject);
    } else if (!healthy && pod) cluster.delete('v1', 'Pod', VM_POD, 'vm');
  }

  function fromVm(vm: Vm, url: string, method = 'GET', headers: Record<string, string> = {}): SimResponse {
    const cluster = h.sim.cluster(vm.cluster);
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return { exit: 3, error: 'curl: (3) URL rejected', timeMs: 0 };
    }
    const host = u.hostname;
    let origin: Origin;
    if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) {
      if (!host.startsWith('172.18.') && !routed(vm, host)) return { exit: 28, error: `curl: (28) Failed to connect to ${host} port ${u.port || 80} after 10000 ms: Timeout was reached`, timeMs: 10_000 };
      origin = vm.sidecar ? { cluster: vm.cluster, pod: vmPod(vm, cluster.get('networking.istio.io/v1', 'WorkloadGroup', 'bookinfo-vm', 'vm')) } : { cluster: vm.cluster, node: `${vm.cluster}-control-plane` };
    } else {
      // Names: the sidecar's DNS proxy answers mesh names once istio-iptables captured DNS to the cluster DNS.
      const dns = dnsOk(vm);
      if (!vm.sidecar || !dns) return { exit: 6, error: `curl: (6) Could not resolve host: ${host}`, timeMs: 1 };
      origin = { cluster: vm.cluster, pod: vmPod(vm, cluster.get('networking.istio.io/v1', 'WorkloadGroup', 'bookinfo-vm', 'vm')) };
    }
    const o = mesh.request(origin, { method, url, headers: { 'user-agent': 'curl/7.88.1', accept: '*/*', ...headers } });
    return isResponse(o) ? { status: o.status, headers: o.headers, body: o.body, timeMs: o.timeMs } : { exit: o.exit, error: o.error, timeMs: o.timeMs };
  }

  function dnsOk(vm: Vm): boolean {
    const cluster = h.sim.cluster(vm.cluster);
    const dns = (cluster.get('v1', 'Service', 'kube-dns', 'kube-system')?.spec as { clusterIP?: string } | undefined)?.clusterIP;
    return Boolean(dns && vm.nameserver === dns && routed(vm, dns));
  }

  function mysql(vm: Vm, argv: string[], stdin = ''): ExecOutput {
    if (!vm.packages.has('mariadb-client')) return { stderr: 'sh: 1: mysql: not found\n', exitCode: 127 };
    if (!vm.mariadb) return { stderr: "ERROR 2002 (HY000): Can't connect to local server through socket '/run/mysqld/mysqld.sock' (2)\n", exitCode: 1 };
    const e = argv.indexOf('-e');
    const sql = e >= 0 ? argv[e + 1]! : stdin;
    const raw = argv.includes('-N');
    let out = '';
    for (const stmt of sql.split(';').map((s) => s.trim()).filter(Boolean)) {
      let m = /^REPLACE INTO ratings \(ReviewID, Rating\) VALUES (.*)$/i.exec(stmt);
      if (m) {
        for (const [, id, r] of m[1]!.matchAll(/\((\d+),\s*(\d+)\)/g)) vm.ratings.set(Number(id), Number(r));
        continue;
      }
      m = /^UPDATE ratings SET Rating = (\d+) WHERE ReviewID = (\d+)$/i.exec(stmt);
      if (m) {
        if (!bad.ignoreUpdates) vm.ratings.set(Number(m[2]), Number(m[1]));
        continue;
      }
      m = /^SELECT Rating FROM ratings WHERE ReviewID = (\d+)$/i.exec(stmt);
      if (m) {
        out += `${raw ? '' : 'Rating\n'}${vm.ratings.get(Number(m[1])) ?? ''}\n`;
        continue;
      }
      if (/^SELECT \* FROM ratings$/i.test(stmt)) {
        out += `${raw ? '' : 'ReviewID\tRating\n'}${[...vm.ratings].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k}\t${v}`).join('\n')}\n`;
        continue;
      }
      // CREATE USER / GRANT / CREATE DATABASE / USE / CREATE TABLE / DROP: accepted.
    }
    return ok(out);
  }

  function vmExec(vm: Vm, req: ExecRequest): ExecOutput {
    const cmd = req.command;
    const line = cmd.join(' ');
    const script = cmd[0] === 'sh' && cmd[1] === '-c' ? cmd[2]! : undefined;
    if (isSamplerCommand(cmd)) return simulateSamplerScript(cmd, (r) => fromVm(vm, r.url, r.method, r.headers));
    if (script !== undefined) {
      if (/apt-get install/.test(script)) {
        for (const p of script.split(/\s+/).filter((w) => /^[a-z][a-z0-9.+-]+$/.test(w))) vm.packages.add(p);
        return ok();
      }
      if (script.includes('/var/run/istio-sidecar.pid') && script.includes('exec /usr/local/bin/istio-start.sh')) {
        if (!vm.packages.has('istio-sidecar')) return { stderr: 'sh: 1: exec: /usr/local/bin/istio-start.sh: not found\n', exitCode: 127 };
        vm.sidecar = true;
        sync(vm);
        return ok();
      }
      if (script.includes('exec ruby /opt/details.rb 9080')) {
        if (!vm.packages.has('ruby') || !vm.packages.has('ruby-webrick') || !vm.files.has('/opt/details.rb')) return { exitCode: 1 };
        vm.details = true;
        sync(vm);
        return ok();
      }
      if (/nameserver/.test(script) && script.includes('/etc/resolv.conf')) {
        vm.nameserver = /'(\d+\.\d+\.\d+\.\d+)'/.exec(script)?.[1];
        return ok();
      }
      if (script.includes('60-mesh.cnf') && script.startsWith('cat >')) {
        vm.bindAll = /bind-address\s*=\s*0\.0\.0\.0/.test(req.stdin ?? '');
        return ok();
      }
      if (/^grep -c 'GET \/details\/0' \/var\/log\/details\.log$/.test(script)) {
        const n = vm.detailsLog.filter((l) => l.includes('GET /details/0')).length;
        return { stdout: `${n}\n`, exitCode: n ? 0 : 1 };
      }
      if (/^mysql /.test(script)) return mysql(vm, ['mysql', ...(script.match(/'[^']*'|\S+/g) ?? []).slice(1).map((w) => w.replace(/^'|'$/g, ''))], req.stdin);
      if (script === 'ip route') return ipRoute(vm);
      if (/^getent hosts /.test(script)) return getent(vm, script.split(/\s+/)[2]!);
      // mkdir, chmod, policy-rc.d, /etc/hosts edits, pid files, cleanups: nothing the checks read.
      return ok();
    }
    switch (cmd[0]) {
      case 'ip':
        if (cmd[1] === 'route' && cmd[2] === 'replace') {
          vm.routes.set(cmd[3]!.includes('/') ? cmd[3]! : `${cmd[3]}/32`, cmd[5]!);
          return ok();
        }
        if (cmd[1] === 'route' && cmd.length === 2) return ipRoute(vm);
        break;
      case 'getent':
        return getent(vm, cmd[2]!);
      case 'dpkg':
        if (cmd[1] === '--print-architecture') return ok('amd64\n');
        break;
      case 'curl': {
        const o = cmd.indexOf('-o');
        const url = cmd[cmd.length - 1]!;
        if (o >= 0) {
          const version = h.env.KINDLAB_FAKE_ISTIO_VERSION ?? '1.31.1';
          const good = url === `https://blob.istio.io/istio-release/releases/${version}/deb/istio-sidecar.deb` || url === `https://raw.githubusercontent.com/istio/istio/${version}/samples/bookinfo/src/details/details.rb`;
          if (!good) return { stderr: 'curl: (22) The requested URL returned error: 404\n', exitCode: 22 };
          vm.files.add(cmd[o + 1]!);
          return ok();
        }
        const r = fromVm(vm, url);
        if ('exit' in r && r.exit) return { stderr: `${r.error}\n`, exitCode: r.exit };
        return ok((r as { body?: string }).body ?? '');
      }
      case 'apt-get':
        if (cmd.includes('/tmp/istio-sidecar.deb')) {
          if (!vm.files.has('/tmp/istio-sidecar.deb')) return { stderr: 'E: Unsupported file /tmp/istio-sidecar.deb given on commandline\n', exitCode: 100 };
          vm.packages.add('istio-sidecar');
        }
        return ok();
      case '/etc/init.d/mariadb':
        if (cmd[1] === 'start') {
          if (!vm.packages.has('mariadb-server')) return { stderr: 'sh: 1: /etc/init.d/mariadb: not found\n', exitCode: 127 };
          vm.mariadb = true;
          return ok('Starting MariaDB database server: mariadbd.\n');
        }
        break;
      case 'mysql':
        return mysql(vm, cmd, req.stdin);
      case 'tail':
        if (cmd.includes('/var/log/details.log')) return ok(vm.detailsLog.slice(-3).map((l) => `${l}\n`).join(''));
        if (cmd.includes('/var/log/istio/istio.log')) return ok(vm.sidecar ? `info\txdsproxy\tconnected to upstream XDS server: istiod.istio-system.svc:15012\n` : '');
        return ok();
      case 'mkdir':
      case 'chown':
        return ok();
      default:
    }
    return { stderr: `sim VM: not simulated: ${line}\n`, exitCode: 127 };
  }

  function ipRoute(vm: Vm): ExecOutput {
    const lines = [`default via 172.18.0.1 dev eth0`, ...[...vm.routes].map(([c, via]) => `${c} via ${via} dev eth0`), `172.18.0.0/16 dev eth0 proto kernel scope link src ${vm.ip}`];
    return ok(`${lines.join('\n')}\n`);
  }

  function getent(vm: Vm, name: string): ExecOutput {
    if (!dnsOk(vm)) return { exitCode: 2 };
    const m = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local$/.exec(name);
    const svc = m ? h.sim.cluster(vm.cluster).get('v1', 'Service', m[1]!, m[2]!) : undefined;
    if (!svc) return { exitCode: 2 };
    return ok(`${(svc.spec as { clusterIP: string }).clusterIP}    ${name}\n`);
  }

  /** A TLS handshake script run on a node (certificate checks): istiod answers through the east-west gateway. */
  function handshake(req: ExecRequest): ExecOutput | undefined {
    const script = req.command[0] === 'sh' && req.command[1] === '-c' ? req.command[2] ?? '' : '';
    const m = /openssl s_client -connect '?(\d+\.\d+\.\d+\.\d+):(\d+)'?/.exec(script);
    if (!m) return undefined;
    for (const name of h.sim.clusterNames()) {
      const c = h.sim.cluster(name);
      const ew = c.list('v1', 'Service').find((s) => ((s.status as { loadBalancer?: { ingress?: Array<{ ip?: string }> } } | undefined)?.loadBalancer?.ingress ?? []).some((i) => i.ip === m[1]));
      if (ew && ew.metadata.name === 'istio-eastwestgateway' && (m[2] === '15012' || m[2] === '15017') && istiodReachable(c)) {
        return ok(`CONNECTED(00000003)\n---\nCertificate chain\n 0 s:\n${istiodCert.certPem}---\n`);
      }
    }
    return { stderr: 'connect: Connection refused\n', exitCode: 1 };
  }

  // ---------------------------------------------------------------- multicluster

  /** Routes added with `docker exec <node> ip route replace` (kindlab's podRoutes, or by hand). */
  const nodeRoutes = new Map<string, Map<string, string>>();
  const internalIpOf = (n: KubeObject) => ((n.status as { addresses?: Array<{ type: string; address: string }> }).addresses ?? []).find((a) => a.type === 'InternalIP')?.address ?? '';
  const podCidrOf = (n: KubeObject) => (n.spec as { podCIDR?: string }).podCIDR ?? '';

  function routesOf(clusterName: string, node: string): Array<[string, string]> {
    const own = h.sim.cluster(clusterName).list('v1', 'Node').filter((n) => n.metadata.name !== node).map((n): [string, string] => [podCidrOf(n), internalIpOf(n)]);
    return [...own, ...(nodeRoutes.get(node) ?? new Map())];
  }

  /** A pod of another cluster that this node reaches through its routes. */
  function remotePod(clusterName: string, node: string, ip: string): { cluster: string; pod: KubeObject } | undefined {
    for (const other of h.sim.clusterNames().filter((n) => n !== clusterName)) {
      const pod = h.sim.cluster(other).list('v1', 'Pod').find((p) => (p.status as { podIP?: string } | undefined)?.podIP === ip && !(p.spec as { hostNetwork?: boolean }).hostNetwork);
      if (pod) return routesOf(clusterName, node).some(([cidr]) => cidr && ipInCidr(ip, cidr)) ? { cluster: other, pod } : undefined;
    }
    return undefined;
  }

  function crossCluster(req: ExecRequest, url: string): SimResponse | undefined {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return undefined;
    }
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(u.hostname) || h.sim.cluster(req.cluster).list('v1', 'Pod').some((p) => (p.status as { podIP?: string } | undefined)?.podIP === u.hostname)) return undefined;
    const target = remotePod(req.cluster, req.node!, u.hostname);
    if (!target) {
      const anywhere = h.sim.clusterNames().some((n) => h.sim.cluster(n).list('v1', 'Pod').some((p) => (p.status as { podIP?: string } | undefined)?.podIP === u.hostname));
      return anywhere ? { exit: 28, error: `curl: (28) Connection timed out after 5001 milliseconds`, timeMs: 5001 } : undefined;
    }
    const port = Number(u.port || 80);
    if (target.pod.metadata.labels?.['k8s-app'] === 'kube-dns' && port === 8080 && u.pathname === '/health') return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'OK', timeMs: 1 };
    const o = mesh.inbound(h.sim.cluster(target.cluster), target.cluster, target.pod, port, `${u.pathname}${u.search}`, { method: 'GET', url, headers: { 'user-agent': 'curl/8.16.0', accept: '*/*', host: u.host } });
    if (!o) return { exit: 7, error: `curl: (7) Failed to connect to ${u.hostname} port ${port}: Connection refused`, timeMs: 1 };
    return isResponse(o) ? { status: o.status, headers: o.headers, body: o.body, timeMs: o.timeMs } : { exit: o.exit, error: o.error, timeMs: o.timeMs };
  }

  function nodeExec(req: ExecRequest): ExecOutput | undefined {
    const cmd = req.command;
    if (!req.cluster || !h.sim.hasCluster(req.cluster)) return undefined;
    if (cmd[0] === 'ip' && cmd[1] === 'route' && cmd[2] === 'replace' && cmd[4] === 'via') {
      const table = nodeRoutes.get(req.node!) ?? new Map<string, string>();
      table.set(cmd[3]!, cmd[5]!);
      nodeRoutes.set(req.node!, table);
      return ok();
    }
    if (cmd.join(' ') === 'ip route') {
      const self = h.sim.cluster(req.cluster).get('v1', 'Node', req.node!);
      const lines = ['default via 172.18.0.1 dev eth0', ...routesOf(req.cluster, req.node!).map(([c, via]) => `${c} via ${via} dev eth0`), `172.18.0.0/16 dev eth0 proto kernel scope link src ${self ? internalIpOf(self) : ''}`];
      return ok(`${lines.join('\n')}\n`);
    }
    if (isSamplerCommand(cmd)) {
      if (!crossCluster(req, samplerPlanOf(cmd).request.url)) return undefined;
      return simulateSamplerScript(cmd, (r) => crossCluster(req, r.url)!);
    }
    if (cmd[0] === 'curl') {
      const url = [...cmd].reverse().find((a) => /^https?:\/\//.test(a));
      const r = url ? crossCluster(req, url) : undefined;
      if (!r) return undefined;
      if ('exit' in r && r.exit) return { stderr: cmd.includes('-s') ? '' : `${r.error}\n`, exitCode: r.exit };
      return ok((r as { body?: string }).body ?? '');
    }
    return undefined;
  }

  /**
   * What istiod in a primary does with its remote secrets: once synced, it writes its CA into the
   * remote's injection webhook and learns the remote's pods as endpoints. The mesh model finds
   * endpoints among a cluster's own pods, so a remote pod it may reach (routes on the primary's
   * nodes) is mirrored into the primary as a pod labelled kindlab.sim/remote-of.
   */
  function syncMulticluster(): void {
    const wanted = new Map<string, Set<string>>();
    for (const primary of h.sim.clusterNames()) {
      const p = h.sim.cluster(primary);
      if (!p.get('apps/v1', 'Deployment', 'istiod', 'istio-system')) continue;
      for (const r of remoteClusters(h, primary)) {
        if (!r.synced || !r.cluster) continue;
        const remote = h.sim.cluster(r.cluster);
        const hook = remote.get('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', 'istio-sidecar-injector');
        const ns = remote.get('v1', 'Namespace', 'istio-system');
        const controlledBy = ns?.metadata.annotations?.['topology.istio.io/controlPlaneClusters'];
        const myId = /-(c\d+)$/.exec(primary)?.[1];
        if (hook && controlledBy === myId) {
          const hooks = (hook as unknown as { webhooks: Array<{ clientConfig: { caBundle?: string } }> }).webhooks;
          if (hooks.some((w) => !w.clientConfig.caBundle)) {
            const ca = Buffer.from(istiodCert.certPem).toString('base64');
            remote.replace({ ...hook, webhooks: hooks.map((w) => ({ ...w, clientConfig: { ...w.clientConfig, caBundle: ca } })) } as unknown as KubeObject);
          }
        }
        if (bad.remoteEndpointsIgnored) continue;
        const nodes = p.list('v1', 'Node').map((n) => n.metadata.name);
        for (const pod of remote.list('v1', 'Pod')) {
          const ip = (pod.status as { podIP?: string } | undefined)?.podIP;
          const ready = ((pod.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
          if (!ip || !ready || !pod.metadata.namespace || !p.get('v1', 'Namespace', pod.metadata.namespace) || pod.metadata.namespace.startsWith('kube-') || pod.metadata.namespace === 'istio-system') continue;
          if (!nodes.some((n) => routesOf(primary, n).some(([cidr]) => cidr && ipInCidr(ip, cidr)))) continue;
          const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
          (wanted.get(primary) ?? wanted.set(primary, new Set()).get(primary)!).add(key);
          if (p.get('v1', 'Pod', pod.metadata.name, pod.metadata.namespace)) continue;
          const mirror = { apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, labels: { ...(pod.metadata.labels ?? {}), 'kindlab.sim/remote-of': r.cluster } }, spec: { ...(pod.spec as object), nodeName: nodes[0] }, status: pod.status } as KubeObject;
          const created = p.create(mirror);
          p.updateStatus({ ...created, status: pod.status } as KubeObject);
        }
      }
    }
    for (const primary of h.sim.clusterNames()) {
      const p = h.sim.cluster(primary);
      for (const m of p.list('v1', 'Pod', undefined, { labelSelector: 'kindlab.sim/remote-of' })) {
        if (!wanted.get(primary)?.has(`${m.metadata.namespace}/${m.metadata.name}`)) p.delete('v1', 'Pod', m.metadata.name, m.metadata.namespace);
      }
    }
  }

  /** kind's networking.podSubnet / serviceSubnet, applied to a cluster the shared fake kind made with the defaults. */
  function renumber(name: string, configText: string): ExecOutput {
    let cfg: { networking?: { podSubnet?: string; serviceSubnet?: string } } = {};
    try {
      cfg = (parseYaml(configText) as typeof cfg) ?? {};
    } catch {
      return ok();
    }
    if (!h.sim.hasCluster(name)) return ok();
    const c = h.sim.cluster(name);
    const pods = cfg.networking?.podSubnet?.split('.').slice(0, 2).join('.');
    const svcs = cfg.networking?.serviceSubnet?.split('.').slice(0, 3).join('.');
    if (pods) {
      c.list('v1', 'Node').forEach((n, i) => {
        const cidr = `${pods}.${i}.0/24`;
        c.replace({ ...n, spec: { ...(n.spec as object), podCIDR: cidr, podCIDRs: [cidr] } } as KubeObject);
      });
      for (const p of c.list('v1', 'Pod')) {
        const ip = (p.status as { podIP?: string } | undefined)?.podIP;
        if (!ip?.startsWith('10.244.')) continue;
        const next = `${pods}.${ip.split('.').slice(2).join('.')}`;
        c.updateStatus({ ...p, status: { ...(p.status as object), podIP: next, podIPs: [{ ip: next }] } } as KubeObject);
      }
    }
    if (svcs) {
      for (const [svcName, ns, last] of [['kube-dns', 'kube-system', 10], ['kubernetes', 'default', 1]] as const) {
        const svc = c.get('v1', 'Service', svcName, ns);
        if (svc) c.replace({ ...svc, spec: { ...(svc.spec as object), clusterIP: `${svcs}.${last}`, clusterIPs: [`${svcs}.${last}`] } } as KubeObject);
      }
    }
    return ok();
  }

  const handler: ExecHandler = async (req) => {
    if (req.node === ISTIOCTL_NODE && req.command[1] === 'kind-post-create') return renumber(req.command[2] ?? '', req.command[3] ?? '');
    if (req.node === ISTIOCTL_NODE) {
      try {
        return istioctlHandler(h, vms, req.command, req.stdin, { ignoreServerFlag: Boolean(bad.ignoreServerFlag), remoteEndpointsIgnored: Boolean(bad.remoteEndpointsIgnored), caPem: istiodCert.certPem, caKeyPem: istiodCert.keyPem });
      } catch (e) {
        return { stderr: `sim istioctl: ${(e as Error).stack ?? String(e)}\n`, exitCode: 1 };
      }
    }
    if (req.node && /-vm$/.test(req.node) && h.state().containers.some((c) => c.name === req.node)) {
      const vm = vmOf(req.node);
      const out = vmExec(vm, req);
      return out;
    }
    if (req.node) {
      const hs = handshake(req);
      if (hs) return hs;
      const n = nodeExec(req);
      if (n) return n;
    }
    return istio(req);
  };
  h.sim.onExec = handler;
  const timer = setInterval(() => {
    try {
      syncMulticluster();
    } catch {
      // a cluster deleted mid-tick
    }
  }, 100);
  return {
    mesh,
    vms,
    stop: async () => {
      clearInterval(timer);
      await processes.stop();
    },
  };
}
