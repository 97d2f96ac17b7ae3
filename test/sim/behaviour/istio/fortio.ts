/**
 * fortio in a pod: `fortio load -c C -qps Q -n N URL` and `fortio curl URL`, with fortio's text
 * output (see fixtures/checks/fortio-*.txt). A load run is an event simulation of C connections
 * sending back to back through the pod's sidecar: the DestinationRule's connectionPool
 * (tcp.maxConnections requests in flight, http.http1MaxPendingRequests waiting) is enforced by the
 * sidecar, which answers the rest at once with 503 and counts upstream_rq_pending_overflow.
 * Accepted requests take the mesh's path (routing, metrics, logs).
 */
import type { ExecOutput } from '../../exec.js';
import { isResponse, type Mesh, type Origin } from './mesh.js';
import { connectionPoolFor, routeInMesh } from './routing.js';
import { containersOf, fqdn, hasSidecar, nsOf, portsOf, serviceByName, specOf } from './view.js';

interface LoadArgs {
  connections: number;
  qps: number;
  requests: number;
  url: string;
}

function parseLoad(argv: string[]): LoadArgs | string {
  const a: LoadArgs = { connections: 4, qps: 8, requests: 40, url: '' };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i]!;
    const v = argv[i + 1];
    if (f === '-c') a.connections = Number(v);
    else if (f === '-qps') a.qps = Number(v);
    else if (f === '-n') a.requests = Number(v);
    else if (['-loglevel', '-t', '-H', '-timeout', '-p'].includes(f)) {
      i++;
      continue;
    } else if (f.startsWith('-')) continue;
    else {
      a.url = f;
      continue;
    }
    i++;
  }
  if (!a.url) return 'missing URL';
  return a;
}

function fortioVersion(mesh: Mesh, from: Origin): string {
  const image = from.pod ? containersOf(from.pod).find((c) => c.name === 'fortio') : undefined;
  const tag = /:(\d+\.\d+\.\d+)$/.exec((image as { image?: string } | undefined)?.image ?? '')?.[1];
  return tag ?? '1.75.2';
}

export function fortioLoad(mesh: Mesh, from: Origin, argv: string[]): ExecOutput {
  const args = parseLoad(argv);
  if (typeof args === 'string') return { stderr: `fortio: ${args}\n`, exitCode: 1 };
  const cluster = mesh.sim.cluster(from.cluster);
  const url = new URL(args.url);
  const svc = from.pod ? serviceByName(cluster, url.hostname, nsOf(from.pod)) : undefined;
  const port = Number(url.port || 80);
  const enforced = from.pod !== undefined && hasSidecar(from.pod) && svc !== undefined;
  const pool = enforced ? connectionPoolFor(cluster, svc, nsOf(from.pod!), mesh.misbehave) : { maxConnections: Infinity, maxPending: Infinity, maxRequestsPerConnection: 0 };
  let subset = '';
  if (enforced) {
    const d = routeInMesh(cluster, svc, { method: 'GET', path: url.pathname, headers: {} }, nsOf(from.pod!), mesh.random, mesh.misbehave);
    if (d.kind === 'route') subset = d.destination.subset ?? '';
  }
  const stat = svc ? `cluster.outbound|${port}|${subset}|${fqdn(svc)}` : '';

  // Event simulation: per connection the time it sends next; requests in flight; waiting requests.
  const next = Array.from({ length: args.connections }, (_, i) => i * 0.01);
  const inflight: Array<{ end: number; conn: number; code: number }> = [];
  const waiting: Array<{ conn: number; since: number }> = [];
  const codes = new Map<number, number>();
  const times: number[] = [];
  let sent = 0;
  let done = 0;
  let now = 0;
  let overflow = 0;
  let pendingTotal = 0;
  const gap = args.qps > 0 ? (1000 * args.connections) / args.qps : 0.05;
  const dispatch = (conn: number, at: number, queued: number) => {
    const o = mesh.request(from, { method: 'GET', url: args.url, headers: { 'user-agent': `fortio.org/fortio-${fortioVersion(mesh, from)}` } }, 30_000);
    const code = isResponse(o) ? o.status : -1;
    const service = Math.max(0.2, o.timeMs * (0.5 + mesh.random()));
    inflight.push({ end: at + service, conn, code });
    times.push(service + queued);
  };
  while (done < args.requests) {
    inflight.sort((a, b) => a.end - b.end);
    const firstEnd = inflight[0]?.end ?? Infinity;
    const readyConns = next.map((t, i) => [t, i] as const).filter(([t, i]) => t !== Infinity && !inflight.some((f) => f.conn === i) && !waiting.some((w) => w.conn === i));
    const firstSend = sent < args.requests ? Math.min(...readyConns.map(([t]) => t)) : Infinity;
    if (firstEnd === Infinity && firstSend === Infinity) break;
    if (firstEnd <= firstSend) {
      const f = inflight.shift()!;
      now = f.end;
      codes.set(f.code, (codes.get(f.code) ?? 0) + 1);
      done++;
      next[f.conn] = now + gap;
      const w = waiting.shift();
      if (w) dispatch(w.conn, now, now - w.since);
      continue;
    }
    const [t, conn] = readyConns.find(([x]) => x === firstSend)!;
    now = t;
    sent++;
    if (inflight.length < pool.maxConnections) dispatch(conn, now, 0);
    else if (waiting.length < pool.maxPending) {
      waiting.push({ conn, since: now });
      pendingTotal++;
    } else {
      // The client sidecar rejects at once: 503, response flag UO.
      overflow++;
      codes.set(503, (codes.get(503) ?? 0) + 1);
      done++;
      times.push(0.4);
      next[conn] = now + 0.4 + gap;
    }
  }
  if (from.pod && stat) {
    mesh.stats.add(from.cluster, from.pod, `${stat}.upstream_rq_pending_overflow`, overflow);
    mesh.stats.add(from.cluster, from.pod, `${stat}.upstream_rq_pending_total`, pendingTotal + done - overflow);
    mesh.stats.add(from.cluster, from.pod, `${stat}.upstream_rq_503`, overflow);
    mesh.stats.add(from.cluster, from.pod, `${stat}.upstream_cx_overflow`, Math.ceil(overflow * 0.6));
    if (svc && !mesh.misbehave.noMetrics) for (let i = 0; i < overflow; i++) mesh.metrics.request({ reporter: 'source', source: from.pod, service: svc, code: 503, flags: 'UO', mtls: false });
  }
  const total = [...codes.values()].reduce((a, b) => a + b, 0);
  const elapsedMs = Math.max(now, 1);
  const avg = times.reduce((a, b) => a + b, 0) / Math.max(1, times.length);
  const qps = (total / elapsedMs) * 1000;
  const ip = svc ? `${specOf<{ clusterIP?: string }>(svc).clusterIP}:${portsOf(svc)[0]?.port ?? port}` : `${url.hostname}:${port}`;
  const version = fortioVersion(mesh, from);
  const lines = [
    `{"ts":${(mesh.clock() / 1000).toFixed(6)},"level":"info","r":1,"file":"logger.go","line":320,"msg":"Log level is now 3 Warning (was 2 Info)"}`,
    `Fortio ${version} running at ${args.qps} queries per second, 2->2 procs, for ${args.requests} calls: ${args.url}`,
    `Starting at ${args.qps > 0 ? `${args.qps} qps` : 'max qps'} with ${args.connections} thread(s) [gomax 2] for exactly ${args.requests} calls (${Math.floor(args.requests / args.connections)} per thread + ${args.requests % args.connections})`,
  ];
  const bad = [...codes].filter(([c]) => c !== 200).reduce((a, [, n]) => a + n, 0);
  for (let i = 0; i < Math.min(bad, 3); i++) lines.push(`{"ts":${(mesh.clock() / 1000).toFixed(6)},"level":"warn","r":${13 + i},"file":"http_client.go","line":1151,"msg":"Non ok http code","code":503,"status":"HTTP/1.1 503","thread":${i % args.connections},"run":0}`);
  lines.push(
    `Ended after ${elapsedMs.toFixed(4)}ms : ${total} calls. qps=${qps.toFixed(2)}`,
    `Aggregated Function Time : count ${total} avg ${(avg / 1000).toFixed(7)} +/- ${(avg / 2000).toFixed(7)} min ${(Math.min(...times) / 1000).toFixed(9)} max ${(Math.max(...times) / 1000).toFixed(7)} sum ${((avg * total) / 1000).toFixed(5)}`,
    `# target 50% ${(avg / 1000).toFixed(6)}`,
    `# target 99% ${((Math.max(...times) * 0.99) / 1000).toFixed(6)}`,
    `Sockets used: ${total} (for perfect keepalive, would be ${args.connections})`,
    'Uniform: false, Jitter: false, Catchup allowed: true',
    'IP addresses distribution:',
    `${ip}: ${total}`,
    ...[...codes].sort(([a], [b]) => a - b).map(([c, n]) => `Code ${c} : ${n} (${((100 * n) / total).toFixed(1)} %)`),
    `Response Header Sizes : count ${total} avg 230 +/- 0 min 230 max 230 sum ${230 * total}`,
    `Response Body/Total Sizes : count ${total} avg 825 +/- 0 min 825 max 825 sum ${825 * total}`,
    `All done ${total} calls (plus 0 warmup) ${avg.toFixed(3)} ms avg, ${qps.toFixed(1)} qps`,
  );
  return { stdout: `${lines.join('\n')}\n`, exitCode: 0 };
}

export function fortioCurl(mesh: Mesh, from: Origin, argv: string[]): ExecOutput {
  const url = argv.filter((a) => !a.startsWith('-')).at(-1);
  if (!url) return { stderr: 'fortio: missing URL\n', exitCode: 1 };
  const o = mesh.request(from, { method: 'GET', url, headers: { 'user-agent': `fortio.org/fortio-${fortioVersion(mesh, from)}` } }, 30_000);
  if (!isResponse(o)) return { stderr: `{"level":"err","msg":"Unable to connect","err":"${o.error}"}\n`, exitCode: 1 };
  const head = [`HTTP/1.1 ${o.status} ${o.status === 200 ? 'OK' : 'Status'}`, ...Object.entries(o.headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n');
  return { stdout: `${head}\r\n\r\n${o.body}`, exitCode: o.status >= 200 && o.status < 300 ? 0 : 1 };
}
