/**
 * `doctor --upstream` against real servers on loopback: Debian's docker-registry (one open, one that
 * demands bearer tokens from a token service), a server that redirects the way registry.k8s.io
 * does, and HTTP servers standing in for the download hosts. KINDLAB_UPSTREAM_HOSTS (or the same
 * host map given in-process) points the check at them.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLab, listLabs } from '../../../src/lab/catalog.js';
import { runUpstreamCheck, type CheckResult } from '../../../src/offline/upstream/check.js';
import { parseHostMap } from '../../../src/platform/upstream/hosts.js';
import { upstreamDoctor } from '../../../src/offline/upstream/index.js';
import { MANIFEST_ACCEPT, parseChallenge } from '../../../src/platform/upstream/registry-client.js';
import { upstreamTargets, type ImageTarget, type UpstreamTargets, type UrlTarget } from '../../../src/offline/upstream/targets.js';
import { DEFAULT_SOURCES, TOOLS } from '../../../src/platform/tools/catalog.js';
import { PINS } from '../../../src/platform/tools/pins.js';
import { resolvePins, toolVersion, TOOL_NAMES } from '../../../src/platform/tools/versions.js';
import { normalizeImage } from '../../../src/offline/image-ref.js';
import { pushTinyImage, putManifest, REGISTRY_BIN, startRegistry, type TestRegistry } from '../registry-helper.js';
import { isolatedEnv, runCli } from '../../cli/run-cli.js';
import { serve, silence, startServer, status, type FixtureServer } from '../../platform/tools/http-fixture.js';
import { startTokenRegistry, type TokenRegistry } from './token-registry.js';

const LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const V2 = 'application/vnd.docker.distribution.manifest.v2+json';

function image(ref: string): ImageTarget {
  const m = /^([^/]+)\/([^:@]+)(?::([^@]+))?(?:@(.+))?$/.exec(ref);
  if (!m) throw new Error(ref);
  return { ref, registry: m[1] as string, repository: m[2] as string, ...(m[3] ? { tag: m[3] } : {}), ...(m[4] ? { digest: m[4] } : {}), usedBy: ['test'] };
}

const url = (u: string, check: UrlTarget['check'] = 'exists', entry?: string): UrlTarget => ({ url: u, check, ...(entry ? { entry } : {}), usedBy: 'test' });
const targets = (images: ImageTarget[], urls: UrlTarget[] = []): UpstreamTargets => ({ images, urls, unresolved: [] });
const byTarget = (results: CheckResult[], t: string) => results.find((r) => r.target === t) as CheckResult;

function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

/** A port nothing listens on: opened, noted, closed. */
async function closedPort(): Promise<string> {
  const { server, url: u } = await listen(() => undefined);
  await new Promise((r) => server.close(r));
  return u;
}

async function pushIndex(reg: string, repo: string, tag: string, headers: Record<string, string> = {}) {
  const entries = [];
  for (const arch of ['amd64', 'arm64']) {
    const digest = await pushTinyImage(reg, repo, `${tag}-${arch}`, { arch, headers });
    const size = (await fetch(`${reg}/v2/${repo}/manifests/${digest}`, { headers: { accept: V2, ...headers } }).then((r) => r.arrayBuffer())).byteLength;
    entries.push({ mediaType: V2, size, digest, platform: { architecture: arch, os: 'linux' } });
  }
  return putManifest(reg, repo, tag, JSON.stringify({ schemaVersion: 2, mediaType: LIST, manifests: entries }), LIST, headers);
}

describe.skipIf(!REGISTRY_BIN)('doctor --upstream against registries and download hosts on loopback', () => {
  let open: TestRegistry;
  let tokened: TokenRegistry;
  let redirector: { server: Server; url: string };
  let downloads: FixtureServer;
  const pinned: Record<string, string> = {};

  beforeAll(async () => {
    [open, tokened, downloads] = await Promise.all([startRegistry(), startTokenRegistry(), startServer()]);
    // registry.k8s.io answers every /v2/ request with a redirect to a regional backend.
    redirector = await listen((req, res) => res.writeHead(307, { location: `${tokened.registry.url}${req.url}` }).end());

    pinned.app = await pushTinyImage(open.url, 'library/app', '1.0');
    pinned.index = await pushIndex(open.url, 'team/node', 'v1');
    pinned.movedOld = await pushTinyImage(open.url, 'team/moved', 'v1');
    await pushTinyImage(open.url, 'team/moved', 'v1', { salt: ' rebuilt' });
    pinned.byDigest = await pushTinyImage(open.url, 'team/bydigest', 'scratch');
    pinned.tagGone = await pushTinyImage(open.url, 'team/retagged', 'old');
    pinned.secured = await pushTinyImage(tokened.registry.url, 'org/tool', '2.0', { headers: tokened.pushHeaders('org/tool') });
    pinned.redirected = await pushTinyImage(tokened.registry.url, 'cloud/ccm', 'v0.1', { headers: tokened.pushHeaders('cloud/ccm') });

    downloads.route('/tool-1.0', serve('binary'));
    downloads.route('/tool.sha256sum', serve(`${'a'.repeat(64)}  tool-1.0\n`));
    downloads.route('/moved', (_req, res) => res.writeHead(302, { location: '/tool-1.0' }).end());
    downloads.route('/signed-get-only', (req, res) => {
      // An object store behind a URL signed for GET: HEAD is refused, a ranged GET works.
      if (req.method === 'HEAD') return res.writeHead(403).end();
      if (req.headers.range !== 'bytes=0-0') return res.writeHead(400).end('expected a ranged GET');
      res.writeHead(206, { 'content-range': 'bytes 0-0/100' }).end('x');
    });
    downloads.route('/index.yaml', serve(`entries:\n  chart:\n  - version: 1.2.3\n    urls:\n    - ${downloads.url}/charts/chart-1.2.3.tgz\n`));
    downloads.route('/charts/chart-1.2.3.tgz', serve('tgz'));
  });

  afterAll(async () => {
    await Promise.all([open?.stop(), tokened?.stop(), downloads?.close(), new Promise((r) => (redirector ? redirector.server.close(r) : r(undefined)))]);
  });

  const hosts = () =>
    parseHostMap(`docker.io=${open.url},ghcr.io=${tokened.registry.url},registry.k8s.io=${redirector.url},downloads.example=${downloads.url}`);

  it('everything resolves as pinned: tags, tag@index digests, bare digests, tokens, redirects, URLs, checksum lists, a chart index', async () => {
    const report = await runUpstreamCheck(
      targets(
        [
          image('docker.io/library/app:1.0'),
          image(`docker.io/team/node:v1@${pinned.index}`),
          image(`docker.io/team/bydigest@${pinned.byDigest}`),
          image('ghcr.io/org/tool:2.0'),
          image(`registry.k8s.io/cloud/ccm:v0.1@${pinned.redirected}`),
        ],
        [
          url('https://downloads.example/tool-1.0'),
          url('https://downloads.example/moved'),
          url('https://downloads.example/signed-get-only'),
          url('https://downloads.example/tool.sha256sum', 'checksum', 'tool-1.0'),
          url('https://downloads.example/index.yaml', 'chart-index', 'chart-1.2.3.tgz'),
        ],
      ),
      { hosts: hosts(), timeoutMs: 5000 },
    );
    expect(report.results.filter((r) => r.outcome !== 'ok')).toEqual([]);
    expect(report.drift).toEqual([]);
    expect(report.offline).toBe(false);
    expect(byTarget(report.results, 'docker.io/library/app:1.0').currentDigest).toBe(pinned.app);
  });

  it('asks for the image index, not one platform of it: the pinned index digest is what resolves', async () => {
    // Without the index media types the registry answers for linux/amd64 instead (a different digest).
    const platformOnly = await fetch(`${open.url}/v2/team/node/manifests/v1`, { method: 'HEAD', headers: { accept: V2 } });
    expect(platformOnly.headers.get('docker-content-digest')).not.toBe(pinned.index);
    expect(MANIFEST_ACCEPT).toContain(LIST);

    const report = await runUpstreamCheck(targets([image(`docker.io/team/node:v1@${pinned.index}`)]), { hosts: hosts() });
    expect(report.results[0]).toMatchObject({ outcome: 'ok', currentDigest: pinned.index });
  });

  it('answers the bearer challenge with an anonymous token for the challenged scope, once per repository', async () => {
    tokened.scopes.length = 0;
    const challenged = await fetch(`${tokened.registry.url}/v2/org/tool/manifests/2.0`, { method: 'HEAD' });
    expect(challenged.status).toBe(401);
    expect(parseChallenge(challenged.headers.get('www-authenticate'))).toMatchObject({ scheme: 'bearer', params: { realm: `${tokened.tokens.url}/token`, scope: 'repository:org/tool:pull' } });

    const report = await runUpstreamCheck(targets([image('ghcr.io/org/tool:2.0'), image(`ghcr.io/org/tool@${pinned.secured}`)]), { hosts: hosts(), concurrency: 1 });
    expect(report.results.map((r) => r.outcome)).toEqual(['ok', 'ok']);
    expect(report.results[0]?.currentDigest).toBe(pinned.secured);
    expect(tokened.scopes).toEqual(['repository:org/tool:pull']);
  });

  it('a tag that is gone is drift; so is a tag that now names another digest, with whether the pinned digest still pulls', async () => {
    const report = await runUpstreamCheck(
      targets([image('docker.io/library/gone:1.0'), image(`docker.io/team/moved:v1@${pinned.movedOld}`), image(`docker.io/team/retagged:new@${pinned.tagGone}`), image('ghcr.io/org/absent:1')]),
      { hosts: hosts() },
    );
    expect(byTarget(report.results, 'docker.io/library/gone:1.0')).toMatchObject({ outcome: 'missing', detail: 'not found (HTTP 404)' });
    const moved = byTarget(report.results, `docker.io/team/moved:v1@${pinned.movedOld}`);
    expect(moved).toMatchObject({ outcome: 'digest-changed', pinnedDigest: pinned.movedOld, pinnedDigestResolves: true });
    expect(moved.currentDigest).toMatch(/^sha256:/);
    expect(moved.currentDigest).not.toBe(pinned.movedOld);
    expect(byTarget(report.results, `docker.io/team/retagged:new@${pinned.tagGone}`)).toMatchObject({ outcome: 'missing', pinnedDigestResolves: true });
    // Behind a token service a repository that does not exist is refused even with a token (Docker Hub does the same).
    expect(byTarget(report.results, 'ghcr.io/org/absent:1').outcome).toBe('missing');
    expect(report.drift).toHaveLength(4);
  });

  it('a URL that is gone, and a checksum list without the file, are drift', async () => {
    const report = await runUpstreamCheck(
      targets([], [url('https://downloads.example/tool-2.0'), url('https://downloads.example/tool.sha256sum', 'checksum', 'tool-2.0'), url('https://downloads.example/index.yaml', 'chart-index', 'chart-9.9.9.tgz')]),
      { hosts: hosts() },
    );
    expect(report.results.map((r) => [r.outcome, r.detail])).toEqual([
      ['missing', 'not found (HTTP 404)'],
      ['missing', 'checksum file has no entry for tool-2.0 (has: tool-1.0)'],
      ['missing', 'the chart index does not list chart-9.9.9.tgz'],
    ]);
  });

  it('rate limits and server errors are not drift but unchecked', async () => {
    downloads.route('/busy', status(429));
    downloads.route('/broken', status(503));
    const report = await runUpstreamCheck(targets([], [url('https://downloads.example/busy'), url('https://downloads.example/broken')]), { hosts: hosts() });
    expect(report.drift).toEqual([]);
    expect(report.unchecked.map((r) => r.detail)).toEqual(['HTTP 429', 'HTTP 503']);
  });

  it('a host that never answers costs one request timeout; the overall deadline stops the rest', async () => {
    const quiet = await startServer({ '/a': silence, '/b': silence, '/c': silence });
    try {
      const h = parseHostMap(`quiet.example=${quiet.url}`);
      const timedOut = await runUpstreamCheck(targets([], [url('https://quiet.example/a')]), { hosts: h, timeoutMs: 200 });
      expect(timedOut.results[0]).toMatchObject({ outcome: 'unreachable', detail: 'no answer within 200ms' });

      const started = Date.now();
      const cut = await runUpstreamCheck(targets([], ['a', 'b', 'c'].map((p) => url(`https://quiet.example/${p}`))), { hosts: h, timeoutMs: 10_000, deadlineMs: 300, concurrency: 1 });
      expect(Date.now() - started).toBeLessThan(3000);
      expect(cut.results.map((r) => r.detail)).toEqual(Array(3).fill('not checked: the overall deadline passed'));
    } finally {
      await quiet.close();
    }
  });

  describe('the whole command, with the real pins and labs', () => {
    let labHosts: string[];
    beforeAll(async () => {
      const t = await upstreamTargets([await findLab('canary-l4')], resolvePins(), await mkdtemp(join(tmpdir(), 'kl-up-cache-')));
      labHosts = [...new Set([...t.images.map((i) => i.registry), ...t.urls.map((u) => new URL(u.url).host)])];
    });

    it('--json with empty registries and hosts: every pin is drift, exit code 1', async () => {
      const registries = new Set(['docker.io', 'registry.k8s.io', 'quay.io', 'ghcr.io', 'registry.istio.io', 'gcr.io']);
      const env = { KINDLAB_UPSTREAM_HOSTS: labHosts.map((h) => `${h}=${registries.has(h) ? open.url : downloads.url}`).join(',') };
      const out: string[] = [];
      const code = await upstreamDoctor({ labIds: ['canary-l4'], overrides: {}, json: true, color: false, env, cacheDir: await mkdtemp(join(tmpdir(), 'kl-up-')), out: (t) => out.push(t), status: () => undefined });
      const doc = JSON.parse(out.join('')) as { ok: boolean; exitCode: number; offline: boolean; checked: { images: number; urls: number }; drift: CheckResult[]; results: CheckResult[] };
      expect(code).toBe(1);
      expect(doc).toMatchObject({ ok: false, exitCode: 1, offline: false });
      expect(doc.drift).toHaveLength(doc.results.length);
      expect(doc.drift.map((d) => d.target)).toContain(normalizeImage(PINS.nodeImages[0]?.image as string));
      expect(doc.drift.map((d) => d.target)).toContain(TOOLS.kind.artifact(PINS.kind, { os: 'linux', arch: 'amd64' }, DEFAULT_SOURCES).url);
    });

    it('as text: the drift listed with what uses it, and the summary line', async () => {
      const env = { KINDLAB_UPSTREAM_HOSTS: labHosts.map((h) => `${h}=${new Set(['docker.io', 'registry.k8s.io', 'quay.io']).has(h) ? open.url : downloads.url}`).join(',') };
      const out: string[] = [];
      const code = await upstreamDoctor({ labIds: ['canary-l4'], overrides: {}, json: false, color: false, env, cacheDir: await mkdtemp(join(tmpdir(), 'kl-up-')), out: (t) => out.push(t), status: () => undefined });
      const text = out.join('');
      const [, images, urls] = /^Upstream check: (\d+) images and (\d+) URLs/.exec(text) ?? [];
      const total = Number(images) + Number(urls);
      expect(total).toBeGreaterThan(50);
      expect(code).toBe(1);
      expect(text).toContain(`Drift (${total}): no longer resolves as pinned`);
      expect(text).toContain(`  ✗ ${normalizeImage(PINS.cloudProviderKindImage)}\n      not found (HTTP 404)\n      used by: canary-l4, pins.ts: cloud-provider-kind`);
      expect(text).toContain(`0 of ${total} resolve as pinned.`);
      expect(text).toContain('asked through KINDLAB_UPSTREAM_HOSTS: ');
    });

    it('--json offline: nothing reachable, so the report says offline and the exit code is 3', async () => {
      const nowhere = await closedPort();
      const env = { KINDLAB_UPSTREAM_HOSTS: labHosts.map((h) => `${h}=${nowhere}`).join(',') };
      const out: string[] = [];
      const code = await upstreamDoctor({ labIds: ['canary-l4'], overrides: {}, json: true, color: false, env, cacheDir: await mkdtemp(join(tmpdir(), 'kl-up-')), out: (t) => out.push(t), status: () => undefined });
      const doc = JSON.parse(out.join('')) as { offline: boolean; exitCode: number; drift: CheckResult[]; unchecked: CheckResult[]; results: CheckResult[] };
      expect(code).toBe(3);
      expect(doc).toMatchObject({ offline: true, exitCode: 3, drift: [] });
      expect(doc.unchecked).toHaveLength(doc.results.length);
      expect(new Set(doc.unchecked.map((u) => u.detail))).toEqual(new Set(['ECONNREFUSED']));
    });

    it('offline: `kindlab doctor --upstream` says it cannot check, one paragraph on stderr, exit 3', async () => {
      const nowhere = await closedPort();
      const env = await isolatedEnv({ KINDLAB_UPSTREAM_HOSTS: labHosts.map((h) => `${h}=${nowhere}`).join(',') });
      const r = await runCli(['doctor', '--upstream', '--lab', 'canary-l4'], env);
      expect(r.code).toBe(3);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/cannot check the pins upstream: none of the \d+ images and URLs could be reached \(ECONNREFUSED ×\d+\)/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  });
});

describe('what the upstream check asks about', () => {
  it('every lab image, every pinned node image, the platform images and every tool download for each platform', async () => {
    const labs = await Promise.all((await listLabs()).map((l) => findLab(l.id)));
    const pins = resolvePins();
    const t = await upstreamTargets(labs, pins, await mkdtemp(join(tmpdir(), 'kl-up-cache-')));
    const refs = new Set(t.images.map((i) => i.ref));
    for (const lab of labs) for (const img of lab.meta.images) expect(refs, `${lab.meta.id}: ${img}`).toContain(normalizeImage(img));
    for (const n of PINS.nodeImages) expect(refs).toContain(normalizeImage(n.image));
    expect(refs).toContain(normalizeImage(pins.cloudProviderKindImage));
    // MetalLB only comes in with --load-balancer metallb; its images are checked all the same.
    expect([...refs].filter((r) => r.startsWith('quay.io/metallb/'))).toEqual([`quay.io/metallb/controller:${pins.metallb}`, `quay.io/metallb/speaker:${pins.metallb}`]);

    const urls = t.urls.map((u) => u.url);
    for (const os of ['linux', 'darwin'] as const) {
      for (const arch of ['amd64', 'arm64'] as const) {
        for (const tool of TOOL_NAMES) {
          const a = TOOLS[tool].artifact(toolVersion(pins, tool), { os, arch }, DEFAULT_SOURCES);
          expect(urls).toContain(a.url);
          expect(t.urls).toContainEqual(expect.objectContaining({ url: a.checksumUrl, check: 'checksum', entry: a.fileName }));
        }
      }
    }
  });
});
