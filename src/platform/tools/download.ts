/**
 * Verified downloads into the cache.
 *
 * A file reaches its final name only after its SHA-256 matched the upstream checksum file, so
 * anything found at that name was verified once and is reused without any request. Bytes go to a
 * uniquely named temp file beside the destination and are renamed into place: a crash, a
 * truncated transfer or a bad checksum leaves nothing that looks cached, and two processes
 * fetching the same file each write their own temp file and the last rename wins with identical
 * content.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { formatDuration } from '../../core/duration.js';
import { KindlabError, toMessage } from '../../core/errors.js';
import { ChecksumFormatError, parseChecksumFile } from './checksum.js';
import { silentProgress, type ProgressSink } from './progress.js';
import { pathExists } from '../../core/fs.js';

export interface DownloadRequest {
  url: string;
  checksumUrl: string;
  /** Name looked up in checksum files that list several artifacts. */
  fileName: string;
  /** Final path of the verified file. */
  dest: string;
  /** Shown in progress output; defaults to fileName. */
  label?: string;
  /** File mode to set before the file becomes visible (0o755 for executables). */
  mode?: number;
  /** Refuse a body larger than this (see artifactSizeLimits); default: the archive limit. */
  maxBytes?: number;
}

const MiB = 1024 * 1024;

/**
 * The largest artifact kindlab accepts, per kind, far above any real one (2026-12: kubectl
 * v1.35 for linux-amd64 is ~57 MB, the Istio 1.28 release archive ~30 MB, checksum files under
 * 2 KB): a server that sends endless data fills neither the disk nor the memory.
 */
export const artifactSizeLimits = { binary: 512 * MiB, 'tar.gz': 256 * MiB, checksum: 64 * 1024 } as const;

export interface DownloadOptions {
  fetchImpl?: typeof fetch;
  progress?: ProgressSink;
  /** Tries per request, including the first (network errors, truncation, stalls, 5xx). */
  attempts?: number;
  /** Wait before the first retry; doubled for each further retry. */
  backoffMs?: number;
  /** Give up on an attempt when no bytes arrive for this long (also bounds waiting for headers). */
  stallTimeoutMs?: number;
  /**
   * Give up on the artifact (checksum, every attempt and pause) after this long: a server that
   * drips a byte just before each stall timeout would otherwise never be given up on.
   */
  deadlineMs?: number;
  signal?: AbortSignal;
  sleep?: (ms: number) => Promise<void>;
}

export interface DownloadResult {
  path: string;
  sha256?: string;
  bytes?: number;
  /** True when the file was already in the cache and nothing was requested. */
  cached: boolean;
}

/** A failure worth another attempt: the next try may well succeed. */
class TransientError extends Error {}

function tooLarge(url: string, limit: number, bytes?: number): KindlabError {
  const size = (n: number) => (n >= MiB ? `${Math.round(n / MiB)} MiB` : `${Math.ceil(n / 1024)} KiB`);
  const got = bytes === undefined ? `more than ${size(limit)}` : size(bytes);
  return new KindlabError('environment', `refusing ${url}: ${got}, over kindlab's limit of ${size(limit)} for this download`, {
    fix: 'Nothing was cached. A proxy or mirror may be answering with something else; open the URL in a browser to see what it returns.',
  });
}

/** Reads a response body up to `limit` bytes; more is an error, not a longer wait. */
async function readCapped(res: Response, url: string, limit: number): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > limit) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge(url, limit, declared);
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  if (res.body) {
    for await (const chunk of res.body) {
      bytes += chunk.byteLength;
      if (bytes > limit) throw tooLarge(url, limit);
      chunks.push(Buffer.from(chunk));
    }
  }
  return Buffer.concat(chunks);
}

const defaults = { attempts: 4, backoffMs: 1000, stallTimeoutMs: 30_000, deadlineMs: 20 * 60_000 };

const hostOf = (url: string) => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};

function notFound(url: string): KindlabError {
  return new KindlabError('environment', `download not found (HTTP 404): ${url}`, {
    fix:
      'Check the version you asked for (e.g. --istio 1.31.1, --k8s v1.35.8). If this machine reaches the internet only ' +
      `through a mirror, or not at all, use --registry-mirror or an offline bundle instead of ${hostOf(url)}.`,
  });
}

/**
 * Runs fetch with a stall watchdog: the returned `arm()` restarts the countdown and must be called
 * whenever progress is made. When the countdown expires the request is aborted.
 */
function watchdog(stallMs: number, outer?: AbortSignal) {
  const controller = new AbortController();
  let stalled = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      controller.abort(new TransientError(`no data for ${formatDuration(stallMs)}`));
    }, stallMs);
  };
  const signal = outer ? AbortSignal.any([controller.signal, outer]) : controller.signal;
  return {
    signal,
    arm,
    stop: () => timer && clearTimeout(timer),
    get stalled() {
      return stalled;
    },
  };
}

async function request(url: string, fetchImpl: typeof fetch, signal: AbortSignal): Promise<Response> {
  let res: Response;
  try {
    res = await fetchImpl(url, { signal, redirect: 'follow' });
  } catch (err) {
    throw signal.aborted && signal.reason instanceof TransientError ? signal.reason : asTransient(err, signal);
  }
  if (res.ok) return res;
  await res.body?.cancel().catch(() => undefined);
  if (res.status === 404 || res.status === 410) throw notFound(url);
  if (res.status >= 500 || res.status === 429 || res.status === 408) throw new TransientError(`HTTP ${res.status} from ${url}`);
  throw new KindlabError('environment', `download failed (HTTP ${res.status} ${res.statusText}): ${url}`, {
    fix: 'Check proxy settings and the URL; a 403 often means a proxy or firewall blocks the host.',
  });
}

/** Network-level failures are transient unless the caller aborted on purpose. */
function asTransient(err: unknown, signal: AbortSignal): unknown {
  if (signal.aborted && !(signal.reason instanceof TransientError)) return err;
  if (err instanceof KindlabError || err instanceof TransientError) return err;
  // File system errors (a full disk, a read-only cache) will not go away by trying again.
  if ((err as NodeJS.ErrnoException).syscall) return err;
  const cause = (err as { cause?: unknown }).cause;
  return new TransientError(cause ? `${toMessage(err)} (${toMessage(cause)})` : toMessage(err));
}

async function withRetries<T>(what: string, opts: Required<Pick<DownloadOptions, 'attempts' | 'backoffMs'>> & DownloadOptions, fn: () => Promise<T>): Promise<T> {
  const sleep = opts.sleep ?? ((ms: number) => delay(ms, undefined, opts.signal ? { signal: opts.signal } : {}));
  let last: unknown;
  for (let attempt = 1; attempt <= opts.attempts; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof TransientError) || opts.signal?.aborted) throw err;
      last = err;
      if (attempt < opts.attempts) await sleep(opts.backoffMs * 2 ** (attempt - 1));
    }
  }
  throw new KindlabError('environment', `could not download ${what} after ${opts.attempts} attempt${opts.attempts === 1 ? '' : 's'}: ${toMessage(last)}`, {
    fix: 'Check the network connection and proxy settings (HTTPS_PROXY), then run the command again. Machines without internet access can use an offline bundle.',
  });
}

async function fetchChecksum(req: DownloadRequest, opts: DownloadOptions & typeof defaults, fetchImpl: typeof fetch): Promise<string> {
  const text = await withRetries(req.checksumUrl, opts, async () => {
    const dog = watchdog(opts.stallTimeoutMs, opts.signal);
    dog.arm();
    try {
      const res = await request(req.checksumUrl, fetchImpl, dog.signal);
      return (await readCapped(res, req.checksumUrl, artifactSizeLimits.checksum)).toString('utf8');
    } catch (err) {
      throw dog.stalled ? new TransientError(`no data for ${formatDuration(opts.stallTimeoutMs)}`) : asTransient(err, dog.signal);
    } finally {
      dog.stop();
    }
  });
  try {
    return parseChecksumFile(text, req.fileName);
  } catch (err) {
    if (err instanceof ChecksumFormatError) {
      throw new KindlabError('environment', `cannot read the checksum file ${req.checksumUrl}: ${err.message}`, {
        fix: 'A proxy or captive portal may have answered instead of the real server; open the URL in a browser to see what it returns.',
      });
    }
    throw err;
  }
}

/** One attempt: stream the body into `tmp`, hashing as it arrives. */
async function fetchToFile(
  req: DownloadRequest,
  tmp: string,
  opts: DownloadOptions & typeof defaults,
  fetchImpl: typeof fetch,
  progress: ProgressSink,
): Promise<{ sha256: string; bytes: number }> {
  const dog = watchdog(opts.stallTimeoutMs, opts.signal);
  dog.arm();
  let task: ReturnType<ProgressSink['start']> | undefined;
  const file = await open(tmp, 'w', req.mode ?? 0o644);
  try {
    const res = await request(req.url, fetchImpl, dog.signal);
    const lengthHeader = res.headers.get('content-length');
    const expectedBytes = lengthHeader ? Number(lengthHeader) : undefined;
    const limit = req.maxBytes ?? artifactSizeLimits['tar.gz'];
    if (expectedBytes !== undefined && expectedBytes > limit) {
      await res.body?.cancel().catch(() => undefined);
      throw tooLarge(req.url, limit, expectedBytes);
    }
    task = progress.start(req.label ?? req.fileName, expectedBytes);
    const hash = createHash('sha256');
    let bytes = 0;
    if (res.body) {
      for await (const chunk of res.body) {
        dog.arm();
        if (bytes + chunk.byteLength > limit) throw tooLarge(req.url, limit);
        hash.update(chunk);
        await file.write(chunk);
        bytes += chunk.byteLength;
        task.advance(chunk.byteLength);
      }
    }
    // fetch usually reports a connection closed early as an error; a server that closes cleanly
    // after too few bytes is caught here.
    if (expectedBytes !== undefined && bytes !== expectedBytes) {
      throw new TransientError(`transfer truncated: got ${bytes} of ${expectedBytes} bytes`);
    }
    task.finish(true);
    return { sha256: hash.digest('hex'), bytes };
  } catch (err) {
    task?.finish(false);
    throw dog.stalled ? new TransientError(`stalled: no data for ${formatDuration(opts.stallTimeoutMs)}`) : asTransient(err, dog.signal);
  } finally {
    dog.stop();
    await file.close();
  }
}

async function download(req: DownloadRequest, options: DownloadOptions): Promise<DownloadResult> {
  if (await pathExists(req.dest)) return { path: req.dest, cached: true };
  const given = { ...defaults, ...stripUndefined(options) };
  const deadline = AbortSignal.timeout(given.deadlineMs);
  const opts = { ...given, signal: options.signal ? AbortSignal.any([options.signal, deadline]) : deadline };
  try {
    return await fetchVerified(req, opts, options);
  } catch (err) {
    if (!deadline.aborted || options.signal?.aborted) throw err;
    throw new KindlabError('environment', `could not download ${req.url} within ${formatDuration(given.deadlineMs)}`, {
      fix: 'The server sends too slowly (or a proxy holds the connection open). Run the command again later, or use an offline bundle (kindlab bundle / import).',
    });
  }
}

async function fetchVerified(req: DownloadRequest, opts: DownloadOptions & typeof defaults, options: DownloadOptions): Promise<DownloadResult> {
  const fetchImpl = options.fetchImpl ?? fetch;
  const progress = options.progress ?? silentProgress;
  await mkdir(dirname(req.dest), { recursive: true });

  const expected = await fetchChecksum(req, opts, fetchImpl);
  const tmp = `${req.dest}.part-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const got = await withRetries(req.url, opts, () => fetchToFile(req, tmp, opts, fetchImpl, progress));
    if (got.sha256 !== expected) {
      throw new KindlabError('environment', `checksum mismatch for ${req.url}`, {
        details: [`expected sha256 ${expected} (from ${req.checksumUrl})`, `received sha256 ${got.sha256} (${got.bytes} bytes)`],
        fix: 'Nothing was cached. Run the command again; if it keeps failing, a proxy or mirror is altering the download.',
      });
    }
    // open() applies the mode through the umask; set it exactly before the file becomes visible.
    if (req.mode !== undefined) await chmod(tmp, req.mode);
    await rename(tmp, req.dest);
    return { path: req.dest, sha256: got.sha256, bytes: got.bytes, cached: false };
  } finally {
    await rm(tmp, { force: true });
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Requests for the same destination within this process share one download. */
const inFlight = new Map<string, Promise<DownloadResult>>();

function cacheWriteError(err: unknown, dest: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (err instanceof KindlabError || !e.syscall) return err;
  return new KindlabError('environment', `cannot write ${dest}: ${e.message}`, {
    fix: e.code === 'ENOSPC' ? 'Free some disk space, or point XDG_CACHE_HOME at a bigger disk.' : 'Check the permissions of the kindlab cache directory (XDG_CACHE_HOME).',
    cause: err,
  });
}

export function downloadVerified(req: DownloadRequest, options: DownloadOptions = {}): Promise<DownloadResult> {
  const running = inFlight.get(req.dest);
  if (running) return running;
  const p = download(req, options)
    .catch((err: unknown) => {
      throw cacheWriteError(err, req.dest);
    })
    .finally(() => inFlight.delete(req.dest));
  inFlight.set(req.dest, p);
  return p;
}
