/**
 * Commands in pods (`kubectl exec`, kindlab's pod vantage points): busybox `ping` from the pod's
 * network (alpine and busybox images), and kindlab's request batches sent from the pod.
 */
import type { ExecRequest } from '../exec.js';
import { isSamplerCommand, simulateSamplerScript } from '../../checks/sampler-sim.js';
import { simpleWords, shellScript, type ExecBehaviour } from './exec-chain.js';
import { ping } from './net-tools.js';
import type { Network } from './network.js';

const HAS_BUSYBOX = /(^|\/)(alpine|busybox)(:|@|$)/;

export function podShell(net: Network): ExecBehaviour {
  return (req: ExecRequest) => {
    if (!req.pod || !req.namespace) return undefined;
    const origin = { pod: { cluster: req.cluster, namespace: req.namespace, name: req.pod } };
    if (isSamplerCommand(req.command)) return simulateSamplerScript(req.command, (r) => net.http(origin, r));
    const script = shellScript(req.command);
    const argv = script === undefined ? req.command : simpleWords(script);
    if (argv?.[0] !== 'ping') return undefined;
    const pod = net.sim.cluster(req.cluster).get('v1', 'Pod', req.pod, req.namespace);
    const image = ((pod?.spec as { containers?: Array<{ name: string; image?: string }> } | undefined)?.containers ?? []).find((c) => c.name === req.container)?.image ?? '';
    if (!HAS_BUSYBOX.test(image)) return { stdout: '', stderr: `OCI runtime exec failed: exec failed: unable to start container process: exec: "ping": executable file not found in $PATH: unknown\n`, exitCode: 127 };
    return ping(argv.slice(1), (ip) => net.ping(origin, ip));
  };
}
