import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProcessRunner } from '../../../src/platform/exec.js';
import { clustersProbe } from '../../../src/platform/doctor/probes/clusters.js';
import { registriesProbe } from '../../../src/platform/doctor/probes/registries.js';
import { toolsProbe } from '../../../src/platform/doctor/probes/tools.js';
import { fakeTool, writeExe } from '../tools/fake-tools.js';
import { dockerInfoFixture, fakeContext, fakeRunner, lab } from './fakes.js';

describe('registries probe', () => {
  it('counts 401 as reachable and sends HEAD requests', async () => {
    const seen: Array<[string, string | undefined]> = [];
    const fetch: typeof globalThis.fetch = async (input, init) => {
      seen.push([String(input), init?.method]);
      return new Response(null, { status: 401 });
    };
    const findings = await registriesProbe.run(fakeContext('linux-16gib', { fetch }));
    expect(findings.map((f) => [f.id, f.status])).toEqual([
      ['registry.docker.io', 'ok'],
      ['registry.registry.k8s.io', 'ok'],
      ['registry.gcr.io', 'ok'],
    ]);
    expect(seen).toEqual([
      ['https://registry-1.docker.io/v2/', 'HEAD'],
      ['https://registry.k8s.io/v2/', 'HEAD'],
      ['https://gcr.io/v2/', 'HEAD'],
    ]);
  });

  it('warns with the mirror hint on a timeout or a DNS failure', async () => {
    const fetch: typeof globalThis.fetch = (input, init) =>
      String(input).includes('gcr.io')
        ? Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } }))
        : new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    const started = Date.now();
    const findings = await registriesProbe.run(fakeContext('linux-16gib', { fetch, networkTimeoutMs: 100 }));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(findings.map((f) => f.status)).toEqual(['warn', 'warn', 'warn']);
    expect(findings[0]?.message).toMatch(/no answer within 100ms/);
    expect(findings[2]?.message).toMatch(/ENOTFOUND/);
    expect(findings[0]?.fix).toMatch(/--registry-mirror/);
  });

  it('warns on a server error', async () => {
    const fetch: typeof globalThis.fetch = async () => new Response(null, { status: 503 });
    const [f] = await registriesProbe.run(fakeContext('linux-16gib', { fetch }));
    expect(f).toMatchObject({ status: 'warn', message: expect.stringMatching(/HTTP 503/) });
  });
});

describe('tools and clusters probes (fake executables on PATH)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kindlab-doctor-tools-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports matching, mismatched and missing tools', async () => {
    await writeExe(join(dir, 'kind'), fakeTool('kind v0.33.0 go1.25.1 linux/amd64'));
    await writeExe(join(dir, 'kubectl'), fakeTool(JSON.stringify({ clientVersion: { gitVersion: 'v1.31.0' } })));
    const ctx = fakeContext('linux-16gib', {
      runner: createProcessRunner(),
      env: { PATH: dir, HOME: dir },
      paths: { state: join(dir, 'state'), cache: join(dir, 'cache') },
      lab: lab({ addons: ['istio'] }),
    });
    const findings = await toolsProbe.run(ctx);
    expect(findings.map((f) => [f.id, f.status])).toEqual([
      ['tools.kind', 'ok'],
      ['tools.kubectl', 'warn'],
      ['tools.istioctl', 'warn'],
    ]);
    expect(findings[0]?.message).toBe(`on PATH at ${join(dir, 'kind')}`);
    expect(findings[1]?.message).toBe(`${join(dir, 'kubectl')} is version 1.31.0; kindlab will download v1.35.8 when a lab first needs it`);
    expect(findings[2]?.message).toMatch(/^not on PATH; kindlab will download 1\.31\.1/);
  });

  it('counts a tool already in the cache as ok', async () => {
    const cache = join(dir, 'cache');
    await writeExe(join(cache, 'tools/kind/v0.33.0/linux-amd64/kind'), fakeTool('kind v0.33.0'));
    const ctx = fakeContext('linux-16gib', { env: { PATH: join(dir, 'empty') }, paths: { state: dir, cache }, lab: lab() });
    const [kind] = await toolsProbe.run(ctx);
    expect(kind).toMatchObject({ id: 'tools.kind', status: 'ok', message: "in kindlab's cache" });
  });

  it("warns about other labs' clusters but not this lab's own", async () => {
    await writeExe(join(dir, 'kind'), '#!/bin/sh\nexit 0\n');
    const runner = fakeRunner({
      docker: dockerInfoFixture('linux-16gib'),
      kind: { stdout: 'kindlab-lab1\nkindlab-lab1-east\nkindlab-istio-mc-west\nkindlab-lab12\nmy-own-cluster\n' },
    });
    const [f] = await clustersProbe.run(fakeContext('linux-16gib', { runner, env: { PATH: dir }, lab: lab() }));
    expect(f).toMatchObject({ status: 'warn', message: '2 kind clusters from other labs still running: kindlab-istio-mc-west, kindlab-lab12' });
    expect(f?.fix).toMatch(/kind delete cluster --name kindlab-istio-mc-west/);
    expect(runner.calls.find((c) => c.command.endsWith('kind'))?.args).toEqual(['get', 'clusters']);
  });

  it('is ok with no leftovers and skips without kind or Docker', async () => {
    await writeExe(join(dir, 'kind'), '#!/bin/sh\nexit 0\n');
    const runner = fakeRunner({ kind: { stdout: '', stderr: 'No kind clusters found.\n' } });
    expect((await clustersProbe.run(fakeContext('linux-16gib', { runner, env: { PATH: dir } })))[0]?.status).toBe('ok');
    expect((await clustersProbe.run(fakeContext('linux-16gib', { env: { PATH: join(dir, 'none') } })))[0]?.status).toBe('skip');
    expect((await clustersProbe.run(fakeContext('daemon-down', { env: { PATH: dir } })))[0]?.status).toBe('skip');
  });
});
