/**
 * Host ports a cluster's extraPortMappings will bind. Docker only reports a taken port after kind
 * has created half the nodes ("Ports are not available", kind#3681), so kindlab test-binds each
 * TCP port on its listen address first and names the port and the cluster when one is taken.
 */
import { createServer } from 'node:net';
import type { ClusterSpec } from '../../model/frontmatter-schema.js';
import { expandNodes } from './config.js';

export interface HostPort {
  address: string;
  port: number;
  /** "cluster c1 node 2", for messages. */
  owner: string;
}

export function hostPortsOf(cluster: ClusterSpec, label: string): HostPort[] {
  return expandNodes(cluster).flatMap((n, i) =>
    (n.portMappings ?? [])
      // Only TCP can be test-bound this way; UDP/SCTP conflicts still surface from Docker.
      .filter((p) => (p.protocol ?? 'TCP') === 'TCP')
      .map((p) => ({ address: p.listenAddress ?? '127.0.0.1', port: p.hostPort, owner: `${label} node ${i + 1}` })),
  );
}

/** Resolves true when address:port can be bound right now. */
export function canBind(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: address, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The ports that are taken, as messages. */
export async function takenPorts(ports: readonly HostPort[], bind = canBind): Promise<string[]> {
  const results = await Promise.all(ports.map(async (p) => ((await bind(p.address, p.port)) ? undefined : p)));
  return results
    .filter((p): p is HostPort => p !== undefined)
    .map((p) => `${p.address}:${p.port} (${p.owner}) is already in use`);
}
