import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tryBind } from '../../../src/platform/doctor/context.js';
import { diskProbe } from '../../../src/platform/doctor/probes/disk.js';
import { inotifyProbe } from '../../../src/platform/doctor/probes/inotify.js';
import { portsProbe } from '../../../src/platform/doctor/probes/ports.js';
import { dockerInfoFixture, fakeContext, fakeRunner, lab } from './fakes.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kindlab-doctor-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A fake /proc with the two inotify sysctls. */
async function fakeProc(watches: string, instances: string): Promise<string> {
  const proc = join(dir, 'proc');
  await mkdir(join(proc, 'sys/fs/inotify'), { recursive: true });
  await writeFile(join(proc, 'sys/fs/inotify/max_user_watches'), watches);
  await writeFile(join(proc, 'sys/fs/inotify/max_user_instances'), instances);
  return proc;
}

const realFs = { readFile: (p: string) => readFile(p, 'utf8'), freeBytes: async () => 0 };

describe('inotify probe', () => {
  it('passes the recommended limits', async () => {
    const ctx = fakeContext('linux-16gib', { procRoot: await fakeProc('524288\n', '8192\n'), fs: realFs, lab: lab() });
    expect((await inotifyProbe.run(ctx)).map((f) => [f.id, f.status, f.message])).toEqual([
      ['inotify.max_user_watches', 'ok', '524288 (≥ 524288)'],
      ['inotify.max_user_instances', 'ok', '8192 (≥ 512)'],
    ]);
  });

  it('fails Ubuntu defaults for a multi-node lab, with the sysctl fix', async () => {
    const ctx = fakeContext('linux-16gib', { procRoot: await fakeProc('8192\n', '128\n'), fs: realFs, lab: lab({ clusters: [{ workers: 2 }] }) });
    const findings = await inotifyProbe.run(ctx);
    expect(findings.map((f) => f.status)).toEqual(['fail', 'fail']);
    expect(findings[0]?.message).toBe('8192, below the 524288 kind recommends for a lab with 3 nodes');
    expect(findings[0]?.fix).toContain('sudo sysctl fs.inotify.max_user_watches=524288');
    expect(findings[1]?.fix).toContain('sudo sysctl fs.inotify.max_user_instances=512');
  });

  it('only warns for a single-node lab', async () => {
    const ctx = fakeContext('linux-16gib', { procRoot: await fakeProc('8192', '128'), fs: realFs, lab: lab({ clusters: [{}] }) });
    expect((await inotifyProbe.run(ctx)).map((f) => f.status)).toEqual(['warn', 'warn']);
  });

  it('counts explicit nodes across clusters', async () => {
    const clusters = [
      { name: 'east', nodes: [{ role: 'control-plane' as const }] },
      { name: 'west', nodes: [{ role: 'control-plane' as const }] },
    ];
    const ctx = fakeContext('linux-16gib', { procRoot: await fakeProc('8192', '512'), fs: realFs, lab: lab({ clusters }) });
    expect((await inotifyProbe.run(ctx)).map((f) => f.status)).toEqual(['fail', 'ok']);
  });

  it('skips on Docker Desktop and non-Linux hosts, saying how to check', async () => {
    for (const ctx of [fakeContext('docker-desktop-4gib'), fakeContext('linux-16gib', { platform: 'darwin' })]) {
      const [f] = await inotifyProbe.run(ctx);
      expect(f?.status).toBe('skip');
      expect(f?.fix).toMatch(/docker run --rm alpine cat \/proc\/sys\/fs\/inotify/);
    }
  });

  it('skips a limit it cannot read', async () => {
    const ctx = fakeContext('linux-16gib', { procRoot: join(dir, 'nothing-here'), fs: realFs });
    expect((await inotifyProbe.run(ctx)).map((f) => f.status)).toEqual(['skip', 'skip']);
  });
});

describe('ports probe', () => {
  let busy: Server;
  let busyPort: number;
  beforeEach(async () => {
    busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    busyPort = (busy.address() as AddressInfo).port;
  });
  afterEach(async () => {
    await new Promise<void>((r) => busy.close(() => r()));
  });

  /** A port that was free a moment ago (bound and released by the OS). */
  async function freePort(): Promise<number> {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  }

  const labMapping = (...ports: number[]) =>
    lab({
      clusters: [
        {
          nodes: [
            {
              role: 'control-plane',
              portMappings: ports.map((p) => ({ containerPort: 30000 + (p % 1000), hostPort: p, listenAddress: '127.0.0.1', protocol: 'TCP' as const })),
            },
          ],
        },
      ],
    });

  it('fails a port another program listens on, naming it, and passes a free one', async () => {
    const free = await freePort();
    const ctx = fakeContext('linux-16gib', { lab: labMapping(busyPort, free), net: { tryBind } });
    const findings = await portsProbe.run(ctx);
    expect(findings[0]).toMatchObject({ id: 'ports', status: 'ok', message: `free: 127.0.0.1:${free}` });
    expect(findings[1]).toMatchObject({ id: `ports.${busyPort}`, status: 'fail', message: `127.0.0.1:${busyPort} is already in use` });
    expect(findings[1]?.fix).toContain(`lsof -nP -iTCP:${busyPort}`);
  });

  it("names the container holding a port, and accepts the lab's own node", async () => {
    const runner = (holder: string) => fakeRunner({ docker: (args) => (args[0] === 'ps' ? { stdout: `${holder}\n` } : dockerInfoFixture('linux-16gib')) });
    const other = await portsProbe.run(fakeContext('linux-16gib', { lab: labMapping(busyPort), net: { tryBind }, runner: runner('kindlab-lab2-control-plane') }));
    expect(other[0]).toMatchObject({ status: 'fail', message: `127.0.0.1:${busyPort} is already in use by container kindlab-lab2-control-plane` });
    const own = await portsProbe.run(fakeContext('linux-16gib', { lab: labMapping(busyPort), net: { tryBind }, runner: runner('kindlab-lab1-control-plane') }));
    expect(own[0]).toMatchObject({ status: 'ok', message: expect.stringMatching(/this lab's own node/) });
  });

  it('reports privileged ports as untestable for rootful Docker and failing for rootless Docker', async () => {
    const denied = { tryBind: async () => ({ ok: false as const, code: 'EACCES', message: 'permission denied' }) };
    const rootful = await portsProbe.run(fakeContext('linux-16gib', { lab: labMapping(80), net: denied }));
    expect(rootful[0]?.status).toBe('skip');
    const rootless = await portsProbe.run(fakeContext('rootless', { lab: labMapping(80), net: denied }));
    expect(rootless[0]).toMatchObject({ status: 'fail', message: expect.stringMatching(/below 1024 are privileged/) });
    expect(rootless[0]?.fix).toMatch(/ip_unprivileged_port_start=80/);
  });

  it('skips when the lab maps no ports', async () => {
    expect((await portsProbe.run(fakeContext('linux-16gib', { lab: lab() })))[0]?.status).toBe('skip');
  });
});

describe('disk probe', () => {
  const GiB = 1024 ** 3;
  const withFree = (bytes: number, seen: string[] = []) => ({
    readFile: async () => '',
    freeBytes: async (p: string) => {
      seen.push(p);
      return bytes;
    },
  });

  it("measures Docker's root dir on a Linux engine", async () => {
    const seen: string[] = [];
    const [f] = await diskProbe.run(fakeContext('linux-16gib', { fs: withFree(40 * GiB, seen), lab: lab() }));
    expect(seen).toEqual(['/var/lib/docker']);
    expect(f).toMatchObject({ status: 'ok', message: `40.0 GiB free on /var/lib/docker (Docker's data); lab "lab1" needs about 10 GiB` });
  });

  it('measures the state dir with Docker Desktop and says why', async () => {
    const seen: string[] = [];
    const [f] = await diskProbe.run(fakeContext('docker-desktop-4gib', { fs: withFree(12 * GiB, seen) }));
    expect(seen).toEqual(['/state/kindlab']);
    expect(f?.status).toBe('warn');
    expect(f?.details?.[0]).toMatch(/docker system df/);
  });

  it('fails below the lab requirement', async () => {
    const [f] = await diskProbe.run(fakeContext('linux-16gib', { fs: withFree(5 * GiB), lab: lab({ requires: { memoryGiB: 8, cpus: 4, diskGiB: 20 } }) }));
    expect(f).toMatchObject({ status: 'fail', message: expect.stringMatching(/5\.0 GiB free .* needs about 20 GiB/) });
    expect(f?.fix).toMatch(/docker system prune/);
  });

  it('walks up to an existing directory', async () => {
    const seen: string[] = [];
    const fs = {
      readFile: async () => '',
      freeBytes: async (p: string) => {
        seen.push(p);
        if (p !== '/') throw new Error('ENOENT');
        return 50 * GiB;
      },
    };
    const [f] = await diskProbe.run(fakeContext('docker-desktop-4gib', { fs }));
    expect(seen).toEqual(['/state/kindlab', '/state', '/']);
    expect(f?.status).toBe('ok');
  });
});
