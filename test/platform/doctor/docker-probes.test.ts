import { describe, expect, it } from 'vitest';
import { archProbe } from '../../../src/platform/doctor/probes/arch.js';
import { dockerProbe } from '../../../src/platform/doctor/probes/docker.js';
import { resourcesProbe } from '../../../src/platform/doctor/probes/resources.js';
import { runtimeProbe } from '../../../src/platform/doctor/probes/runtime.js';
import { fakeContext, lab } from './fakes.js';

describe('docker probe', () => {
  it('is ok with a running daemon', async () => {
    const [f] = await dockerProbe.run(fakeContext('linux-16gib'));
    expect(f).toMatchObject({ id: 'docker', status: 'ok', message: 'Docker 28.5.1 is running (Ubuntu 24.04.3 LTS, x86_64)' });
  });

  it.each([
    ['cli-missing', 'linux', /not found on PATH/, /Install Docker Engine/],
    ['cli-missing', 'darwin', /not found on PATH/, /Docker Desktop/],
    ['daemon-down', 'linux', /daemon is not running/, /systemctl start docker/],
    ['daemon-down', 'darwin', /daemon is not running/, /Start Docker Desktop/],
    ['permission-denied', 'linux', /not allowed/, /usermod -aG docker/],
  ] as const)('%s on %s fails with a fix', async (fixture, platform, message, fix) => {
    const [f] = await dockerProbe.run(fakeContext(fixture, { platform }));
    expect(f?.status).toBe('fail');
    expect(f?.message).toMatch(message);
    expect(f?.fix).toMatch(fix);
  });
});

describe('resources probe', () => {
  it('fails Docker Desktop with 4 GiB for an 8 GiB lab, with the numbers and the Desktop setting', async () => {
    const [mem, cpu] = await resourcesProbe.run(fakeContext('docker-desktop-4gib', { lab: lab() }));
    expect(mem).toMatchObject({ id: 'docker.memory', status: 'fail', message: 'Docker has 3.8 GiB of memory; lab "lab1" needs 8 GiB' });
    expect(mem?.fix).toMatch(/Docker Desktop → Settings → Resources → Memory: set at least 10 GiB/);
    expect(cpu).toMatchObject({ id: 'docker.cpus', status: 'ok', message: 'Docker has 4 CPUs; lab "lab1" needs 4' });
  });

  it('passes a 16 GiB Linux host for an 8 GiB lab', async () => {
    const [mem, cpu] = await resourcesProbe.run(fakeContext('linux-16gib', { lab: lab() }));
    expect(mem?.status).toBe('ok');
    expect(cpu?.status).toBe('ok');
  });

  it('warns inside the margin and fails below the requirement (multi-cluster Istio sizes)', async () => {
    // 16 GiB nominal reports 15.5 GiB: enough for 14 (with margin), tight for 15, too little for 17.
    const status = async (memoryGiB: number) => (await resourcesProbe.run(fakeContext('linux-16gib', { lab: lab({ requires: { memoryGiB, cpus: 4 } }) })))[0]?.status;
    expect(await status(12)).toBe('ok');
    expect(await status(15)).toBe('warn');
    expect(await status(16)).toBe('warn');
    expect(await status(17)).toBe('fail');
  });

  it('tolerates a VM sized exactly to the requirement (reported memory is a little lower)', async () => {
    const [mem] = await resourcesProbe.run(fakeContext('docker-desktop-4gib', { lab: lab({ requires: { memoryGiB: 4, cpus: 2 } }) }));
    expect(mem?.status).toBe('warn');
  });

  it('fails too few CPUs with the WSL2 setting as the fix', async () => {
    const [, cpu] = await resourcesProbe.run(fakeContext('linux-16gib', { lab: lab({ requires: { memoryGiB: 8, cpus: 12 } }), env: { WSL_DISTRO_NAME: 'Ubuntu' } }));
    expect(cpu).toMatchObject({ status: 'fail', message: 'Docker has 8 CPUs; lab "lab1" needs 12' });
    expect(cpu?.fix).toMatch(/processors=12.*wslconfig/);
  });

  it('without a lab, says which labs fit, from their front matter `requires`', async () => {
    const labs = [
      { id: 'small', requires: { memoryGiB: 3, cpus: 2 } },
      { id: 'istio', requires: { memoryGiB: 8, cpus: 4 } },
      { id: 'multi', requires: { memoryGiB: 12, cpus: 4 } },
    ];
    const [mem, cpu] = await resourcesProbe.run(fakeContext('docker-desktop-4gib', { labs }));
    expect(mem).toMatchObject({ status: 'warn', message: 'Docker has 3.8 GiB of memory; the labs need 3–12 GiB: enough for 1 of 3; not for istio (8 GiB), multi (12 GiB)' });
    expect(mem?.fix).toContain('at least 12 GiB');
    expect(cpu?.message).toMatch(/^Docker has \d+ CPUs; the labs need 2–4: enough for/);
    const [none] = await resourcesProbe.run(fakeContext('docker-desktop-4gib', { labs: labs.slice(1) }));
    expect(none?.status).toBe('fail');
    const [all] = await resourcesProbe.run(fakeContext('linux-16gib', { labs }));
    expect(all).toMatchObject({ status: 'ok', message: 'Docker has 15.5 GiB of memory; the labs need 3–12 GiB: enough for 3 of 3' });
  });

  it('without a lab or labs to compare with, skips instead of inventing a requirement', async () => {
    const [mem] = await resourcesProbe.run(fakeContext('docker-desktop-4gib'));
    expect(mem).toMatchObject({ status: 'skip' });
  });

  it('skips when Docker is unreachable', async () => {
    const findings = await resourcesProbe.run(fakeContext('daemon-down', { lab: lab() }));
    expect(findings.map((f) => [f.id, f.status])).toEqual([
      ['docker.memory', 'skip'],
      ['docker.cpus', 'skip'],
    ]);
  });
});

describe('runtime probe', () => {
  it('accepts rootless Docker on cgroup v2', async () => {
    const [f] = await runtimeProbe.run(fakeContext('rootless'));
    expect(f).toMatchObject({ status: 'ok', message: expect.stringMatching(/^rootless Docker, cgroup v2/) });
  });

  it('warns about cgroup v1 and fails it for rootless Docker', async () => {
    const v1 = (rootless: boolean) =>
      fakeContext('linux-16gib', {
        docker: async () => ({ state: 'ok', info: { ...(baseInfo()), cgroupVersion: '1', rootless } }),
      });
    expect((await runtimeProbe.run(v1(false)))[0]?.status).toBe('warn');
    expect((await runtimeProbe.run(v1(true)))[0]).toMatchObject({ status: 'fail', message: expect.stringMatching(/cgroup v2/) });
  });
});

describe('arch probe', () => {
  it('is ok when host and daemon agree', async () => {
    const [f] = await archProbe.run(fakeContext('docker-desktop-4gib', { hostArch: 'arm64', platform: 'darwin' }));
    expect(f).toMatchObject({ status: 'ok', message: expect.stringMatching(/^arm64/) });
  });

  it('warns when DOCKER_DEFAULT_PLATFORM forces amd64 on an arm64 Docker', async () => {
    const findings = await archProbe.run(fakeContext('docker-desktop-4gib', { hostArch: 'arm64', platform: 'darwin', env: { DOCKER_DEFAULT_PLATFORM: 'linux/amd64' } }));
    const forced = findings.find((f) => f.id === 'arch.default-platform');
    expect(forced).toMatchObject({ status: 'warn', message: expect.stringMatching(/forces amd64 images on an arm64 Docker/) });
    expect(forced?.fix).toMatch(/unset DOCKER_DEFAULT_PLATFORM/);
  });

  it('warns when Docker itself runs emulated', async () => {
    const findings = await archProbe.run(fakeContext('linux-16gib', { hostArch: 'arm64' }));
    expect(findings).toEqual([expect.objectContaining({ id: 'arch', status: 'warn', message: expect.stringMatching(/this machine is arm64 but Docker runs amd64/) })]);
  });
});

function baseInfo() {
  return {
    serverVersion: '28.5.1',
    memTotalBytes: 16 * 1024 ** 3,
    cpus: 8,
    osType: 'linux',
    architecture: 'x86_64',
    cgroupVersion: '2',
    cgroupDriver: 'systemd',
    rootless: false,
    operatingSystem: 'Ubuntu',
    dockerDesktop: false,
    dockerRootDir: '/var/lib/docker',
    kernelVersion: '6.8',
    securityOptions: [],
    warnings: [],
  };
}
