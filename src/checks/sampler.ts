/**
 * Sends N HTTP requests from a vantage point with one process per batch: a POSIX sh script loops
 * curl, one curl process per request, so every request opens a fresh connection (L4 balancing —
 * kube-proxy, cloud-provider-kind's Envoy — picks a backend per connection; a keep-alive client
 * would pin every request to one pod). Each response is printed between unique markers:
 *
 *   \n<marker>:begin <index> <curl exit> <http_code> <time_total>\n<response headers>
 *   \n<marker>:body\n<body, at most bodyLimit bytes>
 *   \n<marker>:error\n<curl's error message>
 *   \n<marker>:end\n
 *
 * The first line of the script is a comment holding the plan as JSON, which lets simulators
 * (test/checks/sampler-sim.ts) answer the script without interpreting shell.
 */
import { randomBytes } from 'node:crypto';
import type { CheckContext } from './types.js';
import { execAt, type ResolvedVantage } from './vantage.js';
import { excerpt } from './format.js';

export interface HttpRequestSpec {
  url: string;
  method: string;
  headers?: Record<string, string> | undefined;
  body?: string | undefined;
  insecure?: boolean | undefined;
  /** Per-request limit (curl --max-time). */
  timeoutMs: number;
  /** Connect to this address instead of resolving the URL's host (curl --resolve). */
  resolve?: string | undefined;
  /** POSTed as a form before the requests; its cookies are sent with every request. */
  login?: { url: string; form: Record<string, string> } | undefined;
}

export interface Sample {
  /** 1-based position in the sample (0 for the login request). */
  index: number;
  /** curl's exit code: 0 when a response arrived, e.g. 7 (connection refused), 28 (timed out). */
  curlExit: number;
  /** HTTP status; 0 when there was no response. */
  status: number;
  timeMs: number;
  /** Lower-case header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
  /** curl's message when there was no response. */
  error?: string;
}

export interface SamplerPlan {
  /** Format version of the plan and of the output. */
  v: 1;
  marker: string;
  /** Index of the first request of this batch minus one. */
  start: number;
  count: number;
  request: HttpRequestSpec;
  bodyLimit: number;
}

export const planPrefix = '# kindlab-sampler ';
export const defaultBodyLimit = 65_536;
export const defaultBatchSize = 100;

/** Single-quotes a word for sh. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

function resolveArgs(req: HttpRequestSpec, url: string): string[] {
  if (!req.resolve) return [];
  const u = new URL(url);
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  return ['--resolve', `${u.hostname}:${port}:${req.resolve}`];
}

/** curl options shared by the login and the requests. */
function commonArgs(req: HttpRequestSpec, url: string): string[] {
  const args = ['-sS', '--max-time', String(req.timeoutMs / 1000)];
  if (req.insecure) args.push('-k');
  args.push(...resolveArgs(req, url));
  for (const [name, value] of Object.entries(req.headers ?? {})) args.push('-H', `${name}: ${value}`);
  return args;
}

const capture = `-o "$d/b" -D "$d/h" -w '%{http_code} %{time_total}'`;

export function buildSamplerScript(plan: SamplerPlan): string {
  const { request: req } = plan;
  const words = (args: string[]) => args.map(shellQuote).join(' ');
  // curl -X HEAD would wait for a body that never comes; --head asks for headers only.
  const requestArgs = [...commonArgs(req, req.url), ...(req.method === 'HEAD' ? ['--head'] : ['-X', req.method])];
  if (req.body !== undefined) requestArgs.push('--data-raw', req.body);
  const lines = [
    planPrefix + JSON.stringify(plan),
    `m=${shellQuote(plan.marker)}`,
    `d=$(mktemp -d 2>/dev/null) || d=/tmp/kindlab-sampler.$$`,
    `mkdir -p "$d" || { echo "kindlab: cannot create a temporary directory" >&2; exit 90; }`,
    `trap 'rm -rf "$d"' EXIT`,
    `report() {`,
    `  printf '\\n%s:begin %s %s %s\\n' "$m" "$1" "$2" "$3"`,
    `  if [ -f "$d/h" ]; then cat "$d/h"; fi`,
    `  printf '\\n%s:body\\n' "$m"`,
    `  if [ -f "$d/b" ]; then head -c ${plan.bodyLimit} "$d/b"; fi`,
    `  printf '\\n%s:error\\n' "$m"`,
    `  if [ -f "$d/e" ]; then head -c 2000 "$d/e"; fi`,
    `  printf '\\n%s:end\\n' "$m"`,
    `  rm -f "$d/h" "$d/b" "$d/e"`,
    `}`,
  ];
  if (req.login) {
    const form = Object.entries(req.login.form).flatMap(([k, v]) => ['--data-urlencode', `${k}=${v}`]);
    // The session cookie lands in the jar; every request below sends it back.
    lines.push(
      `w=$(curl ${words(commonArgs(req, req.login.url))} -c "$d/j" ${capture} ${words(form)} ${shellQuote(req.login.url)} 2>"$d/e")`,
      `report 0 $? "$w"`,
    );
  }
  const jar = req.login ? ` -b "$d/j"` : '';
  lines.push(
    `i=${plan.start}`,
    `while [ "$i" -lt ${plan.start + plan.count} ]; do`,
    `  i=$((i + 1))`,
    `  w=$(curl ${words(requestArgs)}${jar} ${capture} ${shellQuote(req.url)} 2>"$d/e")`,
    `  report "$i" $? "$w"`,
    `done`,
    `exit 0`,
  );
  return lines.join('\n') + '\n';
}

/** Reads the plan back from a script (for simulators). */
export function readSamplerPlan(script: string): SamplerPlan | undefined {
  if (!script.startsWith(planPrefix)) return undefined;
  const line = script.slice(planPrefix.length, script.indexOf('\n'));
  return JSON.parse(line) as SamplerPlan;
}

export function parseHeaders(raw: string): Record<string, string> {
  // With a 100 Continue or a proxy CONNECT there are several blocks; the last one is the response's.
  const blocks = raw.split(/\r?\n\r?\n/).filter((b) => /^HTTP\//.test(b.trim()));
  const block = blocks.at(-1) ?? '';
  const headers: Record<string, string> = {};
  for (const line of block.split(/\r?\n/).slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return headers;
}

export interface SamplerOutput {
  login?: Sample;
  samples: Sample[];
}

export function parseSamplerOutput(stdout: string, marker: string): SamplerOutput {
  const out: SamplerOutput = { samples: [] };
  let current: Sample | undefined;
  let rawHeaders = '';
  for (const part of stdout.split(`\n${marker}:`).slice(1)) {
    const nl = part.indexOf('\n');
    const tag = nl < 0 ? part : part.slice(0, nl);
    const content = nl < 0 ? '' : part.slice(nl + 1);
    if (tag.startsWith('begin ')) {
      const [index, exit, code, time] = tag.slice(6).trim().split(/\s+/);
      current = {
        index: Number(index),
        curlExit: Number(exit ?? 1),
        status: Number(code ?? 0) || 0,
        timeMs: Math.round(Number(time ?? 0) * 1000 * 1000) / 1000 || 0,
        headers: {},
        body: '',
      };
      rawHeaders = content;
    } else if (current && tag === 'body') {
      current.body = content;
    } else if (current && tag === 'error') {
      if (content.trim()) current.error = content.trim();
    } else if (current && tag === 'end') {
      current.headers = parseHeaders(rawHeaders);
      if (current.curlExit !== 0 && !current.error) current.error = `curl exited with ${current.curlExit}`;
      if (current.index === 0) out.login = current;
      else out.samples.push(current);
      current = undefined;
    }
  }
  return out;
}

export interface SendOptions {
  signal?: AbortSignal;
  batchSize?: number;
  bodyLimit?: number;
  /** Called after each batch with the number of responses so far. */
  onProgress?: (done: number, total: number) => void;
}

/** Sends `count` requests from the vantage point; resolves to one sample per request, in order. */
export async function sendRequests(
  ctx: CheckContext,
  vantage: ResolvedVantage,
  request: HttpRequestSpec,
  count: number,
  opts: SendOptions = {},
): Promise<Sample[]> {
  const batchSize = opts.batchSize ?? defaultBatchSize;
  const samples: Sample[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start);
    const marker = `@@kindlab-${randomBytes(8).toString('hex')}@@`;
    const plan: SamplerPlan = { v: 1, marker, start, count: size, request, bodyLimit: opts.bodyLimit ?? defaultBodyLimit };
    const script = buildSamplerScript(plan);
    // Every request may take its full timeout; the login one more; plus process start-up.
    const timeoutMs = (size + 1) * (request.timeoutMs + 1000) + 15_000;
    const result = await execAt(vantage, ['sh', '-c', script], ctx, { ...(opts.signal ? { signal: opts.signal } : {}), timeoutMs });
    const parsed = parseSamplerOutput(result.stdout, marker);
    if (result.timedOut && parsed.samples.length < size) {
      throw new Error(`requests from ${vantage.label} were stopped after ${samples.length + parsed.samples.length} of ${count} (time limit)`);
    }
    if (parsed.samples.length === 0) {
      throw new Error(
        `no response records from ${vantage.label} (exit ${result.exitCode})` +
          (result.stderr.trim() ? `: ${excerpt(result.stderr, 300)}` : '') +
          (result.exitCode === 127 ? ' — is curl installed there?' : ''),
      );
    }
    if (request.login && parsed.login) {
      const l = parsed.login;
      if (l.curlExit !== 0 || l.status >= 400 || l.status === 0) {
        throw new Error(`login at ${request.login.url} failed: ${l.status ? `HTTP ${l.status}` : (l.error ?? 'no response')}`);
      }
    }
    samples.push(...parsed.samples);
    opts.onProgress?.(samples.length, count);
  }
  return samples;
}

/** One line describing a sample's outcome: "HTTP 503 in 12ms" or "no response: curl: (7) ...". */
export function describeSample(s: Sample): string {
  if (s.curlExit !== 0 || s.status === 0) return `no response (${excerpt(s.error ?? `curl exit ${s.curlExit}`, 160)})`;
  return `HTTP ${s.status} in ${Math.round(s.timeMs)}ms`;
}

/** The request as a curl command a learner can paste (from the same vantage point). */
export function curlCommand(req: HttpRequestSpec): string {
  const args = [...commonArgs(req, req.url)];
  if (req.method !== 'GET') args.push('-X', req.method);
  if (req.body !== undefined) args.push('--data-raw', req.body);
  const word = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : shellQuote(a));
  return ['curl', ...args.filter((a) => a !== '-sS').map(word), word(req.url)].join(' ');
}
