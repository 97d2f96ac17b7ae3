/**
 * `kindlab open kiali|grafana|prometheus|jaeger|zipkin`: a kubectl port-forward to the addon's
 * Service, bound to 127.0.0.1 only (a lab's dashboards have no authentication and should not be
 * reachable from the network), on the usual port when it is free and on any free port otherwise
 * (pain point 3.8: a stale forward or a local Grafana on 3000 makes `istioctl dashboard` fail).
 * Service names and ports are those of istio release-1.31 samples/addons; the UI paths are the
 * ones `istioctl dashboard` opens (Kiali under /kiali) plus Jaeger's base path /jaeger, set in
 * samples/addons/jaeger.yaml (`base_path: /jaeger`).
 */
import { createServer, type AddressInfo } from 'node:net';
import { KindlabError } from '../../core/errors.js';
import type { ProcessRunner, RunResult } from '../../core/seams.js';
import { canBind } from '../kind/host-ports.js';
import { kubectlArgs, outputTail, type ClusterAccess } from '../kind/run.js';
import { ISTIO_NAMESPACE } from '../addons/istio.js';

export const LOOPBACK = '127.0.0.1';

export interface Dashboard {
  service: string;
  /** Service port. */
  port: number;
  /** Local port tried first (the one people know from istioctl dashboard). */
  localPort: number;
  /** Path of the UI. */
  path: string;
  /** The istio-addons entry that installs it, for the error when it is missing. */
  addon: string;
}

export const DASHBOARDS = {
  kiali: { service: 'kiali', port: 20001, localPort: 20001, path: '/kiali', addon: 'kiali' },
  grafana: { service: 'grafana', port: 3000, localPort: 3000, path: '/', addon: 'grafana' },
  prometheus: { service: 'prometheus', port: 9090, localPort: 9090, path: '/', addon: 'prometheus' },
  // Service "tracing" maps port 80 to Jaeger's query port 16686.
  jaeger: { service: 'tracing', port: 80, localPort: 16686, path: '/jaeger', addon: 'jaeger' },
  zipkin: { service: 'zipkin', port: 9411, localPort: 9411, path: '/zipkin/', addon: 'zipkin' },
} satisfies Record<string, Dashboard>;
export type DashboardName = keyof typeof DASHBOARDS;

/** A port the OS considers free right now (bind to port 0, read it, release it). */
export function ephemeralPort(address = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: address, port: 0 }, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The preferred port when it can be bound on 127.0.0.1, else a free one. */
export async function pickLocalPort(preferred: number, bind = canBind): Promise<number> {
  return (await bind(LOOPBACK, preferred)) ? preferred : ephemeralPort();
}

export interface OpenOptions {
  runner: ProcessRunner;
  kubectl: string;
  access: ClusterAccess;
  env?: Record<string, string | undefined>;
  namespace?: string;
  /** Use exactly this local port (fails if taken) instead of picking one. */
  localPort?: number;
  /** Stops the port-forward. */
  signal?: AbortSignal;
  readyTimeoutMs?: number;
}

export interface OpenDashboard {
  url: string;
  localPort: number;
  /** Settles when the port-forward ends (signal, or kubectl exiting). */
  done: Promise<RunResult>;
}

export function portForwardArgs(access: ClusterAccess, namespace: string, d: Dashboard, localPort: number): string[] {
  return kubectlArgs(access, '--namespace', namespace, 'port-forward', '--address', LOOPBACK, `svc/${d.service}`, `${localPort}:${d.port}`);
}

/** Starts the port-forward and resolves once kubectl reports it is listening. */
export async function openDashboard(name: DashboardName, opts: OpenOptions): Promise<OpenDashboard> {
  const d: Dashboard = DASHBOARDS[name];
  const namespace = opts.namespace ?? ISTIO_NAMESPACE;
  const localPort = opts.localPort ?? (await pickLocalPort(d.localPort));
  const url = `http://${LOOPBACK}:${localPort}${d.path}`;

  let output = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const done = opts.runner.run(opts.kubectl, portForwardArgs(opts.access, namespace, d, localPort), {
    env: opts.env,
    signal: opts.signal,
    onOutput: (chunk) => {
      output += chunk;
      if (output.includes(`Forwarding from ${LOOPBACK}:${localPort}`)) markReady();
    },
  });

  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), opts.readyTimeoutMs ?? 30_000)));
  const outcome = await Promise.race([ready.then(() => 'ready' as const), done.then((r) => r), timeout]);
  clearTimeout(timer);
  if (outcome === 'ready') return { url, localPort, done };
  if (outcome === 'timeout') {
    throw new KindlabError('environment', `kubectl port-forward to svc/${d.service} did not start listening on ${LOOPBACK}:${localPort}`, {
      details: output.trim().split('\n').slice(-10),
    });
  }
  const missing = /not found/i.test(outcome.stderr);
  throw new KindlabError('environment', `cannot open ${name}: kubectl port-forward exited (${outcome.exitCode})`, {
    details: outputTail(outcome, 10),
    ...(missing ? { fix: `Is the ${d.addon} addon installed? List it under istio-addons in the lab's front matter.` } : {}),
  });
}
