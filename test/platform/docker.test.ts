import { describe, expect, it } from 'vitest';
import { createDocker, parseDockerInfo } from '../../src/platform/docker.js';
import { dockerInfoFixture, fakeRunner } from './doctor/fakes.js';

describe('parseDockerInfo', () => {
  it('reads Docker Desktop', () => {
    const s = parseDockerInfo(dockerInfoFixture('docker-desktop-4gib'));
    expect(s.state).toBe('ok');
    if (s.state !== 'ok') return;
    expect(s.info).toMatchObject({
      dockerDesktop: true,
      memTotalBytes: 4109217792,
      cpus: 4,
      architecture: 'aarch64',
      cgroupVersion: '2',
      rootless: false,
      serverVersion: '28.3.2',
    });
  });

  it('reads a Linux engine', () => {
    const s = parseDockerInfo(dockerInfoFixture('linux-16gib'));
    expect(s).toMatchObject({ state: 'ok', info: { dockerDesktop: false, cpus: 8, architecture: 'x86_64', dockerRootDir: '/var/lib/docker' } });
  });

  it('recognises rootless mode from SecurityOptions', () => {
    const s = parseDockerInfo(dockerInfoFixture('rootless'));
    expect(s).toMatchObject({ state: 'ok', info: { rootless: true, warnings: ['WARNING: No io.max support'] } });
  });

  it.each([
    ['daemon-down', 'daemon-down', /Cannot connect to the Docker daemon/],
    ['daemon-down-servererrors', 'daemon-down', /Is the docker daemon running/],
    ['permission-denied', 'permission-denied', /permission denied/],
    ['cli-missing', 'cli-missing', /docker: command not found/],
  ] as const)('%s → %s', (fixture, state, message) => {
    const s = parseDockerInfo(dockerInfoFixture(fixture));
    expect(s.state).toBe(state);
    expect('message' in s ? s.message : '').toMatch(message);
  });

  it('is not fooled by shell profile noise on stderr', () => {
    const s = parseDockerInfo({
      exitCode: 1,
      stdout: '',
      stderr: '/root/.bashrc: line 21: pyenv: command not found\npermission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock\n',
    });
    expect(s).toEqual({ state: 'permission-denied', message: expect.stringMatching(/^permission denied while/) });
  });

  it('treats zero-valued server fields as unreachable even with exit code 0', () => {
    expect(parseDockerInfo({ exitCode: 0, stdout: '{"ID":"","NCPU":0,"ServerVersion":""}', stderr: 'error during connect: this error may indicate that the docker daemon is not running' }).state).toBe('daemon-down');
  });
});

describe('createDocker', () => {
  it('lists containers by label with parsed labels', async () => {
    const runner = fakeRunner({
      docker: {
        stdout: [
          JSON.stringify({ ID: 'abc123', Names: 'kindlab-lab1-control-plane', Image: 'kindest/node:v1.35.8', State: 'running', Status: 'Up 2 minutes', Labels: 'io.x-k8s.kind.cluster=kindlab-lab1,io.x-k8s.kind.role=control-plane' }),
          JSON.stringify({ ID: 'def456', Names: 'kindccm-1a2b', Image: 'envoyproxy/envoy:v1.33.2', State: 'exited', Status: 'Exited (0)', Labels: '' }),
          '',
        ].join('\n'),
      },
    });
    const docker = createDocker(runner, { PATH: '/usr/bin' });
    const list = await docker.listContainers({ label: 'io.x-k8s.kind.cluster' });
    expect(runner.calls[0]?.args).toEqual(['ps', '--all', '--no-trunc', '--filter', 'label=io.x-k8s.kind.cluster', '--format', '{{json .}}']);
    expect(list).toEqual([
      { id: 'abc123', name: 'kindlab-lab1-control-plane', image: 'kindest/node:v1.35.8', state: 'running', status: 'Up 2 minutes', labels: { 'io.x-k8s.kind.cluster': 'kindlab-lab1', 'io.x-k8s.kind.role': 'control-plane' } },
      { id: 'def456', name: 'kindccm-1a2b', image: 'envoyproxy/envoy:v1.33.2', state: 'exited', status: 'Exited (0)', labels: {} },
    ]);
  });

  it('throws a KindlabError naming the command when listing fails', async () => {
    const docker = createDocker(fakeRunner({ docker: { exitCode: 1, stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock.' } }), {});
    await expect(docker.listContainers({ label: 'x' })).rejects.toMatchObject({ kind: 'environment', message: /Cannot connect/, details: [expect.stringMatching(/^command: docker ps/)] });
  });

  it('removes containers, treating already-gone ones as removed', async () => {
    const runner = fakeRunner({ docker: { exitCode: 1, stdout: 'abc123\n', stderr: 'Error response from daemon: No such container: def456\n' } });
    const docker = createDocker(runner, {});
    expect(await docker.removeContainers(['abc123', 'def456'])).toEqual(['abc123', 'def456']);
    expect(runner.calls[0]?.args).toEqual(['rm', '--force', 'abc123', 'def456']);
    expect(await docker.removeContainers([])).toEqual([]);
    expect(runner.calls).toHaveLength(1);
  });

  it('fails removal on other errors', async () => {
    const docker = createDocker(fakeRunner({ docker: { exitCode: 1, stderr: 'Error response from daemon: cannot remove container: device or resource busy\n' } }), {});
    await expect(docker.removeContainers(['abc123'])).rejects.toThrow(/device or resource busy/);
  });

  it('finds a container IP on a named network', async () => {
    const runner = fakeRunner({
      docker: (args) =>
        args.at(-1) === 'missing'
          ? { exitCode: 1, stderr: 'Error response from daemon: No such object: missing' }
          : { stdout: JSON.stringify({ kind: { IPAddress: '172.18.0.3', GlobalIPv6Address: 'fc00:f853:ccd:e793::3' }, bridge: { IPAddress: '' } }) },
    });
    const docker = createDocker(runner, {});
    expect(await docker.containerIP('kindlab-lab1-control-plane', 'kind')).toBe('172.18.0.3');
    expect(await docker.containerIP('kindlab-lab1-control-plane', 'bridge')).toBeUndefined();
    expect(await docker.containerIP('kindlab-lab1-control-plane', 'other')).toBeUndefined();
    expect(await docker.containerIP('missing', 'kind')).toBeUndefined();
  });
});
