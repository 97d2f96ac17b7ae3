/**
 * Host ports the lab maps into its nodes (extraPortMappings). A taken port makes `kind create`
 * fail late with "Ports are not available". Binding each port briefly is the one test that works
 * the same on Linux, macOS and Windows (and catches Windows' reserved ranges too).
 */
import { join } from 'node:path';
import type { DoctorContext, Finding, Probe } from '../types.js';

interface Mapping {
  host: string;
  port: number;
}

function mappings(ctx: DoctorContext): Mapping[] {
  const seen = new Map<string, Mapping>();
  for (const cluster of ctx.lab?.clusters ?? []) {
    for (const node of cluster.nodes ?? []) {
      for (const pm of node.portMappings ?? []) {
        // UDP/SCTP mappings are rare in labs and not tested here.
        if ((pm.protocol ?? 'TCP') !== 'TCP') continue;
        const host = pm.listenAddress || '127.0.0.1';
        seen.set(`${host}:${pm.hostPort}`, { host, port: pm.hostPort });
      }
    }
  }
  return [...seen.values()];
}

/** Which container publishes a port, if Docker knows (best effort: names the culprit in the message). */
async function publisher(ctx: DoctorContext, port: number): Promise<string | undefined> {
  const res = await ctx.runner.run('docker', ['ps', '--filter', `publish=${port}`, '--format', '{{.Names}}'], { env: ctx.env, timeoutMs: 10_000 });
  return res.exitCode === 0 ? res.stdout.trim().split('\n')[0] || undefined : undefined;
}

async function unprivilegedPortStart(ctx: DoctorContext): Promise<number> {
  try {
    return Number.parseInt(await ctx.fs.readFile(join(ctx.procRoot, 'sys/net/ipv4/ip_unprivileged_port_start')), 10);
  } catch {
    return 1024;
  }
}

export const portsProbe: Probe = {
  id: 'ports',
  title: 'Host ports',
  async run(ctx) {
    const wanted = mappings(ctx);
    if (wanted.length === 0) {
      return [{ id: this.id, title: this.title, status: 'skip', message: ctx.lab ? 'the lab maps no host ports' : 'no lab selected' }];
    }
    const docker = await ctx.docker();
    const rootless = docker.state === 'ok' && docker.info.rootless;
    const findings: Finding[] = [];
    const free: string[] = [];
    const ownPrefix = ctx.lab ? `kindlab-${ctx.lab.id}` : undefined;
    for (const m of wanted) {
      const addr = `${m.host}:${m.port}`;
      const r = await ctx.net.tryBind(m.host, m.port);
      if (r.ok) {
        free.push(addr);
        continue;
      }
      if (r.code === 'EADDRINUSE') {
        const holder = await publisher(ctx, m.port);
        if (holder && ownPrefix && (holder === ownPrefix || holder.startsWith(`${ownPrefix}-`))) {
          // The lab's own cluster from an earlier session: it will be reused, not recreated.
          findings.push({ id: `ports.${m.port}`, title: `Port ${m.port}`, status: 'ok', message: `${addr} is held by this lab's own node ${holder}` });
          continue;
        }
        findings.push({
          id: `ports.${m.port}`,
          title: `Port ${m.port}`,
          status: 'fail',
          message: `${addr} is already in use${holder ? ` by container ${holder}` : ''}`,
          fix: holder
            ? `Stop that container (\`docker stop ${holder}\`) or delete the cluster it belongs to.`
            : `Find the program with \`lsof -nP -iTCP:${m.port} -sTCP:LISTEN\` (macOS/Linux) or \`netstat -ano | findstr :${m.port}\` (Windows) and stop it.`,
        });
      } else if (r.code === 'EACCES') {
        // A rootful daemon binds privileged ports itself, so our own missing privilege proves nothing.
        const start = await unprivilegedPortStart(ctx);
        if (rootless && m.port < start) {
          findings.push({
            id: `ports.${m.port}`,
            title: `Port ${m.port}`,
            status: 'fail',
            message: `rootless Docker cannot publish ${addr}: ports below ${start} are privileged`,
            fix: `sudo sysctl net.ipv4.ip_unprivileged_port_start=${m.port} (or use rootful Docker).`,
          });
        } else {
          findings.push({ id: `ports.${m.port}`, title: `Port ${m.port}`, status: 'skip', message: `${addr} needs privileges to test; the Docker daemon binds it itself` });
        }
      } else {
        findings.push({
          id: `ports.${m.port}`,
          title: `Port ${m.port}`,
          status: 'fail',
          message: `cannot listen on ${addr}: ${r.message}`,
          fix: r.code === 'EADDRNOTAVAIL' ? `${m.host} is not an address of this machine; fix listenAddress in the lab.` : 'Pick another host port for this mapping.',
        });
      }
    }
    if (free.length > 0) findings.unshift({ id: this.id, title: this.title, status: 'ok', message: `free: ${free.join(', ')}` });
    return findings;
  },
};
