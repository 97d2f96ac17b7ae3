/**
 * A simulated Kubernetes API server for integration tests: HTTPS (and plain HTTP for its own
 * channel) on one 127.0.0.1 port, enough of the API (discovery, OpenAPI, CRUD, list/watch, tables,
 * patch incl. strategic merge and server-side apply, validation, status/scale subresources, exec,
 * logs, events) for the real kubectl and helm, @kubernetes/client-node and the fake executables.
 *
 * One sim serves several clusters: the root URL is the cluster "default"; `${url}/clusters/<name>`
 * is another (fake `kind create cluster` makes one per kind cluster). Controllers are opt-in:
 *
 *   const sim = await startSimCluster();
 *   sim.addNodes('default', [{ name: 'kind-control-plane', role: 'control-plane' }]);
 *   sim.controllers.rollouts({ delayMs: 20 });
 *   sim.onExec = ({ pod, command }) => ({ stdout: 'hello\n', exitCode: 0 });
 *   sim.onPortForward = ({ pod, port }) => ({ http: (req, res) => res.end(`${pod}:${port}`) });
 *   await sim.writeKubeconfig(path, 'kind-default');
 *   ... sim.store.get('apps/v1', 'Deployment', 'web', 'default') ... sim.requests ...
 *   await sim.stop();
 */
import { EventEmitter } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createSecureServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import { parse as parseYaml } from 'yaml';
import { bootstrapCluster, bootstrapKindCluster } from './bootstrap.js';
import { SimCluster } from './cluster.js';
import { endpointSlicesController } from './controllers/endpoint-slices.js';
import { eventsController } from './controllers/events.js';
import type { Controller } from './controllers/framework.js';
import { jobsController } from './controllers/jobs.js';
import { loadBalancersController, type LoadBalancerOptions } from './controllers/load-balancers.js';
import { podsController } from './controllers/pods.js';
import { rolloutsController, type RolloutOptions } from './controllers/rollouts.js';
import { sidecarInjectionController, type SidecarInjectionOptions } from './controllers/sidecar-injection.js';
import { coreVersions, group, groupList, resourceList, versionInfo } from './discovery.js';
import { createExecUpgradeHandler } from './exec-streams.js';
import { defaultExecHandler, resolveContainer, runExec, type ExecHandler, type ExecRequest } from './exec.js';
import { addNodes, internalIp, type SimNodeSpec } from './nodes.js';
import type { PodFateFn } from './pods.js';
import { serveOpenApi } from './openapi/serve.js';
import { createPortForwardUpgradeHandler, refusePortForward, type PortForwardHandler } from './portforward.js';
import { decodeProtobufObject } from './protobuf.js';
import { handleRest, parseBody, parseResourcePath } from './rest.js';
import { badRequest, pageNotFound, SimHttpError, unauthorized } from './status.js';
import { clientCertificateUser, SimPki, type SimCredentials, type SimUser } from './tls.js';
import { queryFlag } from './watch-options.js';
import { serveWatch, type OpenWatch } from './watch.js';

export type { ExecHandler, ExecRequest } from './exec.js';
export type { PortForwardHandler, PortForwardRequest, PortForwardTarget } from './portforward.js';
export type { SimNodeSpec } from './nodes.js';
export type { PodFate, PodFateFn } from './pods.js';
export type { SimCluster } from './cluster.js';
export type { SimCredentials, SimUser } from './tls.js';

export interface RecordedRequest {
  /** Sim cluster the request went to. */
  cluster: string;
  method: string;
  /** Path within the cluster, e.g. /apis/apps/v1/namespaces/default/deployments/web */
  path: string;
  query: Record<string, string>;
  contentType?: string;
  /** Parsed body (JSON or YAML), when there was one. */
  body?: unknown;
  /** True for a streaming upgrade (exec, port-forward; WebSocket or SPDY). */
  upgrade?: boolean;
}

export type LogHandler = (req: { cluster: string; namespace: string; pod: string; container: string }) => string;

export interface SimOptions {
  /** Nodes of the default cluster (none unless given). */
  nodes?: SimNodeSpec[];
}

export interface SimControllers {
  /** Deployments/DaemonSets/StatefulSets/ReplicaSets get pods and status. */
  rollouts(opts?: RolloutOptions): () => void;
  /** LoadBalancer Services get an external IP. */
  loadBalancers(opts?: LoadBalancerOptions): () => void;
  /** Services with selectors get EndpointSlices and Endpoints. */
  endpointSlices(opts?: { delayMs?: number }): () => void;
  /** Pods created directly are scheduled and started. */
  pods(opts?: { delayMs?: number; podFate?: PodFateFn }): () => void;
  /** Jobs complete. */
  jobs(opts?: { delayMs?: number }): () => void;
  /** Pods in istio-injection=enabled namespaces get an istio-proxy container. */
  sidecarInjection(opts?: SidecarInjectionOptions): () => void;
  /** Events from the scheduler, kubelet and workload controllers, for what the others did. */
  events(): () => void;
  /** All of the above; returns one function that stops them all. */
  all(opts?: { delayMs?: number; podFate?: PodFateFn }): () => void;
}

const DEFAULT_CLUSTER = 'default';
/** The bearer token the sim accepts over HTTPS (besides client certificates and sim.addToken ones). */
export const SIM_TOKEN = 'kindlab-sim-token';
const TLS_HANDSHAKE = 0x16;

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export class Sim extends EventEmitter {
  /**
   * Base URL of the default cluster over plain HTTP (http://127.0.0.1:<port>): the sim's own channel
   * for in-process tests and the fakes' /_sim calls, where any bearer token is accepted.
   */
  url = '';
  /** The same port over HTTPS (https://127.0.0.1:<port>), as kubeconfigs name it: what real clients use. */
  secureUrl = '';
  /** The sim's CA, serving certificate and admin client certificate. */
  readonly pki = new SimPki();
  /** Decides what exec (WebSocket, /_sim/exec, fake docker exec) prints and returns. */
  onExec: ExecHandler = defaultExecHandler;
  /** Decides what listens on a pod's port for pods/<name>/portforward (default: nothing, connection refused). */
  onPortForward: PortForwardHandler = refusePortForward;
  /** Decides what pods/<name>/log returns. */
  onLogs: LogHandler = () => '';
  /** How often watches with allowWatchBookmarks get a BOOKMARK (a real API server: about a minute). */
  watchBookmarkIntervalMs = 60_000;
  /** Every API request, in order (also emitted as 'request' events). */
  readonly requests: RecordedRequest[] = [];
  readonly controllers: SimControllers;

  private readonly clusters = new Map<string, SimCluster>();
  private readonly enabled = new Map<Controller, Map<SimCluster, () => void>>();
  private readonly namedControllers = new Map<string, () => void>();
  private readonly watches = new Set<OpenWatch>();
  private rv = 1;
  private readonly tokens = new Map<string, SimUser>([[SIM_TOKEN, { name: 'kubernetes-admin', groups: ['kubeadm:cluster-admins', 'system:authenticated'] }]]);
  private readonly server = createServer((req, res) => void this.handle(req, res));
  /** HTTPS on the same port: requests and upgrades go to the plain server's handlers. */
  private readonly secureServer = createSecureServer({
    cert: this.pki.serving.certPem + this.pki.ca.certPem,
    key: this.pki.serving.keyPem,
    requestCert: true,
    rejectUnauthorized: false,
  });
  /** One port for both: a connection opening with a TLS handshake record is HTTPS. */
  private readonly listener = createNetServer((socket) => this.accept(socket));
  private readonly sockets = new Set<Socket>();
  private readonly upgrades = {
    route: (pathname: string) => {
      const routed = this.route(pathname);
      return routed && { cluster: routed.cluster, rest: routed.rest };
    },
    authorized: (req: IncomingMessage) => this.authorized(req),
    onRequest: (cluster: SimCluster, url: URL, method = 'GET') =>
      this.record({ cluster: cluster.name, method, path: url.pathname, query: Object.fromEntries(url.searchParams), upgrade: true }),
  };
  private readonly exec = createExecUpgradeHandler({ ...this.upgrades, handler: () => this.onExec });
  private readonly portForward = createPortForwardUpgradeHandler({ ...this.upgrades, handler: () => this.onPortForward });

  constructor(opts: SimOptions = {}) {
    super();
    this.createCluster(DEFAULT_CLUSTER, opts.nodes ? { nodes: opts.nodes, kind: false } : {});
    // Streaming upgrades (WebSocket or SPDY/3.1): port-forward, else exec (which refuses other paths).
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const rest = this.route(new URL(req.url ?? '/', 'http://sim').pathname)?.rest ?? '';
      (this.portForward.matches(rest) ? this.portForward.onUpgrade : this.exec.onUpgrade)(req, socket, head);
    });
    this.secureServer.on('request', (req, res) => this.server.emit('request', req, res));
    this.secureServer.on('upgrade', (req, socket, head) => this.server.emit('upgrade', req, socket, head));
    const enable = (name: string, controller: Controller) => this.enable(controller, name);
    this.controllers = {
      rollouts: (o) => enable('rollouts', rolloutsController(o)),
      loadBalancers: (o) => enable('loadBalancers', loadBalancersController(o)),
      endpointSlices: (o) => enable('endpointSlices', endpointSlicesController(o)),
      pods: (o) => enable('pods', podsController(o)),
      jobs: (o) => enable('jobs', jobsController(o)),
      sidecarInjection: (o) => enable('sidecarInjection', sidecarInjectionController(o)),
      events: () => enable('events', eventsController()),
      all: (o = {}) => {
        const delay = o.delayMs === undefined ? {} : { delayMs: o.delayMs };
        const fate = o.podFate ? { podFate: o.podFate } : {};
        const stops = [
          this.controllers.sidecarInjection(),
          this.controllers.rollouts({ ...delay, ...fate }),
          this.controllers.pods({ ...delay, ...fate }),
          this.controllers.jobs(delay),
          this.controllers.loadBalancers(delay),
          this.controllers.endpointSlices(delay),
          this.controllers.events(),
        ];
        return () => stops.forEach((s) => s());
      },
    };
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.listener.listen(0, '127.0.0.1', resolve));
    const { port } = this.listener.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    this.secureUrl = `https://127.0.0.1:${port}`;
  }

  private accept(socket: Socket): void {
    // The HTTP servers never listen themselves, so their closeAllConnections does not see these.
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.once('data', (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      (first[0] === TLS_HANDSHAKE ? this.secureServer : this.server).emit('connection', socket);
      process.nextTick(() => socket.resume());
    });
    socket.on('error', () => socket.destroy());
  }

  /** Admin credentials for HTTPS: the CA, and the client certificate kind puts in its kubeconfig. */
  credentials(): SimCredentials {
    return this.pki.credentials();
  }

  /** Accepts another bearer token over HTTPS, as the user given. */
  addToken(token: string, user: SimUser): void {
    this.tokens.set(token, user);
  }

  // ---------------------------------------------------------------- clusters

  /** The state of a cluster (default: the root one). Throws when there is no such cluster. */
  cluster(name = DEFAULT_CLUSTER): SimCluster {
    const c = this.clusters.get(name);
    if (!c) throw new Error(`sim: no cluster named "${name}" (have: ${[...this.clusters.keys()].join(', ')})`);
    return c;
  }

  /** The default cluster: read and write objects directly (sim.store.get/list/create/updateStatus/...). */
  get store(): SimCluster {
    return this.cluster();
  }

  hasCluster(name: string): boolean {
    return this.clusters.has(name);
  }

  clusterNames(): string[] {
    return [...this.clusters.keys()];
  }

  /** API base URL of a cluster. */
  urlFor(name = DEFAULT_CLUSTER): string {
    return name === DEFAULT_CLUSTER ? this.url : `${this.url}/clusters/${encodeURIComponent(name)}`;
  }

  /** HTTPS API base URL of a cluster, as its kubeconfig names it. */
  secureUrlFor(name = DEFAULT_CLUSTER): string {
    return name === DEFAULT_CLUSTER ? this.secureUrl : `${this.secureUrl}/clusters/${encodeURIComponent(name)}`;
  }

  /**
   * Creates (or recreates, empty) a cluster. With `kind: true` (the default when nodes are given
   * through the fake `kind`) it also gets the kube-system workloads of a kind cluster.
   */
  createCluster(name: string, opts: { nodes?: SimNodeSpec[]; kind?: boolean } = {}): SimCluster {
    if (this.clusters.has(name)) this.deleteCluster(name);
    const cluster = new SimCluster(name, { next: () => ++this.rv, current: () => this.rv });
    const version = opts.nodes?.find((n) => n.kubeletVersion)?.kubeletVersion;
    if (version) cluster.kubernetesVersion = version;
    this.clusters.set(name, cluster);
    bootstrapCluster(cluster);
    if (opts.nodes?.length) {
      if (opts.kind === false) addNodes(cluster, opts.nodes, () => this.nextNodeIp());
      else bootstrapKindCluster(cluster, opts.nodes, () => this.nextNodeIp());
    }
    for (const [controller, attachments] of this.enabled) attachments.set(cluster, controller(cluster));
    return cluster;
  }

  deleteCluster(name: string): void {
    const cluster = this.clusters.get(name);
    if (!cluster) return;
    for (const attachments of this.enabled.values()) {
      attachments.get(cluster)?.();
      attachments.delete(cluster);
    }
    this.clusters.delete(name);
  }

  /** Adds Ready nodes to a cluster (created empty if it does not exist). */
  addNodes(clusterName: string, nodes: SimNodeSpec[]) {
    const cluster = this.clusters.get(clusterName) ?? this.createCluster(clusterName);
    return addNodes(cluster, nodes, () => this.nextNodeIp());
  }

  private nextNodeIp(): string {
    const used = new Set([...this.clusters.values()].flatMap((c) => c.list('v1', 'Node').map((n) => internalIp(n))));
    for (let i = 2; ; i++) {
      const ip = `172.18.${Math.floor(i / 256)}.${i % 256}`;
      if (i % 256 !== 0 && i % 256 !== 255 && !used.has(ip)) return ip;
    }
  }

  // ---------------------------------------------------------------- controllers

  private enable(controller: Controller, name: string): () => void {
    const attachments = new Map<SimCluster, () => void>();
    this.enabled.set(controller, attachments);
    for (const cluster of this.clusters.values()) attachments.set(cluster, controller(cluster));
    const stop = () => {
      for (const detach of attachments.values()) detach();
      this.enabled.delete(controller);
      if (this.namedControllers.get(name) === stop) this.namedControllers.delete(name);
    };
    this.namedControllers.get(name)?.(); // enabling again replaces the earlier options
    this.namedControllers.set(name, stop);
    return stop;
  }

  // ---------------------------------------------------------------- kubeconfig

  /**
   * Writes (or merges into) a kubeconfig with a context for a sim cluster, as kind writes one: the
   * https server, certificate-authority-data of the sim's CA and a user with the admin client
   * certificate (client-certificate-data/client-key-data). The new context becomes current.
   */
  async writeKubeconfig(path: string, contextName: string, opts: { cluster?: string; namespace?: string } = {}): Promise<void> {
    let config: Record<string, unknown> = {};
    try {
      config = (parseYaml(await readFile(path, 'utf8')) as Record<string, unknown> | null) ?? {};
    } catch {
      // no file yet
    }
    const upsert = (key: string, entry: { name: string }) => {
      const list = ((config[key] as Array<{ name: string }> | undefined) ?? []).filter((e) => e.name !== entry.name);
      config[key] = [...list, entry];
    };
    const b64 = (pem: string) => Buffer.from(pem, 'utf8').toString('base64');
    const creds = this.credentials();
    upsert('clusters', { name: contextName, cluster: { 'certificate-authority-data': b64(creds.caPem), server: this.secureUrlFor(opts.cluster) } } as { name: string });
    upsert('users', { name: contextName, user: { 'client-certificate-data': b64(creds.certPem), 'client-key-data': b64(creds.keyPem) } } as { name: string });
    upsert('contexts', { name: contextName, context: { cluster: contextName, user: contextName, ...(opts.namespace ? { namespace: opts.namespace } : {}) } } as { name: string });
    config.apiVersion = 'v1';
    config.kind = 'Config';
    config.preferences ??= {};
    config['current-context'] = contextName;
    await mkdir(dirname(path), { recursive: true });
    // JSON is valid YAML for every kubeconfig reader, and the fakes read it without loading a YAML parser.
    await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Ends every open watch stream, as an API server does when a watch times out or it restarts;
   * clients are expected to resume (and, after sim.cluster().objects.compact(), to re-list).
   */
  closeWatches(): void {
    for (const w of [...this.watches]) w.close();
  }

  async stop(): Promise<void> {
    for (const stop of [...this.namedControllers.values()]) stop();
    for (const w of this.watches) w.close();
    this.exec.closeAll();
    this.portForward.closeAll();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.listener.close(() => resolve()));
  }

  // ---------------------------------------------------------------- HTTP

  private route(pathname: string): { cluster: SimCluster; rest: string; prefix: string } | undefined {
    const m = /^\/clusters\/([^/]+)(\/.*)?$/.exec(pathname);
    const name = m ? decodeURIComponent(m[1]!) : DEFAULT_CLUSTER;
    const cluster = this.clusters.get(name);
    if (!cluster) return undefined;
    const rest = (m ? m[2] ?? '' : pathname).replace(/^\/+|\/+$/g, '');
    return { cluster, rest, prefix: m ? `/clusters/${m[1]}` : '' };
  }

  /**
   * Who sent a request, or undefined (401). Over HTTPS: a client certificate issued by the sim's
   * CA or a CA the cluster trusts (its kubeadm PKI), or a known bearer token. Over the plain-HTTP
   * channel any bearer token will do, as before HTTPS existed.
   */
  private authenticate(req: IncomingMessage): SimUser | undefined {
    const auth = req.headers.authorization ?? '';
    const token = /^Bearer (\S+)/.exec(auth)?.[1];
    if (!(req.socket instanceof TLSSocket)) return token ? { name: 'sim', groups: ['system:authenticated'] } : undefined;
    const cluster = this.route(new URL(req.url ?? '/', 'https://sim').pathname)?.cluster;
    const trusted = [this.pki.ca.certPem, ...(cluster?.trustedClientCas ?? [])];
    return clientCertificateUser(req.socket, trusted) ?? (token ? this.tokens.get(token) : undefined);
  }

  private authorized(req: IncomingMessage): boolean {
    return this.authenticate(req) !== undefined;
  }

  private record(entry: RecordedRequest): void {
    this.requests.push(entry);
    this.emit('request', entry);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://sim');
      const raw = await readBody(req);
      const routed = this.route(url.pathname);
      if (!routed) throw new SimHttpError(404, 'NotFound', `the sim has no cluster for ${url.pathname}`);
      const { cluster, rest } = routed;
      const method = req.method ?? 'GET';
      const contentType = req.headers['content-type'] ?? '';
      // The sim answers in JSON; of protobuf bodies it reads the Secrets and ConfigMaps helm writes.
      const protobuf = /protobuf/.test(contentType);
      const body = !raw.length ? undefined : protobuf ? decodeProtobufObject(raw, contentType) : parseBody(raw, contentType);
      this.record({
        cluster: cluster.name,
        method,
        path: `/${rest}`,
        query: Object.fromEntries(url.searchParams),
        ...(contentType ? { contentType } : {}),
        ...(body !== undefined ? { body } : {}),
      });

      if (rest.startsWith('_sim/')) return sendJson(res, ...(await this.control(cluster, rest.slice(5), method, body)));
      if (rest === 'version') return sendJson(res, 200, versionInfo(cluster.kubernetesVersion));
      if (['healthz', 'readyz', 'livez'].includes(rest)) {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        return void res.end('ok');
      }
      if (rest === 'openapi/v2' || rest === 'openapi/v3' || rest.startsWith('openapi/v3/')) {
        if (!this.authorized(req)) throw unauthorized();
        return serveOpenApi(cluster, rest, url, routed.prefix, req, res);
      }
      if (rest !== 'api' && rest !== 'apis' && !rest.startsWith('api/') && !rest.startsWith('apis/')) throw pageNotFound();
      if (!this.authorized(req)) throw unauthorized();

      const segments = rest.split('/').map(decodeURIComponent);
      if (rest === 'api') return sendJson(res, 200, coreVersions(new URL(this.url).host));
      if (rest === 'apis') return sendJson(res, 200, groupList(cluster.registry));
      if (segments[0] === 'apis' && segments.length === 2) return this.orNotFound(res, group(cluster.registry, segments[1]!));
      if (segments[0] === 'api' && segments.length === 2) return this.orNotFound(res, resourceList(cluster.registry, '', segments[1]!));
      if (segments[0] === 'apis' && segments.length === 3) return this.orNotFound(res, resourceList(cluster.registry, segments[1]!, segments[2]!));

      const path = parseResourcePath(cluster, segments);
      if (!path) throw pageNotFound();
      if (method === 'GET' && !path.name && queryFlag(url.searchParams, 'watch')) {
        const w = serveWatch(cluster, path, url.searchParams, res, { bookmarkIntervalMs: this.watchBookmarkIntervalMs });
        this.watches.add(w);
        res.on('close', () => this.watches.delete(w));
        return;
      }
      if (path.subresource === 'log' && path.name && method === 'GET') {
        const { container } = resolveContainer(cluster, path.namespace ?? 'default', path.name, url.searchParams.get('container') || undefined, 'log');
        const text = this.onLogs({ cluster: cluster.name, namespace: path.namespace ?? 'default', pod: path.name, container });
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        return void res.end(text);
      }
      const out = handleRest(cluster, path, { method, query: url.searchParams, contentType, body, ...(req.headers.accept ? { accept: req.headers.accept } : {}) });
      // Warning headers as kube-apiserver writes them: code 299, agent "-", the text quoted.
      if (out.warnings?.length) res.setHeader('Warning', out.warnings.map((w) => `299 - ${JSON.stringify(w)}`));
      sendJson(res, out.status, out.body);
    } catch (err) {
      if (err instanceof SimHttpError) return sendJson(res, err.code, err.body);
      console.error('sim: internal error:', err);
      sendJson(res, 500, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'InternalError', message: String(err), code: 500 });
    }
  }

  private orNotFound(res: ServerResponse, body: unknown): void {
    if (body === undefined) throw pageNotFound();
    sendJson(res, 200, body);
  }

  /** The /_sim/... endpoints the fake executables use. */
  private async control(cluster: SimCluster, what: string, method: string, body: unknown): Promise<[number, unknown]> {
    const input = (body ?? {}) as Record<string, unknown>;
    if (what === 'exec' && method === 'POST') {
      const command = input.command;
      if (!Array.isArray(command) || command.length === 0) throw badRequest('command must be a non-empty array');
      const req: ExecRequest = { cluster: cluster.name, command: command.map(String), ...(typeof input.stdin === 'string' ? { stdin: input.stdin } : {}) };
      if (typeof input.node === 'string') {
        req.node = input.node;
        if (typeof input.image === 'string') req.image = input.image;
        const owner = [...this.clusters.values()].find((c) => c.get('v1', 'Node', input.node as string));
        req.cluster = owner?.name ?? '';
      } else {
        const namespace = typeof input.namespace === 'string' ? input.namespace : 'default';
        const { container } = resolveContainer(cluster, namespace, String(input.pod ?? ''), typeof input.container === 'string' ? input.container : undefined);
        Object.assign(req, { namespace, pod: String(input.pod), container });
      }
      return [200, await runExec(this.onExec, req)];
    }
    if (what === 'clusters' && method === 'GET') return [200, { clusters: this.clusterNames() }];
    if (what === 'credentials' && method === 'GET') return [200, { ...this.credentials(), server: this.secureUrlFor(cluster.name) }];
    if (what === 'clusters' && method === 'POST') {
      const name = String(input.name ?? '');
      if (!name) throw badRequest('name is required');
      this.createCluster(name, { nodes: (input.nodes as SimNodeSpec[] | undefined) ?? [], kind: true });
      return [201, { name, url: this.urlFor(name), secureUrl: this.secureUrlFor(name) }];
    }
    if (what.startsWith('clusters/') && method === 'DELETE') {
      this.deleteCluster(decodeURIComponent(what.slice('clusters/'.length)));
      return [200, {}];
    }
    if (what.startsWith('controllers/') && method === 'POST') {
      const name = what.slice('controllers/'.length) as keyof SimControllers;
      const start = this.controllers[name] as ((o: unknown) => () => void) | undefined;
      if (!start) throw badRequest(`unknown controller ${name}`);
      if (!this.namedControllers.has(name)) start(input);
      return [200, { enabled: name }];
    }
    throw pageNotFound();
  }
}

/** Starts a sim on a random loopback port. */
export async function startSimCluster(opts: SimOptions = {}): Promise<Sim> {
  const sim = new Sim(opts);
  await sim.listen();
  return sim;
}
