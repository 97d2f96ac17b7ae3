/**
 * The network tools the labs run in pods and node containers: busybox `ping` (alpine images) and
 * `ip route` of a kind node (kindnet's route per remote pod CIDR via that node's address).
 */
import type { KubeObject } from '../../../src/core/seams.js';
import type { SimCluster } from '../apiserver.js';
import type { ExecOutput } from '../exec.js';
import { internalIp } from '../nodes.js';
import { nodeNameOf, podIp } from './cluster-view.js';

/** busybox ping: `ping [-c N] [-W S] [-q] host`. `reaches` says whether echo replies come back. */
export function ping(args: string[], reaches: (ip: string) => boolean): Required<ExecOutput> {
  let count = 4;
  let target: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-c') count = Number(args[++i]);
    else if (['-W', '-w', '-i', '-s', '-I', '-t'].includes(a)) i++;
    else if (!a.startsWith('-')) target = a;
  }
  if (!target) return { stdout: '', stderr: 'BusyBox v1.37.0 multi-call binary.\n\nUsage: ping [OPTIONS] HOST\n', exitCode: 1 };
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(target)) return { stdout: '', stderr: `ping: bad address '${target}'\n`, exitCode: 1 };
  const ok = reaches(target);
  const lines = [`PING ${target} (${target}): 56 data bytes`];
  if (ok) for (let seq = 0; seq < count; seq++) lines.push(`64 bytes from ${target}: seq=${seq} ttl=62 time=0.${100 + seq * 7} ms`);
  lines.push('', `--- ${target} ping statistics ---`, `${count} packets transmitted, ${ok ? count : 0} packets received, ${ok ? 0 : 100}% packet loss`);
  if (ok) lines.push('round-trip min/avg/max = 0.100/0.107/0.114 ms');
  return { stdout: `${lines.join('\n')}\n`, stderr: '', exitCode: ok ? 0 : 1 };
}

/** `ip route` in a kind node container. */
export function ipRoute(cluster: SimCluster, node: KubeObject, podRoutes: boolean): Required<ExecOutput> {
  const ip = internalIp(node) ?? '';
  const lines = ['default via 172.18.0.1 dev eth0 '];
  for (const other of cluster.list('v1', 'Node')) {
    const cidr = (other.spec as { podCIDR?: string }).podCIDR;
    if (!cidr) continue;
    if (other.metadata.name === node.metadata.name) {
      for (const pod of cluster.list('v1', 'Pod').filter((p) => nodeNameOf(p) === node.metadata.name && !(p.spec as { hostNetwork?: boolean }).hostNetwork && podIp(p))) {
        lines.push(`${podIp(pod)} dev veth${pod.metadata.uid?.slice(0, 8) ?? '0'} scope host `);
      }
    } else if (podRoutes) lines.push(`${cidr} via ${internalIp(other)} dev eth0 `);
  }
  lines.push(`172.18.0.0/16 dev eth0 proto kernel scope link src ${ip} `);
  return { stdout: `${lines.join('\n')}\n`, stderr: '', exitCode: 0 };
}
