/**
 * `curl` as the labs' commands call it inside a node container (`docker exec <node> curl ...`): the
 * options they use (-s -S -f -k -i -o -w --max-time/-m -H -X --resolve), answered by the network
 * model, with curl's output, messages and exit codes.
 */
import type { ExecOutput } from '../exec.js';
import type { SimResponse } from '../../checks/sampler-sim.js';
import type { HttpRequest } from './network.js';

const VALUE_OPTIONS = new Set(['-o', '--output', '-w', '--write-out', '-m', '--max-time', '-H', '--header', '-X', '--request', '--resolve', '--connect-timeout', '-d', '--data', '--data-raw', '-A', '--user-agent', '-u', '--user', '-b', '--cookie', '-c', '--cookie-jar', '--retry']);

export interface CurlInvocation {
  request: HttpRequest;
  silent: boolean;
  showError: boolean;
  fail: boolean;
  include: boolean;
  output?: string;
  writeOut?: string;
}

export function parseCurl(args: string[]): CurlInvocation | { error: string } {
  const inv: CurlInvocation = { request: { method: 'GET', url: '', headers: {}, timeoutMs: 300_000 }, silent: false, showError: false, fail: false, include: false };
  for (let i = 0; i < args.length; i++) {
    let a = args[i]!;
    let value: string | undefined;
    if (a.startsWith('--') && a.includes('=')) {
      value = a.slice(a.indexOf('=') + 1);
      a = a.slice(0, a.indexOf('='));
    }
    if (VALUE_OPTIONS.has(a)) {
      value ??= args[++i];
      if (value === undefined) return { error: `curl: option ${a}: requires parameter` };
      switch (a) {
        case '-o':
        case '--output':
          inv.output = value;
          break;
        case '-w':
        case '--write-out':
          inv.writeOut = value;
          break;
        case '-m':
        case '--max-time':
          inv.request.timeoutMs = Number(value) * 1000;
          break;
        case '-H':
        case '--header': {
          const colon = value.indexOf(':');
          if (colon > 0) inv.request.headers[value.slice(0, colon).trim()] = value.slice(colon + 1).trim();
          break;
        }
        case '-X':
        case '--request':
          inv.request.method = value;
          break;
        case '--resolve':
          inv.request.resolve = value.split(':').slice(2).join(':');
          break;
        default:
          break;
      }
    } else if (/^-[a-zA-Z]+$/.test(a)) {
      for (const flag of a.slice(1)) {
        if (flag === 's') inv.silent = true;
        else if (flag === 'S') inv.showError = true;
        else if (flag === 'f') inv.fail = true;
        else if (flag === 'i') inv.include = true;
        else if (flag === 'I') inv.request.method = 'HEAD';
      }
    } else if (a === '--silent') inv.silent = true;
    else if (a === '--show-error') inv.showError = true;
    else if (a === '--fail') inv.fail = true;
    else if (a === '--include') inv.include = true;
    else if (a === '--head') inv.request.method = 'HEAD';
    else if (!a.startsWith('-')) inv.request.url = /^[a-z]+:\/\//i.test(a) ? a : `http://${a}`;
  }
  if (!inv.request.url) return { error: 'curl: no URL specified' };
  return inv;
}

const REASONS: Record<number, string> = { 200: 'OK', 404: 'Not Found', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

/** curl's output and exit code for a response (or a failure) to an invocation. */
export function curlOutput(inv: CurlInvocation, res: SimResponse): Required<ExecOutput> {
  let stdout = '';
  let stderr = '';
  let exitCode = 0;
  let code = 0;
  const timeMs = res.timeMs ?? 1;
  if ('exit' in res) {
    exitCode = res.exit;
    if (!inv.silent || inv.showError) stderr = `${res.error ?? `curl: (${res.exit}) failed`}\n`;
  } else {
    code = res.status;
    if (inv.fail && res.status >= 400) {
      exitCode = 22;
      if (!inv.silent || inv.showError) stderr = `curl: (22) The requested URL returned error: ${res.status}\n`;
    } else {
      const head = `HTTP/1.1 ${res.status} ${REASONS[res.status] ?? ''}\r\n${Object.entries(res.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
      const text = (inv.include || inv.request.method === 'HEAD' ? head : '') + (inv.request.method === 'HEAD' ? '' : (res.body ?? ''));
      if (inv.output === undefined || inv.output === '-') stdout += text;
    }
  }
  if (inv.writeOut !== undefined) {
    stdout += inv.writeOut
      .replace(/%\{http_code\}|%\{response_code\}/g, String(code).padStart(3, '0'))
      .replace(/%\{time_total\}/g, (timeMs / 1000).toFixed(6))
      .replace(/%\{exitcode\}/g, String(exitCode))
      .replace(/\\n/g, '\n')
      .replace(/\\t/g, '\t');
  }
  return { stdout, stderr, exitCode };
}
