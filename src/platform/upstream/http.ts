/**
 * One HTTP request with the upstream check's limits: its own timeout, the run's overall deadline
 * (an AbortSignal), and failures of the network itself turned into a short reason instead of an
 * exception, so a probe can tell "the host said no" from "the host could not be reached".
 */
import { formatDuration } from '../../core/duration.js';

export interface RequestLimits {
  fetch: typeof fetch;
  /** Upper bound for one request, headers and body. */
  timeoutMs: number;
  /** Aborted when the overall deadline passes. */
  deadline: AbortSignal;
  /**
   * Hosts that could not be resolved or refused connections, with the reason. Later requests to them
   * fail at once: offline, every host fails DNS, and waiting for each of ~100 lookups would take minutes.
   */
  down?: Map<string, string>;
  /**
   * The first request to each host, while it is under way. Others to the same host wait for it, so
   * that an unresolvable host costs one DNS timeout, not one per request started at the same time.
   */
  firstContact?: Map<string, Promise<unknown>>;
}

/** Failures that will not go away within one run; timeouts and resets might, so they are not remembered. */
const LASTING = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH']);

/** Thrown for failures below HTTP: DNS, refused or reset connections, TLS, timeouts, the deadline. */
export class Unreachable extends Error {
  constructor(
    readonly reason: string,
    /** True when the overall deadline, not this host, ended the request. */
    readonly deadline = false,
  ) {
    super(reason);
    this.name = 'Unreachable';
  }
}

/** undici reports the socket-level cause of `fetch failed` as err.cause (code ECONNREFUSED, ENOTFOUND, ...). */
export function unreachableReason(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string; cause?: { code?: string }; errors?: Array<{ code?: string }> } };
  if (e.name === 'TimeoutError') return `no answer within ${formatDuration(timeoutMs)}`;
  // Several addresses tried in turn (IPv6 and IPv4) fail as an AggregateError.
  const code = e.cause?.code ?? e.cause?.cause?.code ?? e.cause?.errors?.find((x) => x.code)?.code;
  if (code) return code;
  return e.cause?.message ?? e.message;
}

export async function request(url: string, init: RequestInit, limits: RequestLimits): Promise<Response> {
  if (limits.deadline.aborted) throw new Unreachable('not checked: the overall deadline passed', true);
  const host = new URL(url).host;
  const first = limits.firstContact?.get(host);
  if (first) await first.catch(() => undefined);
  const known = limits.down?.get(host);
  if (known) throw new Unreachable(known);
  const attempt = send(url, init, limits, host);
  if (!first) limits.firstContact?.set(host, attempt);
  return attempt;
}

async function send(url: string, init: RequestInit, limits: RequestLimits, host: string): Promise<Response> {
  const signal = AbortSignal.any([AbortSignal.timeout(limits.timeoutMs), limits.deadline]);
  try {
    return await limits.fetch(url, { ...init, signal });
  } catch (err) {
    if (limits.deadline.aborted) throw new Unreachable('not checked: the overall deadline passed', true);
    const reason = unreachableReason(err, limits.timeoutMs);
    if (LASTING.has(reason)) limits.down?.set(host, reason);
    throw new Unreachable(reason);
  }
}

/** Reads a body up to `max` bytes; a response that is larger is cut there. */
export async function readBytes(res: Response, max: number, limits: RequestLimits): Promise<Buffer> {
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(Buffer.from(value));
      size += value.length;
      if (size >= max) break;
    }
  } catch (err) {
    throw new Unreachable(limits.deadline.aborted ? 'not checked: the overall deadline passed' : unreachableReason(err, limits.timeoutMs), limits.deadline.aborted);
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, max);
}

export async function readText(res: Response, max: number, limits: RequestLimits): Promise<string> {
  return (await readBytes(res, max, limits)).toString('utf8');
}

/** Frees the connection of a response whose body is not wanted. */
export async function discard(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => undefined);
}
