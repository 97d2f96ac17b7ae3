import { describe, expect, it } from 'vitest';
import { applyMirrors, hostsTomlPath, renderHostsToml, validateMirrors } from '../../../src/platform/addons/mirrors.js';
import { FakeRunner } from '../kind/fakes.js';

describe('hosts.toml for a registry mirror', () => {
  it('docker.io: mirror first, then the real Docker Hub API host as the fallback server', () => {
    expect(renderHostsToml('docker.io', 'https://mirror.example.com/')).toBe(
      [
        '# Written by kindlab: pull docker.io images through https://mirror.example.com/ first.',
        'server = "https://registry-1.docker.io"',
        '',
        '[host."https://mirror.example.com"]',
        '  capabilities = ["pull", "resolve"]',
        '',
      ].join('\n'),
    );
  });

  it('other registries fall back to themselves; _default has no single upstream', () => {
    expect(renderHostsToml('registry.k8s.io', 'http://10.0.0.5:5000')).toContain('server = "https://registry.k8s.io"\n\n[host."http://10.0.0.5:5000"]');
    expect(renderHostsToml('_default', 'https://cache.lan')).not.toContain('server =');
  });

  it('is written under the upstream registry name', () => {
    expect(hostsTomlPath('quay.io')).toBe('/etc/containerd/certs.d/quay.io/hosts.toml');
    expect(hostsTomlPath('localhost:5001')).toBe('/etc/containerd/certs.d/localhost:5001/hosts.toml');
  });

  it('rejects keys that are not registry hosts and mirrors that are not http(s) URLs', () => {
    expect(() => validateMirrors({ 'docker.io': 'https://m.example' })).not.toThrow();
    expect(() => validateMirrors({ 'https://docker.io': 'https://m.example' })).toThrow(/not a registry host/);
    expect(() => validateMirrors({ 'docker.io': 'mirror.example' })).toThrow(/must be a URL/);
    expect(() => validateMirrors({ 'docker.io': 'ftp://mirror.example' })).toThrow(/http\(s\) URL/);
  });

  it('refuses a mirror with a newline, which the URL parser drops but hosts.toml would take as a line of its own', () => {
    const sneaky = 'https://m.example/a\n[host."https://evil.example"]\n  capabilities = ["pull", "resolve"]';
    expect(() => validateMirrors({ 'docker.io': sneaky })).toThrow('registry mirror for docker.io must be a URL without spaces or control characters');
    expect(() => validateMirrors({ 'docker.io': "https://m.example/$(id);'" })).not.toThrow();
    expect(renderHostsToml('docker.io', sneaky).split('\n').filter((l) => l.startsWith('[host.'))).toEqual(['[host."https://m.example/a\\n[host.\\"https://evil.example\\"]\\n  capabilities = [\\"pull\\", \\"resolve\\"]"]']);
  });
});

describe('applyMirrors', () => {
  it('writes every registry into every node with docker exec, text on stdin, path as an argument', async () => {
    const runner = new FakeRunner();
    await applyMirrors(['kindlab-x-control-plane', 'kindlab-x-worker'], { 'docker.io': 'https://m.example', 'quay.io': 'https://q.example' }, {
      docker: '/usr/bin/docker',
      runner,
    });
    expect(runner.calls).toHaveLength(4);
    const call = runner.find('kindlab-x-worker', 'quay.io')[0];
    expect(call?.command).toBe('/usr/bin/docker');
    expect(call?.args).toEqual([
      'exec',
      '-i',
      'kindlab-x-worker',
      'sh',
      '-c',
      'mkdir -p "$(dirname "$1")" && cat > "$1"',
      'kindlab',
      '/etc/containerd/certs.d/quay.io/hosts.toml',
    ]);
    expect(call?.opts.input).toBe(renderHostsToml('quay.io', 'https://q.example'));
  });

  it('does nothing without mirrors', async () => {
    const runner = new FakeRunner();
    await applyMirrors(['n1'], {}, { docker: 'docker', runner });
    expect(runner.calls).toHaveLength(0);
  });

  it('fails naming the phase and the command output', async () => {
    const runner = new FakeRunner().when('exec', { exitCode: 1, stderr: 'Error: No such container: n1' });
    await expect(applyMirrors(['n1'], { 'docker.io': 'https://m.example' }, { docker: 'docker', runner })).rejects.toMatchObject({
      message: expect.stringMatching(/^Configuring registry mirrors: /),
      details: expect.arrayContaining(['  Error: No such container: n1']),
    });
  });
});
