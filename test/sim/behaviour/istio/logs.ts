/**
 * Container logs the models write (Envoy access logs of istio-proxy with the demo profile's
 * accessLogFile, go-httpbin's request log), served by `kubectl logs` through sim.onLogs.
 */
import type { KubeObject } from '../../../../src/core/seams.js';
import type { LogHandler } from '../../apiserver.js';
import { nsOf } from './view.js';

const MAX_LINES = 5000;

export class LogStore {
  private readonly lines = new Map<string, string[]>();

  private key(cluster: string, namespace: string, pod: string, container: string): string {
    return `${cluster}/${namespace}/${pod}/${container}`;
  }

  append(cluster: string, pod: KubeObject, container: string, line: string): void {
    const k = this.key(cluster, nsOf(pod), pod.metadata.name, container);
    const list = this.lines.get(k) ?? [];
    list.push(line.endsWith('\n') ? line : `${line}\n`);
    if (list.length > MAX_LINES) list.splice(0, list.length - MAX_LINES);
    this.lines.set(k, list);
  }

  read(cluster: string, namespace: string, pod: string, container: string): string {
    return (this.lines.get(this.key(cluster, namespace, pod, container)) ?? []).join('');
  }

  /** sim.onLogs: these logs, else what `fallback` returns. */
  handler(fallback: LogHandler): LogHandler {
    return (req) => this.read(req.cluster, req.namespace, req.pod, req.container) || fallback(req);
  }
}

/** Envoy's default access log line (Istio's TEXT format). */
export function envoyAccessLine(e: {
  method: string;
  path: string;
  code: number;
  flags: string;
  durationMs: number;
  userAgent: string;
  requestId: string;
  authority: string;
  upstreamHost: string;
  upstreamCluster: string;
  downstreamLocal: string;
  downstreamRemote: string;
  route: string;
}): string {
  const q = (s: string) => `"${s || '-'}"`;
  return `[${new Date().toISOString()}] "${e.method} ${e.path} HTTP/1.1" ${e.code} ${e.flags} via_upstream - "-" 0 ${e.code === 200 ? 295 : 0} ${Math.round(e.durationMs)} ${Math.max(0, Math.round(e.durationMs) - 1)} "-" ${q(e.userAgent)} ${q(e.requestId)} ${q(e.authority)} ${q(e.upstreamHost)} ${e.upstreamCluster} - ${e.downstreamLocal} ${e.downstreamRemote} - ${e.route}`;
}
