import { describe, expect, it } from 'vitest';
import { blockingFindings, defaultProbes, doctorExitCode, renderFindings, runDoctor, type Finding, type Probe } from '../../../src/platform/doctor/index.js';
import { fakeContext, lab } from './fakes.js';

const sample: Finding[] = [
  { id: 'docker', title: 'Docker', status: 'ok', message: 'Docker 28.5.1 is running' },
  { id: 'docker.memory', title: 'Docker memory', status: 'fail', message: 'Docker has 3.8 GiB of memory; lab "lab1" needs 8 GiB', fix: 'Raise it.' },
  { id: 'inotify', title: 'inotify limits', status: 'warn', message: '8192', fix: 'sysctl', details: ['read from /proc'] },
  { id: 'ports', title: 'Host ports', status: 'skip', message: 'no lab selected' },
];

describe('runDoctor', () => {
  it('runs every default probe against a context and keeps their order', async () => {
    const ctx = fakeContext('docker-desktop-4gib', { platform: 'darwin', hostArch: 'arm64', fetch: async () => new Response(null, { status: 401 }) });
    const findings = await runDoctor({ lab: lab(), context: ctx });
    const ids = findings.map((f) => f.id);
    expect(ids.slice(0, 3)).toEqual(['docker', 'docker.memory', 'docker.cpus']);
    expect(ids).toContain('inotify');
    expect(ids).toContain('registry.gcr.io');
    expect(blockingFindings(findings).map((f) => f.id)).toEqual(['docker.memory']);
    expect(doctorExitCode(findings)).toBe(3);
    expect(defaultProbes.length).toBeGreaterThan(8);
  });

  it('turns a crashing probe into a warning instead of losing the report', async () => {
    const broken: Probe = {
      id: 'broken',
      title: 'Broken check',
      run: async () => {
        throw new Error('boom');
      },
    };
    const ok: Probe = { id: 'fine', title: 'Fine', run: async () => [{ id: 'fine', title: 'Fine', status: 'ok', message: 'yes' }] };
    const findings = await runDoctor({ probes: [broken, ok], context: fakeContext('linux-16gib') });
    expect(findings).toEqual([
      { id: 'broken', title: 'Broken check', status: 'warn', message: 'this check could not run: boom' },
      { id: 'fine', title: 'Fine', status: 'ok', message: 'yes' },
    ]);
    expect(doctorExitCode(findings)).toBe(0);
  });

  it('fails the daemon-down case and skips what depends on Docker', async () => {
    const findings = await runDoctor({ context: fakeContext('daemon-down') });
    const byId = Object.fromEntries(findings.map((f) => [f.id, f.status]));
    expect(byId).toMatchObject({ docker: 'fail', 'docker.memory': 'skip', 'docker.runtime': 'skip', arch: 'skip', clusters: 'skip' });
  });
});

describe('renderFindings', () => {
  it('prints words without colour', () => {
    expect(renderFindings(sample, { color: false, json: false })).toBe(
      [
        'OK   Docker: Docker 28.5.1 is running',
        'FAIL Docker memory: Docker has 3.8 GiB of memory; lab "lab1" needs 8 GiB',
        '     → Raise it.',
        'WARN inotify limits: 8192',
        '     read from /proc',
        '     → sysctl',
        'SKIP Host ports: no lab selected',
        '',
        '1 ok, 1 warning, 1 failed',
        '',
      ].join('\n'),
    );
  });

  it('prints coloured symbols when colour is on', () => {
    const out = renderFindings(sample, { color: true, json: false });
    expect(out).toContain('\u001b[32m✓\u001b[39m Docker');
    expect(out).toContain('\u001b[31m✗\u001b[39m Docker memory');
    expect(out).toContain('\u001b[33m!\u001b[39m inotify');
    expect(out).not.toContain('FAIL');
  });

  it('emits JSON data', () => {
    expect(JSON.parse(renderFindings(sample, { color: true, json: true }))).toEqual(sample);
  });
});
