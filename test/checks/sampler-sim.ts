/**
 * Answers kindlab's request scripts (src/checks/sampler.ts) without a shell or a network, for tests
 * and for the simulated cluster: plug it into an exec hook (docker exec, KubeClient.exec) and give
 * it a function that answers each request. The output has exactly the format the real script
 * prints, so the parser under test is the production one.
 *
 *   kube.execHandler = (pod, command) =>
 *     isSamplerCommand(command) ? simulateSamplerScript(command, (req) => ({ status: 200, body: 'old' })) : ...
 */
import { planPrefix, readSamplerPlan, type SamplerPlan } from '../../src/checks/sampler.js';

export interface SimRequest {
  /** 1-based position in the whole sample; 0 for the login request. */
  index: number;
  method: string;
  url: string;
  /** Request headers as the check set them, plus cookie (after login) and content-type (login). */
  headers: Record<string, string>;
  body?: string;
  /** The --resolve address, when the check gave one. */
  resolve?: string;
  insecure: boolean;
  timeoutMs: number;
}

export type SimResponse =
  | { status: number; body?: string; headers?: Record<string, string>; timeMs?: number }
  /** No response: curl's exit code (7 refused, 28 timed out, 6 unknown host) and message. */
  | { exit: number; error?: string; timeMs?: number };

export interface SimResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** The script of `sh -c <script>` anywhere in argv (docker exec <c> sh -c ..., or sh -c ... alone). */
function scriptOf(command: string[]): string | undefined {
  for (let i = 0; i + 2 < command.length; i++) {
    if (/(^|\/)sh$/.test(command[i] as string) && command[i + 1] === '-c') return command[i + 2];
  }
  return undefined;
}

export function isSamplerCommand(command: string[]): boolean {
  return scriptOf(command)?.startsWith(planPrefix) ?? false;
}

export function samplerPlanOf(command: string[]): SamplerPlan {
  const script = scriptOf(command);
  const plan = script ? readSamplerPlan(script) : undefined;
  if (!plan) throw new Error('not a kindlab request script');
  return plan;
}

const reasons: Record<number, string> = { 200: 'OK', 201: 'Created', 302: 'Found', 400: 'Bad Request', 404: 'Not Found', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

export function simulateSamplerScript(command: string[], respond: (req: SimRequest) => SimResponse): SimResult {
  const plan = samplerPlanOf(command);
  const { request: r, marker: m } = plan;
  const cookies = new Map<string, string>();
  let out = '';

  const one = (req: SimRequest) => {
    let res: SimResponse;
    try {
      res = respond(req);
    } catch (err) {
      res = { exit: 7, error: `curl: (7) Failed to connect: ${(err as Error).message}` };
    }
    const time = ((res.timeMs ?? 1) / 1000).toFixed(6);
    if ('exit' in res) {
      out += `\n${m}:begin ${req.index} ${res.exit} 000 ${time}\n\n${m}:body\n\n${m}:error\n${res.error ?? `curl: (${res.exit}) simulated failure`}\n\n${m}:end\n`;
      return;
    }
    const headers = { ...(res.headers ?? {}) };
    for (const [name, value] of Object.entries(headers)) {
      if (name.toLowerCase() === 'set-cookie') {
        const [pair] = value.split(';');
        const eq = (pair as string).indexOf('=');
        if (eq > 0) cookies.set((pair as string).slice(0, eq).trim(), (pair as string).slice(eq + 1).trim());
      }
    }
    const head = `HTTP/1.1 ${res.status} ${reasons[res.status] ?? 'Status'}\r\n` + Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n';
    const body = Buffer.from(res.body ?? '').subarray(0, plan.bodyLimit).toString();
    out += `\n${m}:begin ${req.index} 0 ${String(res.status).padStart(3, '0')} ${time}\n${head}\n${m}:body\n${body}\n${m}:error\n\n${m}:end\n`;
  };

  const base = { insecure: r.insecure ?? false, timeoutMs: r.timeoutMs, ...(r.resolve ? { resolve: r.resolve } : {}) };
  if (r.login) {
    one({
      ...base,
      index: 0,
      method: 'POST',
      url: r.login.url,
      headers: { ...(r.headers ?? {}), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(r.login.form).toString(),
    });
  }
  for (let i = plan.start + 1; i <= plan.start + plan.count; i++) {
    const cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    one({
      ...base,
      index: i,
      method: r.method,
      url: r.url,
      headers: { ...(r.headers ?? {}), ...(cookie ? { cookie } : {}) },
      ...(r.body !== undefined ? { body: r.body } : {}),
    });
  }
  return { stdout: out, stderr: '', exitCode: 0 };
}
