/**
 * Commands in a kind node container (`docker exec <node> ...`, and the check kinds that run there):
 * - kindlab's request batches (sampler scripts) and TLS handshakes (`openssl s_client`), answered by
 *   the network model and by the node's kube-apiserver (the serving pair on its disk, kubelet.ts);
 * - `kubeadm`, `crictl`, `curl`, `ip route`; `ping` only from an image that has it (`docker run
 *   --network container:<node> alpine ping ...`; the kind node image has none);
 * - file tools and shell one-liners against the node's own filesystem (node-fs.ts).
 * A node is set up on first use: kind's files, its PKI, and on a control plane the static pods.
 * After every command the kubelet looks at the static pod manifests (kubelet.ts).
 */
import type { Sim } from '../apiserver.js';
import type { ExecOutput, ExecRequest } from '../exec.js';
import { internalIp, roleOf } from '../nodes.js';
import { isSamplerCommand, simulateSamplerScript } from '../../checks/sampler-sim.js';
import { curlOutput, parseCurl } from './curl.js';
import { shellScript, simpleWords, type ExecBehaviour } from './exec-chain.js';
import type { Kubeadm } from './kubeadm.js';
import type { Kubelets } from './kubelet.js';
import { seedKindNodeFiles } from './kind-node-files.js';
import { ipRoute, ping } from './net-tools.js';
import type { Network } from './network.js';
import type { NodeFs } from './node-fs.js';
import type { ClusterPki } from './pki.js';

export interface NodeShellDeps {
  sim: Sim;
  fs: NodeFs;
  pki: ClusterPki;
  kubelets: Kubelets;
  kubeadm: Kubeadm;
  net: Network;
  podRoutes: boolean;
}

type Out = Required<ExecOutput>;

/** What `openssl s_client -showcerts` prints for a server presenting `certPem`. */
function sClientOutput(certPem: string): string {
  return `CONNECTED(00000003)\n---\nCertificate chain\n 0 s:CN = kube-apiserver\n   i:CN = kubernetes\n${certPem}---\nServer certificate\nsubject=CN = kube-apiserver\n---\nSSL handshake has read 1500 bytes and written 400 bytes\n---\n`;
}

export function nodeShell(deps: NodeShellDeps): ExecBehaviour {
  const { sim, fs, pki, kubelets, kubeadm, net } = deps;
  const seeded = new Set<string>();

  const factsOf = (req: ExecRequest) => {
    if (!req.node || !req.cluster || !sim.hasCluster(req.cluster)) return undefined;
    const cluster = sim.cluster(req.cluster);
    const node = cluster.get('v1', 'Node', req.node);
    if (!node) return undefined;
    return { cluster, clusterName: req.cluster, nodeObj: node, node: req.node, role: roleOf(node), ip: internalIp(node) ?? '' };
  };

  /** The certificate served at an endpoint reached from `node`: a control plane's kube-apiserver on 6443. */
  const servedAt = (clusterName: string, node: string, endpoint: string): string | undefined => {
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(endpoint);
    if (!m || m[2] !== '6443') return undefined;
    const host = m[1]!;
    const cluster = sim.cluster(clusterName);
    const target =
      host === '127.0.0.1' || host === 'localhost'
        ? cluster.get('v1', 'Node', node)
        : cluster.list('v1', 'Node').find((n) => n.metadata.name === host || internalIp(n) === host);
    if (!target || roleOf(target) !== 'control-plane' || !net.nodeUp(target.metadata.name)) return undefined;
    return kubelets.servingCertificate(target.metadata.name);
  };

  const run = async (f: NonNullable<ReturnType<typeof factsOf>>, argv: string[], req: ExecRequest): Promise<Out> => {
    const [cmd, ...args] = argv;
    const origin = { node: f.node };
    if (req.image) {
      // A throwaway container in the node's network namespace (alpine: busybox tools).
      if (cmd === 'ping') return ping(args, (ip) => net.ping(origin, ip));
      return { stdout: '', stderr: `sim: not simulated in ${req.image}: ${argv.join(' ')}\n`, exitCode: 127 };
    }
    const script = shellScript(argv);
    if (script !== undefined) {
      if (isSamplerCommand(argv)) return simulateSamplerScript(argv, (r) => net.http(origin, r));
      const handshake = /openssl s_client -connect '([^']+)'/.exec(script);
      if (handshake) {
        const pem = servedAt(f.clusterName, f.node, handshake[1]!);
        return pem ? { stdout: sClientOutput(pem), stderr: '', exitCode: 0 } : { stdout: 'CONNECTED(00000003)\n', stderr: '', exitCode: 1 };
      }
      const words = simpleWords(script);
      if (words) return run(f, words, req);
      return fs.script(f.node, script, req.stdin);
    }
    switch (cmd) {
      case 'kubeadm':
        return kubeadm.run(f.clusterName, f.node, f.role, args);
      case 'crictl':
        return kubelets.crictl(f.node, args);
      case 'curl': {
        const inv = parseCurl(args);
        if ('error' in inv) return { stdout: '', stderr: `${inv.error}\n`, exitCode: 2 };
        return curlOutput(inv, net.http(origin, inv.request));
      }
      case 'ip':
        if (args[0] === 'route' || args[0] === 'r') return ipRoute(f.cluster, f.nodeObj, deps.podRoutes);
        break;
      default: {
        const r = fs.tool(f.node, argv, req.stdin);
        if (r) return r;
      }
    }
    return {
      stdout: '',
      stderr: `OCI runtime exec failed: exec failed: unable to start container process: exec: "${cmd}": executable file not found in $PATH: unknown\n`,
      exitCode: 127,
    };
  };

  return async (req) => {
    const f = factsOf(req);
    if (!f) return undefined;
    if (!seeded.has(f.node)) {
      seeded.add(f.node);
      seedKindNodeFiles(fs, { cluster: f.clusterName, node: f.node, role: f.role, ip: f.ip });
      pki.seed({ cluster: f.clusterName, node: f.node, role: f.role, ip: f.ip });
      if (f.role === 'control-plane') kubelets.seed(f.clusterName, f.node);
    }
    kubelets.sync(f.node);
    try {
      return await run(f, req.command, req);
    } finally {
      kubelets.sync(f.node);
    }
  };
}
