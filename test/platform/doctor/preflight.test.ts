/** `doctor --lab` and the preflight of `start` give one verdict, because they are one function. */
import { describe, expect, it } from 'vitest';
import { renderFindings } from '../../../src/platform/doctor/index.js';
import { checkLab, checkLabs, LAB_PROBE_IDS, labProbes, machineProbes } from '../../../src/platform/doctor/preflight.js';
import type { DoctorContext } from '../../../src/platform/doctor/types.js';
import { fakeContext, lab } from './fakes.js';

/** /proc with Ubuntu's default inotify limits (8192 watches, 128 instances). */
const lowInotify = (p: string) => {
  if (p.endsWith('max_user_watches')) return Promise.resolve('8192\n');
  if (p.endsWith('max_user_instances')) return Promise.resolve('128\n');
  return Promise.reject(Object.assign(new Error('ENOENT'), { code: 'ENOENT' }));
};

const machines: Array<[string, () => DoctorContext]> = [
  ['low inotify limits', () => fakeContext('linux-16gib', { fs: { readFile: lowInotify, freeBytes: async () => 100 * 1024 ** 3 } })],
  ['4 GiB Docker Desktop', () => fakeContext('docker-desktop-4gib', { platform: 'darwin', hostArch: 'arm64' })],
  ['Docker not running', () => fakeContext('daemon-down')],
  ['a roomy Linux host', () => fakeContext('linux-16gib', { fs: { readFile: async () => '1048576\n', freeBytes: async () => 100 * 1024 ** 3 } })],
];

describe('one preflight for doctor and start', () => {
  it('checks inotify, disk, ports, tools and leftovers per lab: they depend on the lab', () => {
    expect([...LAB_PROBE_IDS].sort()).toEqual(['clusters', 'disk', 'docker.resources', 'inotify', 'ports', 'tools']);
    expect(labProbes.map((p) => p.id)).toContain('inotify');
    expect(machineProbes.map((p) => p.id)).not.toContain('inotify');
  });

  it('a three-node lab on a host with default inotify limits is not ready, in doctor as in start', async () => {
    const ctx = machines[0]![1]();
    const three = lab({ requires: { memoryGiB: 2, cpus: 2 }, clusters: [{ workers: 2 }] });
    const doctor = await checkLabs([three], { context: ctx });
    const start = await checkLab({ lab: three, context: ctx });
    expect(doctor.labs[0]?.ready).toBe(false);
    expect(start.ready).toBe(false);
    expect(doctor.labs[0]?.lab.filter((f) => f.status === 'fail').map((f) => f.id)).toEqual(['inotify.max_user_watches', 'inotify.max_user_instances']);
    // The machine part doctor prints once says nothing about inotify: that belongs to the lab.
    expect(doctor.machine.some((f) => f.id.startsWith('inotify'))).toBe(false);
  });

  it.each(machines)('%s: the verdict per lab is the same through doctor and through the preflight', async (_, make) => {
    for (const l of [lab(), lab({ id: 'tiny', requires: { memoryGiB: 1, cpus: 1 }, clusters: [{}] })]) {
      const doctor = await checkLabs([l], { context: make() });
      const start = await checkLab({ lab: l, context: make() });
      expect(doctor.labs[0]?.ready, l.id).toBe(start.ready);
      expect(doctor.labs[0]?.lab.map((f) => [f.id, f.status])).toEqual(start.lab.map((f) => [f.id, f.status]));
    }
  });

  it('renders without the closing tally when asked, for callers with their own summary', () => {
    const text = renderFindings([{ id: 'x', title: 'X', status: 'warn', message: 'm', fix: 'f' }], { color: false, json: false, summary: false });
    expect(text).toBe('WARN X: m\n     → f\n');
  });
});
