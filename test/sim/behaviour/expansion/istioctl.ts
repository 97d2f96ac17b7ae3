/**
 * istioctl subcommands the shared fake does not answer, computed from the sim's objects:
 * - `install -y -f -` with an IstioOperator (profile empty, ingressGateways) on stdin: the
 *   gateways' Deployment and Service (the east-west gateway); `manifest generate -f -`: the same as YAML;
 * - `proxy-status`: pods with a sidecar, plus the VMs whose sidecar is connected (registered);
 * - `proxy-config endpoint <pod|deploy/x> -n ns --cluster 'outbound|port||host'`: the endpoints
 *   Istio would give that cluster: pods (in every cluster the mesh reads) and WorkloadEntries;
 * - `remote-clusters`: the remote secrets of istio-system and whether istiod could reach them.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml, stringify } from 'yaml';
import type { KubeObject } from '../../../../src/core/seams.js';
import type { ExecOutput } from '../../exec.js';
import type { SimHarness } from '../../harness.js';
import type { SimCluster } from '../../apiserver.js';
import type { Vm } from './index.js';

const VERSION = () => process.env.KINDLAB_FAKE_ISTIO_VERSION ?? '1.31.1';

function flag(argv: string[], ...names: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    for (const n of names) {
      if (argv[i] === n) return argv[i + 1];
      if (argv[i]!.startsWith(`${n}=`)) return argv[i]!.slice(n.length + 1);
    }
  }
  return undefined;
}

const table = (rows: string[][]) => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return `${rows.map((r) => r.map((c, i) => c.padEnd(widths[i]! + 5)).join('').trimEnd()).join('\n')}\n`;
};

interface IopGateway {
  name: string;
  enabled?: boolean;
  label?: Record<string, string>;
  k8s?: { service?: { ports?: Array<{ name: string; port: number; targetPort?: number }> } };
}

interface IstioOperator {
  spec?: {
    profile?: string;
    components?: { ingressGateways?: IopGateway[] };
    values?: {
      global?: { multiCluster?: { clusterName?: string }; externalIstiod?: boolean; remotePilotAddress?: string };
      istiodRemote?: { injectionPath?: string };
    };
  };
}

interface PodTemplateSpec {
  template: { spec: { containers: Array<{ env?: Array<{ name: string; value?: string }> }> } };
}

function gatewayObjects(iop: IstioOperator): KubeObject[] {
  const objs: KubeObject[] = [];
  for (const g of iop?.spec?.components?.ingressGateways ?? []) {
    if (g.enabled === false) continue;
    const labels = { app: g.name, istio: 'ingressgateway', ...(g.label ?? {}) };
    const ports = g.k8s?.service?.ports ?? [];
    objs.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: g.name, namespace: 'istio-system', labels },
      spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels, annotations: { 'inject.istio.io/templates': 'gateway' } }, spec: { serviceAccountName: `${g.name}-service-account`, containers: [{ name: 'istio-proxy', image: `docker.io/istio/proxyv2:${VERSION()}`, ports: ports.map((p) => ({ containerPort: p.targetPort ?? p.port })) }] } } },
    } as KubeObject);
    objs.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: g.name, namespace: 'istio-system', labels }, spec: { type: 'LoadBalancer', selector: labels, ports: ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort ?? p.port, protocol: 'TCP' })) } } as KubeObject);
  }
  return objs;
}

function podIp(p: KubeObject): string {
  return (p.status as { podIP?: string } | undefined)?.podIP ?? '';
}

function sidecarPods(c: SimCluster): KubeObject[] {
  return c.list('v1', 'Pod').filter((p) => ((p.spec as { containers?: Array<{ name: string }> }).containers ?? []).some((x) => x.name === 'istio-proxy') && !Object.keys(p.metadata.labels ?? {}).some((k) => k.startsWith('kindlab.sim/')));
}

/** Remote clusters a primary reads: secrets labelled istio/multiCluster=true whose server it can reach. */
export function remoteClusters(h: SimHarness, primary: string): Array<{ name: string; secret: string; synced: boolean; cluster?: string }> {
  const c = h.sim.cluster(primary);
  const out: Array<{ name: string; secret: string; synced: boolean; cluster?: string }> = [];
  for (const s of c.list('v1', 'Secret', 'istio-system', { labelSelector: 'istio/multiCluster=true' })) {
    const data = { ...Object.fromEntries(Object.entries((s.data as Record<string, string> | undefined) ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])), ...((s.stringData as Record<string, string> | undefined) ?? {}) };
    for (const [name, kubeconfig] of Object.entries(data)) {
      const server = /server:\s*"?(\S+?)"?\s*$/m.exec(kubeconfig)?.[1] ?? (/"server":\s*"([^"]+)"/.exec(kubeconfig)?.[1] ?? '');
      // From istiod's pod, 127.0.0.1 is istiod itself: only a server on the kind network reaches the remote API.
      const target = h.sim.clusterNames().find((n) => n.endsWith(`-${name}`) || n === name);
      const synced = Boolean(target) && !/\/\/(127\.|localhost)/.test(server);
      out.push({ name, secret: `istio-system/${s.metadata.name}`, synced, ...(target ? { cluster: target } : {}) });
    }
  }
  return out;
}

export function istioctlHandler(h: SimHarness, vms: Map<string, Vm>, command: string[], stdin = '', opts: { ignoreServerFlag?: boolean; remoteEndpointsIgnored?: boolean; caPem?: string; caKeyPem?: string } = {}): ExecOutput {
  const [clusterName, ...argv] = command;
  if (!clusterName || !h.sim.hasCluster(clusterName)) return { stderr: `Error: no cluster for the context (${clusterName})\n`, exitCode: 1 };
  const c = h.sim.cluster(clusterName);
  const cmd = argv.find((a) => !a.startsWith('-'));
  if (cmd === 'install' || cmd === 'manifest') {
    let iop: IstioOperator;
    try {
      iop = (parseYaml(stdin) as IstioOperator | null) ?? {};
    } catch (e) {
      return { stderr: `Error: could not parse the IstioOperator on stdin: ${(e as Error).message}\n`, exitCode: 1 };
    }
    const objs = gatewayObjects(iop);
    if (cmd === 'manifest') return { stdout: objs.map((o) => stringify(o)).join('---\n'), exitCode: 0 };
    for (const o of objs) c.apply(o, 'istioctl');
    return { stdout: '✔ Ingress gateways installed\n✔ Installation complete\n', exitCode: 0 };
  }
  if (cmd === 'create-remote-secret') {
    const name = flag(argv, '--name') ?? clusterName;
    // kind's kubeconfig names the API server https://127.0.0.1:<port>; --server replaces it.
    const server = (!opts.ignoreServerFlag && flag(argv, '--server')) || `https://127.0.0.1:${40000 + (clusterName.length % 1000)}`;
    const kubeconfig = stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name, cluster: { 'certificate-authority-data': 'LS0tLS1CRUdJTi1zaW0tLS0tLQ==', server } }], contexts: [{ name, context: { cluster: name, user: name } }], 'current-context': name, users: [{ name, user: { token: 'sim-reader-token' } }] });
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: `istio-remote-secret-${name}`, namespace: 'istio-system', annotations: { 'networking.istio.io/cluster': name }, labels: { 'istio/multiCluster': 'true' } }, stringData: { [name]: kubeconfig } };
    const warn = server.includes('127.0.0.1') ? `Warning: the server address ${server} is a loopback address; istiod in another cluster cannot reach it\n` : '';
    return { stdout: `# This file is autogenerated, do not edit.\n${stringify(secret)}`, stderr: warn, exitCode: 0 };
  }
  if (cmd === 'post-install') {
    // After the shared fake's install: what the IstioOperator's values change in the cluster.
    const files = argv.filter((_, i) => argv[i - 1] === '-f' || argv[i - 1] === '--filename');
    const sets = Object.fromEntries(argv.filter((_, i) => argv[i - 1] === '--set').map((x) => [x.split('=')[0]!, x.split('=').slice(1).join('=')]));
    let profile = 'default';
    let values: NonNullable<NonNullable<IstioOperator['spec']>['values']> = {};
    for (const f of files) {
      const doc = parseYaml(readFileSync(f, 'utf8')) as IstioOperator | null;
      profile = doc?.spec?.profile ?? profile;
      values = { ...values, ...(doc?.spec?.values ?? {}) };
    }
    const clusterId = values.global?.multiCluster?.clusterName;
    const istiod = c.get('apps/v1', 'Deployment', 'istiod', 'istio-system');
    if (istiod && clusterId) {
      const spec = structuredClone(istiod.spec) as unknown as PodTemplateSpec;
      const ctr = spec.template.spec.containers[0]!;
      const env = (ctr.env ?? []).filter((e) => !['CLUSTER_ID', 'EXTERNAL_ISTIOD'].includes(e.name));
      if (values.global?.externalIstiod) env.push({ name: 'EXTERNAL_ISTIOD', value: 'true' });
      env.push({ name: 'CLUSTER_ID', value: clusterId });
      ctr.env = env;
      c.replace({ ...istiod, spec } as unknown as KubeObject);
    }
    if (istiod && !c.get('v1', 'Secret', 'istio-ca-secret', 'istio-system') && !c.get('v1', 'Secret', 'cacerts', 'istio-system')) {
      // istiod without plugged-in cacerts makes its self-signed root and keeps it in istio-ca-secret.
      const b64 = (t: string) => Buffer.from(t).toString('base64');
      c.create({ apiVersion: 'v1', kind: 'Secret', type: 'istio.io/ca-root', metadata: { name: 'istio-ca-secret', namespace: 'istio-system' }, data: { 'ca-cert.pem': b64(opts.caPem ?? ''), 'ca-key.pem': b64(opts.caKeyPem ?? ''), 'cert-chain.pem': '', 'key.pem': '', 'root-cert.pem': '' } } as unknown as KubeObject);
    }
    if (profile === 'remote') {
      // The remote profile's injection webhook calls istiod through remotePilotAddress; istiod fills in its CA later.
      const address = sets['values.global.remotePilotAddress'] ?? values.global?.remotePilotAddress ?? '';
      c.apply({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'MutatingWebhookConfiguration',
        metadata: { name: 'istio-sidecar-injector', labels: { app: 'sidecar-injector', 'istio.io/rev': 'default' } },
        webhooks: ['rev.namespace', 'rev.object', 'namespace', 'object'].map((n) => ({ name: `${n}.sidecar-injector.istio.io`, admissionReviewVersions: ['v1'], sideEffects: 'None', clientConfig: { url: `https://${address}:15017${values.istiodRemote?.injectionPath ?? '/inject'}` } })),
      } as KubeObject, 'istioctl');
    }
    return { exitCode: 0 };
  }
  if (cmd === 'proxy-status' || cmd === 'ps') {
    const istiod = c.list('v1', 'Pod', 'istio-system', { labelSelector: 'app=istiod' })[0]?.metadata.name ?? 'istiod';
    // The columns of istioctl 1.24 and later (SUBSCRIBED TYPES replaced the per-type sync columns).
    const rows = [['NAME', 'CLUSTER', 'ISTIOD', 'VERSION', 'SUBSCRIBED TYPES']];
    const row = (name: string, cl: string) => rows.push([name, cl, istiod, VERSION(), '4 (CDS,LDS,EDS,RDS)']);
    const meshCluster = (n: string) => n.replace(/^.*-(c\d+)$/, '$1');
    for (const p of sidecarPods(c)) row(`${p.metadata.name}.${p.metadata.namespace}`, clusterIdOf(c, clusterName));
    // Proxies of a remote cluster connect here only while that cluster has no istiod of its own.
    for (const r of remoteClusters(h, clusterName).filter((x) => x.synced && x.cluster && !h.sim.cluster(x.cluster).get('apps/v1', 'Deployment', 'istiod', 'istio-system'))) {
      for (const p of sidecarPods(h.sim.cluster(r.cluster!))) row(`${p.metadata.name}.${p.metadata.namespace}`, meshCluster(r.name));
    }
    for (const vm of vms.values()) {
      if (vm.cluster === clusterName && c.list('networking.istio.io/v1', 'WorkloadEntry', 'vm').some((we) => (we.spec as { address?: string }).address === vm.ip)) row('bookinfo-vm.vm', clusterIdOf(c, clusterName));
    }
    return { stdout: table(rows), exitCode: 0 };
  }
  if (cmd === 'remote-clusters') {
    const rows = [['NAME', 'SECRET', 'STATUS', 'ISTIOD']];
    const istiod = c.list('v1', 'Pod', 'istio-system', { labelSelector: 'app=istiod' })[0]?.metadata.name ?? 'istiod';
    rows.push([clusterIdOf(c, clusterName), '', 'synced', istiod]);
    for (const r of remoteClusters(h, clusterName)) rows.push([r.name, r.secret, r.synced ? 'synced' : 'timeout', istiod]);
    return { stdout: table(rows), exitCode: 0 };
  }
  if (cmd === 'proxy-config' || cmd === 'pc') {
    const what = argv[argv.indexOf(cmd) + 1];
    if (!what?.startsWith('endpoint')) return { stderr: `fake istioctl: not simulated: ${argv.join(' ')}\n`, exitCode: 0 };
    const m = /^outbound\|(\d+)\|([^|]*)\|([^.]+)\.([^.]+)\.svc\.cluster\.local$/.exec(flag(argv, '--cluster') ?? '');
    const rows = [['ENDPOINT', 'STATUS', 'OUTLIER CHECK', 'CLUSTER']];
    if (m) {
      const [, port, , name, ns] = m;
      const clusters = [clusterName, ...(opts.remoteEndpointsIgnored ? [] : remoteClusters(h, clusterName).filter((r) => r.synced && r.cluster).map((r) => r.cluster!))];
      for (const cn of clusters) {
        const cc = h.sim.cluster(cn);
        const svc = cc.get('v1', 'Service', name!, ns!) ?? c.get('v1', 'Service', name!, ns!);
        if (!svc || !cc.get('v1', 'Service', name!, ns!) && cn === clusterName) continue;
        const sel = (svc.spec as { selector?: Record<string, string> }).selector ?? {};
        const sp = ((svc.spec as { ports?: Array<{ port: number; targetPort?: number }> }).ports ?? []).find((p) => p.port === Number(port));
        const target = Number(sp?.targetPort ?? port);
        const matches = (labels: Record<string, string> = {}) => Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => labels[k] === v);
        for (const p of cc.list('v1', 'Pod', ns).filter((p) => matches(p.metadata.labels) && !Object.keys(p.metadata.labels ?? {}).some((k) => k.startsWith('kindlab.sim/')))) {
          const ready = ((p.status as { conditions?: Array<{ type: string; status: string }> }).conditions ?? []).some((x) => x.type === 'Ready' && x.status === 'True');
          rows.push([`${podIp(p)}:${target}`, ready ? 'HEALTHY' : 'UNHEALTHY', 'OK', flag(argv, '--cluster')!]);
        }
        for (const we of cc.list('networking.istio.io/v1', 'WorkloadEntry', ns)) {
          const spec = we.spec as { address?: string; labels?: Record<string, string> };
          if (!matches(spec.labels ?? we.metadata.labels)) continue;
          const healthy = ((we.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []).some((x) => x.type === 'Healthy' && x.status === 'True');
          rows.push([`${spec.address}:${target}`, healthy ? 'HEALTHY' : 'UNHEALTHY', 'OK', flag(argv, '--cluster')!]);
        }
      }
    }
    return { stdout: table(rows), exitCode: 0 };
  }
  return { stderr: `fake istioctl: not simulated: ${argv.join(' ')}\n`, exitCode: 0 };
}

/** The cluster ID istiod runs with (values.global.multiCluster.clusterName, else Kubernetes). */
function clusterIdOf(c: SimCluster, name: string): string {
  const istiod = c.get('apps/v1', 'Deployment', 'istiod', 'istio-system');
  const env = (istiod?.spec as PodTemplateSpec | undefined)?.template.spec.containers[0]?.env ?? [];
  return env.find((e) => e.name === 'CLUSTER_ID')?.value ?? (/-(c\d+)$/.exec(name)?.[1] ?? 'Kubernetes');
}
