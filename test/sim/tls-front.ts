/**
 * A stop-gap HTTPS front for the plain-HTTP sim, so the real kubectl (which will not send a bearer
 * token to an http:// server) can talk to it: a TLS listener on 127.0.0.1 with a throwaway CA,
 * each connection decrypted and piped byte for byte to the sim's HTTP port. Being a byte pipe, it
 * carries upgrades (WebSocket exec, SPDY port-forward) unchanged. ALPN offers only http/1.1, the
 * protocol the sim speaks (Go would otherwise try HTTP/2).
 *
 * Replace with the sim's own HTTPS listener (wip/sim) once that lands; nothing else depends on it.
 *
 *   const front = await startTlsFront(sim);
 *   await front.writeKubeconfig(path, 'kind-default');
 *   ... real kubectl --kubeconfig path ...
 *   await front.stop();
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { createServer, type TLSSocket } from 'node:tls';
import type { Sim } from './apiserver.js';
import { issueCertificate } from './behaviour/x509.js';

export interface TlsFront {
  /** https://127.0.0.1:<port> — the default cluster. */
  url: string;
  /** PEM of the CA that signed the front's serving certificate. */
  caPem: string;
  urlFor(cluster?: string): string;
  /** Writes a kubeconfig (CA data + bearer token) for a sim cluster through the front; the context becomes current. */
  writeKubeconfig(path: string, contextName: string, opts?: { cluster?: string; namespace?: string }): Promise<void>;
  stop(): Promise<void>;
}

export async function startTlsFront(sim: Sim): Promise<TlsFront> {
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 24 * 3600_000);
  const ca = issueCertificate({ subject: { CN: 'kindlab-sim-ca' }, ca: true, notBefore, notAfter });
  const leaf = issueCertificate({ subject: { CN: 'kindlab-sim' }, ips: ['127.0.0.1'], dnsNames: ['localhost'], issuer: ca, notBefore, notAfter });
  const backend = new URL(sim.url);
  const open = new Set<Socket>();

  const server = createServer({ key: leaf.keyPem, cert: leaf.certPem, ALPNProtocols: ['http/1.1'] }, (client: TLSSocket) => {
    const upstream = connect(Number(backend.port), backend.hostname);
    open.add(client).add(upstream);
    const done = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', done).on('close', done);
    upstream.on('error', done).on('close', done);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const urlFor = (cluster = 'default') => (cluster === 'default' ? url : `${url}/clusters/${encodeURIComponent(cluster)}`);

  return {
    url,
    caPem: ca.certPem,
    urlFor,
    async writeKubeconfig(path, contextName, opts = {}) {
      const config = {
        apiVersion: 'v1',
        kind: 'Config',
        preferences: {},
        clusters: [{ name: contextName, cluster: { server: urlFor(opts.cluster), 'certificate-authority-data': Buffer.from(ca.certPem).toString('base64') } }],
        users: [{ name: contextName, user: { token: 'kindlab-sim-token' } }],
        contexts: [{ name: contextName, context: { cluster: contextName, user: contextName, ...(opts.namespace ? { namespace: opts.namespace } : {}) } }],
        'current-context': contextName,
      };
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    },
    async stop() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
