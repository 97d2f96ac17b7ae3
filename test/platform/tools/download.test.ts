import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KindlabError } from '../../../src/core/errors.js';
import { downloadVerified, type DownloadOptions } from '../../../src/platform/tools/download.js';
import type { ProgressSink } from '../../../src/platform/tools/progress.js';
import { drip, endless, sequence, serve, sha256, silence, stall, startServer, status, truncate, type FixtureServer } from './http-fixture.js';

const body = Buffer.from('#!/bin/sh\necho fake kind\n'.repeat(2000));
const good = `${sha256(body)}  kind-linux-amd64\n`;

let server: FixtureServer;
let dir: string;
/** Fast retries and timeouts: tests must not wait for production backoff. */
const fast: DownloadOptions = { attempts: 3, backoffMs: 5, stallTimeoutMs: 300 };

beforeEach(async () => {
  server = await startServer();
  dir = await mkdtemp(join(tmpdir(), 'kindlab-dl-'));
});
afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function request(name = 'kind-linux-amd64') {
  return {
    url: `${server.url}/dl/${name}`,
    checksumUrl: `${server.url}/dl/${name}.sha256sum`,
    fileName: name,
    dest: join(dir, 'tools', name),
    mode: 0o755,
  };
}

async function thrown(p: Promise<unknown>): Promise<KindlabError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(KindlabError);
    return e as KindlabError;
  }
  throw new Error('expected a rejection');
}

/** Only the verified file may exist: no temp files, nothing else that looks cached. */
async function leftovers() {
  try {
    return await readdir(join(dir, 'tools'));
  } catch {
    return [];
  }
}

describe('downloadVerified', () => {
  it('downloads, verifies and caches; a second call makes no request', async () => {
    server.route('/dl/kind-linux-amd64', serve(body));
    server.route('/dl/kind-linux-amd64.sha256sum', serve(good, 'text/plain'));
    const events: string[] = [];
    const progress: ProgressSink = {
      start: (label, total) => {
        events.push(`start ${label} ${total}`);
        return { advance: () => undefined, finish: (ok) => void events.push(`finish ${ok}`) };
      },
    };

    const first = await downloadVerified(request(), { ...fast, progress });
    expect(first).toMatchObject({ cached: false, sha256: sha256(body), bytes: body.length });
    expect(await readFile(first.path)).toEqual(body);
    expect((await stat(first.path)).mode & 0o777).toBe(0o755);
    expect(events).toEqual([`start kind-linux-amd64 ${body.length}`, 'finish true']);

    const before = server.requests.length;
    const second = await downloadVerified(request(), fast);
    expect(second).toEqual({ path: first.path, cached: true });
    expect(server.requests.length).toBe(before);
    expect(await leftovers()).toEqual(['kind-linux-amd64']);
  });

  it('refuses a file whose checksum does not match and caches nothing', async () => {
    server.route('/dl/kind-linux-amd64', serve(body));
    server.route('/dl/kind-linux-amd64.sha256sum', serve(`${'0'.repeat(64)}  kind-linux-amd64\n`));
    const err = await thrown(downloadVerified(request(), fast));
    expect(err.kind).toBe('environment');
    expect(err.message).toMatch(/checksum mismatch/);
    expect(err.details.join('\n')).toContain(sha256(body));
    expect(await leftovers()).toEqual([]);
    // A mismatch is not retried: the same bytes would come back.
    expect(server.count('/dl/kind-linux-amd64')).toBe(1);
  });

  it('reports a 404 with the URL and what to do, without retrying', async () => {
    server.route('/dl/kind-linux-amd64.sha256sum', status(404));
    const err = await thrown(downloadVerified(request(), fast));
    expect(err.kind).toBe('environment');
    expect(err.message).toContain(`${server.url}/dl/kind-linux-amd64.sha256sum`);
    expect(err.fix).toMatch(/version/);
    expect(err.fix).toMatch(/--registry-mirror|offline bundle/);
    expect(server.count('/dl/kind-linux-amd64.sha256sum')).toBe(1);
  });

  it('retries a truncated transfer (Content-Length larger than the body, then close)', async () => {
    server.route('/dl/kind-linux-amd64', sequence(truncate(body, 1000), serve(body)));
    server.route('/dl/kind-linux-amd64.sha256sum', serve(good));
    const got = await downloadVerified(request(), fast);
    expect(got.sha256).toBe(sha256(body));
    expect(server.count('/dl/kind-linux-amd64')).toBe(2);
    expect(await leftovers()).toEqual(['kind-linux-amd64']);
  });

  it('gives up after the bounded number of attempts when every transfer is cut short', async () => {
    server.route('/dl/kind-linux-amd64', truncate(body, 1000));
    server.route('/dl/kind-linux-amd64.sha256sum', serve(good));
    const err = await thrown(downloadVerified(request(), fast));
    expect(err.message).toMatch(/after 3 attempts/);
    expect(server.count('/dl/kind-linux-amd64')).toBe(3);
    expect(await leftovers()).toEqual([]);
  });

  it('retries server errors', async () => {
    server.route('/dl/kind-linux-amd64', sequence(status(503), serve(body)));
    server.route('/dl/kind-linux-amd64.sha256sum', sequence(status(502), serve(good)));
    expect((await downloadVerified(request(), fast)).cached).toBe(false);
    expect(server.count('/dl/kind-linux-amd64')).toBe(2);
    expect(server.count('/dl/kind-linux-amd64.sha256sum')).toBe(2);
  });

  it('aborts a download that stalls mid-body', async () => {
    server.route('/dl/kind-linux-amd64', stall(body));
    server.route('/dl/kind-linux-amd64.sha256sum', serve(good));
    const started = Date.now();
    const err = await thrown(downloadVerified(request(), { ...fast, attempts: 2, stallTimeoutMs: 150 }));
    expect(err.message).toMatch(/stalled|no data/);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(server.count('/dl/kind-linux-amd64')).toBe(2);
    expect(await leftovers()).toEqual([]);
  });

  it('aborts a server that never answers', async () => {
    server.route('/dl/kind-linux-amd64.sha256sum', silence);
    const err = await thrown(downloadVerified(request(), { ...fast, attempts: 1, stallTimeoutMs: 150 }));
    expect(err.message).toMatch(/no data for/);
  });

  it('stops at once, without retrying, when the caller aborts', async () => {
    server.route('/dl/kind-linux-amd64', stall(body));
    server.route('/dl/kind-linux-amd64.sha256sum', serve(good));
    const controller = new AbortController();
    const p = downloadVerified(request(), { ...fast, stallTimeoutMs: 10_000, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('interrupted by the user')), 100);
    await expect(p).rejects.toThrow(/interrupted by the user/);
    expect(server.count('/dl/kind-linux-amd64')).toBe(1);
    expect(await leftovers()).toEqual([]);
  });

  it('reports an unwritable cache as an environment problem, without retrying', async () => {
    server.route('/dl/kind-linux-amd64', serve(body));
    server.route('/dl/kind-linux-amd64.sha256sum', serve(good));
    const { writeFile } = await import('node:fs/promises');
    // A file where the cache directory should be: mkdir fails with ENOTDIR/EEXIST.
    await writeFile(join(dir, 'tools'), 'not a directory');
    const err = await thrown(downloadVerified(request(), fast));
    expect(err.message).toMatch(/cannot write .*kind-linux-amd64/);
    expect(server.requests).toEqual([]);
  });

  it('shares one download between concurrent callers', async () => {
    server.route('/dl/kind-linux-amd64', serve(body));
    server.route('/dl/kind-linux-amd64.sha256sum', serve(good));
    const results = await Promise.all([downloadVerified(request(), fast), downloadVerified(request(), fast), downloadVerified(request(), fast)]);
    expect(new Set(results.map((r) => r.path)).size).toBe(1);
    expect(server.count('/dl/kind-linux-amd64')).toBe(1);
  });

  it('runs different downloads in parallel', async () => {
    const other = Buffer.from('kubectl bytes');
    server.route('/dl/kind-linux-amd64', serve(body));
    server.route('/dl/kind-linux-amd64.sha256sum', serve(good));
    server.route('/dl/kubectl', serve(other));
    server.route('/dl/kubectl.sha256sum', serve(`${sha256(other)}\n`));
    const [a, b] = await Promise.all([downloadVerified(request(), fast), downloadVerified(request('kubectl'), fast)]);
    expect(await readFile(a.path)).toEqual(body);
    expect(await readFile(b.path)).toEqual(other);
  });

  it('gives up on a server that drips one byte just before each stall timeout, at the deadline', async () => {
    server.route('/dl/kind-linux-amd64', drip(body, 100));
    server.route('/dl/kind-linux-amd64.sha256sum', serve(good, 'text/plain'));
    const started = Date.now();
    const err = await thrown(downloadVerified(request(), { ...fast, stallTimeoutMs: 300, deadlineMs: 800 }));
    expect(err.message).toBe(`could not download ${server.url}/dl/kind-linux-amd64 within 800ms`);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await leftovers()).toEqual([]);
  });

  it('refuses a body over the artifact size limit, whether announced or streamed, and caches nothing', async () => {
    server.route('/dl/kind-linux-amd64', serve(body));
    server.route('/dl/kind-linux-amd64.sha256sum', serve(good, 'text/plain'));
    const announced = await thrown(downloadVerified({ ...request(), maxBytes: 1024 }, fast));
    expect(announced.message).toBe(`refusing ${server.url}/dl/kind-linux-amd64: 49 KiB, over kindlab's limit of 1 KiB for this download`);
    const flood = endless('x'.repeat(4096));
    server.route('/dl/kind-linux-amd64', flood);
    const streamed = await thrown(downloadVerified({ ...request(), maxBytes: 64 * 1024 }, fast));
    expect(streamed.message).toBe(`refusing ${server.url}/dl/kind-linux-amd64: more than 64 KiB, over kindlab's limit of 64 KiB for this download`);
    expect(server.count('/dl/kind-linux-amd64')).toBe(2);
    expect(flood.sent()).toBeLessThan(64 * 1024 * 1024);
    expect(await leftovers()).toEqual([]);
  });

  it('reads at most 64 KiB of a checksum file, streamed, instead of all of it', async () => {
    const flood = endless(`${'0'.repeat(64)}  other-file\n`);
    server.route('/dl/kind-linux-amd64.sha256sum', flood);
    server.route('/dl/kind-linux-amd64', serve(body));
    const err = await thrown(downloadVerified(request(), fast));
    expect(err.message).toBe(`refusing ${server.url}/dl/kind-linux-amd64.sha256sum: more than 64 KiB, over kindlab's limit of 64 KiB for this download`);
    expect(flood.sent()).toBeLessThan(64 * 1024 * 1024);
    expect(server.count('/dl/kind-linux-amd64')).toBe(0);
  });
});
