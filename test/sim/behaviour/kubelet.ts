/**
 * The kubelet of a control-plane node container, for its static pods: it runs one pod per manifest
 * in /etc/kubernetes/manifests, stops a pod whose manifest leaves that folder (its mirror pod leaves
 * the API), and starts it again when the manifest comes back — only then do the components load
 * the client certificates in controller-manager.conf, scheduler.conf and the like again.
 * kube-apiserver is the exception for its serving certificate: it watches apiserver.crt/.key and
 * serves a new pair as soon as both match (k8s.io/apiserver dynamiccertificates
 * DynamicCertKeyPairContent: fsnotify plus a recheck every minute; a mismatched pair is refused and
 * the last good one kept). So after `kubeadm certs renew` a TLS client sees the new certificate
 * without any restart, and the served certificate proves nothing about a restart.
 *
 * The model looks at the folder whenever something runs in the node (the real kubelet scans every
 * 20 s); `crictl ps` lists what runs.
 */
import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import type { KubeObject } from '../../../src/core/seams.js';
import type { Sim } from '../apiserver.js';
import { timestamp } from '../cluster.js';
import { startPod } from '../pods.js';
import type { ExecOutput } from '../exec.js';
import { getOf } from './cluster-view.js';
import type { NodeFs } from './node-fs.js';

export const STATIC_PODS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;
const MANIFESTS = '/etc/kubernetes/manifests';

interface Running {
  id: string;
  startedAt: string;
}

interface NodeKubelet {
  cluster: string;
  running: Map<string, Running>;
  /** The certificate the running kube-apiserver presents (the last good pair it loaded). */
  servingCert?: string;
  /** Mirror pods as they were, to recreate them when the static pod starts again. */
  mirrors: Map<string, KubeObject>;
}

export function staticPodManifest(component: string): string {
  const images: Record<string, string> = {
    etcd: 'registry.k8s.io/etcd:3.6.4-0',
    'kube-apiserver': 'registry.k8s.io/kube-apiserver:v1.35.0',
    'kube-controller-manager': 'registry.k8s.io/kube-controller-manager:v1.35.0',
    'kube-scheduler': 'registry.k8s.io/kube-scheduler:v1.35.0',
  };
  return [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    '  labels:',
    `    component: ${component}`,
    '    tier: control-plane',
    `  name: ${component}`,
    '  namespace: kube-system',
    'spec:',
    '  containers:',
    `  - name: ${component}`,
    `    image: ${images[component]}`,
    '  hostNetwork: true',
    '  priorityClassName: system-node-critical',
    '',
  ].join('\n');
}

export class Kubelets {
  private readonly nodes = new Map<string, NodeKubelet>();
  /** What the kubelets did, in order: "<node>: stopped kube-apiserver", "<node>: started ...". */
  readonly events: string[] = [];

  constructor(
    private readonly sim: Sim,
    private readonly fs: NodeFs,
  ) {}

  /** Writes the static pod manifests of a new control-plane node and records its pods as running. */
  seed(cluster: string, node: string): void {
    if (this.nodes.has(node)) return;
    if (!this.fs.exists(node, MANIFESTS)) for (const c of STATIC_PODS) this.fs.write(node, `${MANIFESTS}/${c}.yaml`, staticPodManifest(c));
    const state: NodeKubelet = { cluster, running: new Map(), mirrors: new Map() };
    for (const c of STATIC_PODS) if (this.fs.exists(node, `${MANIFESTS}/${c}.yaml`)) state.running.set(c, { id: randomBytes(32).toString('hex'), startedAt: timestamp() });
    state.servingCert = this.loadServingPair(node);
    this.nodes.set(node, state);
  }

  /** The certificate kube-apiserver on `node` serves now, if it runs (reloaded from disk, see above). */
  servingCertificate(node: string): string | undefined {
    this.sync(node);
    const state = this.nodes.get(node);
    if (!state?.running.has('kube-apiserver')) return undefined;
    state.servingCert = this.loadServingPair(node) ?? state.servingCert;
    return state.servingCert;
  }

  /** apiserver.crt when it is a certificate whose key is apiserver.key, as tls.X509KeyPair demands. */
  private loadServingPair(node: string): string | undefined {
    const certPem = this.fs.read(node, '/etc/kubernetes/pki/apiserver.crt');
    const keyPem = this.fs.read(node, '/etc/kubernetes/pki/apiserver.key');
    if (!certPem || !keyPem) return undefined;
    try {
      return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem)) ? certPem : undefined;
    } catch {
      return undefined;
    }
  }

  /** Starts and stops static pods to match the manifests folder. */
  sync(node: string): void {
    const state = this.nodes.get(node);
    if (!state || !this.sim.hasCluster(state.cluster)) return;
    const cluster = this.sim.cluster(state.cluster);
    const present = new Set(this.fs.list(node, MANIFESTS).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')));
    for (const component of STATIC_PODS) {
      const mirrorName = `${component}-${node}`;
      if (state.running.has(component) && !present.has(component)) {
        state.running.delete(component);
        this.events.push(`${node}: stopped ${component}`);
        const mirror = getOf(cluster, 'v1', 'Pod', mirrorName, 'kube-system');
        if (mirror) {
          state.mirrors.set(component, mirror);
          cluster.delete('v1', 'Pod', mirrorName, 'kube-system');
        }
      } else if (!state.running.has(component) && present.has(component)) {
        state.running.set(component, { id: randomBytes(32).toString('hex'), startedAt: timestamp() });
        this.events.push(`${node}: started ${component}`);
        if (component === 'kube-apiserver') state.servingCert = this.loadServingPair(node) ?? state.servingCert;
        const old = state.mirrors.get(component);
        if (old && !getOf(cluster, 'v1', 'Pod', mirrorName, 'kube-system')) {
          const { uid: _u, resourceVersion: _r, creationTimestamp: _c, managedFields: _m, ...metadata } = old.metadata;
          const pod = cluster.create({ apiVersion: 'v1', kind: 'Pod', metadata, spec: old.spec } as KubeObject);
          startPod(cluster, pod);
        }
      }
    }
  }

  /** `crictl ps [-a] [--name REGEX] [-q]` for the static pods. */
  crictl(node: string, args: string[]): Required<ExecOutput> {
    this.sync(node);
    const state = this.nodes.get(node);
    if (args[0] !== 'ps') return { stdout: '', stderr: `crictl: not simulated: ${args.join(' ')}\n`, exitCode: 1 };
    const nameAt = args.findIndex((a) => a === '--name' || a.startsWith('--name='));
    const pattern = nameAt < 0 ? undefined : args[nameAt]!.includes('=') ? args[nameAt]!.split('=')[1] : args[nameAt + 1];
    const rows = [...(state?.running ?? new Map<string, Running>())].filter(([name]) => !pattern || new RegExp(pattern).test(name));
    if (args.includes('-q') || args.includes('--quiet')) return { stdout: rows.map(([, r]) => `${r.id}\n`).join(''), stderr: '', exitCode: 0 };
    const lines = ['CONTAINER           IMAGE               CREATED             STATE               NAME                      ATTEMPT             POD ID              POD'];
    for (const [name, r] of rows) lines.push(`${r.id.slice(0, 13)}       sha256:0000000      About a minute ago  Running             ${name.padEnd(25)} 0                   ${r.id.slice(13, 26)}       ${name}-${node}`);
    return { stdout: `${lines.join('\n')}\n`, stderr: '', exitCode: 0 };
  }
}
