/**
 * sim.onExec for the Istio labs: what runs in a pod or node container.
 * - kindlab's request scripts (HTTP checks) → the mesh, answered in-process (sampler-sim);
 * - `pilot-agent request GET stats` in istio-proxy → the sidecar's Envoy counters;
 * - `fortio load|curl` → fortio.ts;
 * - `promtool query instant <url> <query>` in prometheus-server → Prometheus' answer, as promtool prints it;
 * - curl, sh -c, python3 → real processes whose HTTP goes through the mesh (processes.ts);
 * - anything else → the fallback handler.
 */
import { isSamplerCommand, simulateSamplerScript, type SimResponse } from '../../../checks/sampler-sim.js';
import type { ExecHandler, ExecOutput, ExecRequest } from '../../exec.js';
import { fortioCurl, fortioLoad } from './fortio.js';
import { isResponse, type Mesh, type Origin } from './mesh.js';
import type { ProcessRunner } from './processes.js';
import { evaluate, PromQLError } from './promql.js';
import { hasSidecar } from './view.js';

export function originOf(mesh: Mesh, req: ExecRequest): Origin | undefined {
  if (req.node) return { cluster: req.cluster, node: req.node };
  const pod = mesh.podOf(req.cluster, req.namespace ?? 'default', req.pod ?? '');
  return pod ? { cluster: req.cluster, pod } : undefined;
}

function promtool(mesh: Mesh, argv: string[]): ExecOutput {
  // promtool query instant <server> <expr>
  if (argv[1] !== 'query' || argv[2] !== 'instant' || argv.length < 5) return { stderr: 'promtool: only "query instant <server> <expr>" is simulated\n', exitCode: 1 };
  try {
    const now = (mesh.clock() / 1000).toFixed(3);
    const rows = evaluate(argv[4]!, mesh.metrics.all()).map((s) => {
      const { __name__: name, ...labels } = s.metric;
      return `${name ?? ''}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(', ')}} => ${s.value} @[${now}]`;
    });
    return { stdout: rows.length ? `${rows.join('\n')}\n` : '', exitCode: 0 };
  } catch (e) {
    if (e instanceof PromQLError) return { stderr: `query error: ${e.message}\n`, exitCode: 1 };
    throw e;
  }
}

export function istioExecHandler(mesh: Mesh, processes: ProcessRunner, fallback: ExecHandler): ExecHandler {
  return async (req) => {
    const { command } = req;
    const origin = originOf(mesh, req);
    if (!origin) return fallback(req);
    if (isSamplerCommand(command)) {
      return simulateSamplerScript(command, (r): SimResponse => {
        const o = mesh.request(origin, { method: r.method, url: r.url, headers: { 'user-agent': 'curl/8.16.0', accept: '*/*', ...Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k.toLowerCase(), v])) }, ...(r.body !== undefined ? { body: r.body } : {}) }, r.timeoutMs);
        return isResponse(o) ? { status: o.status, headers: o.headers, body: o.body, timeMs: o.timeMs } : { exit: o.exit, error: o.error, timeMs: o.timeMs };
      });
    }
    const line = command.join(' ');
    if (origin.pod) {
      if (line === 'pilot-agent request GET stats') {
        if (req.container !== 'istio-proxy' || !hasSidecar(origin.pod)) return { stderr: `OCI runtime exec failed: exec failed: unable to start container process: exec: "pilot-agent": executable file not found in $PATH: unknown\n`, exitCode: 126 };
        return { stdout: mesh.stats.text(origin.cluster, origin.pod), exitCode: 0 };
      }
      if (command[0] === 'fortio' && command[1] === 'load') return fortioLoad(mesh, origin, command.slice(2));
      if (command[0] === 'fortio' && command[1] === 'curl') return fortioCurl(mesh, origin, command.slice(2));
      if (command[0] === 'promtool') return promtool(mesh, command);
    }
    if (['curl', 'sh', 'bash', 'python3', 'python'].includes(command[0]?.split('/').pop() ?? '')) return processes.run(origin, command, req.stdin);
    return fallback(req);
  };
}
