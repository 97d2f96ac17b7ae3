import { describe, expect, it } from 'vitest';
import { KindlabError } from '../../../src/core/errors.js';
import { DEFAULT_SOURCES, TOOLS } from '../../../src/platform/tools/catalog.js';
import { hostPlatform } from '../../../src/platform/tools/host.js';
import { knownK8sVersions, pinWarnings, resolvePins } from '../../../src/platform/tools/versions.js';

describe('resolvePins', () => {
  it('defaults to the research pins with kubectl matching the node image', () => {
    const p = resolvePins();
    expect(p).toMatchObject({
      kind: 'v0.33.0',
      k8s: 'v1.35.8',
      nodeImage: 'kindest/node:v1.35.8@sha256:07b2536e30b803ed61d1677a79df6115f798ce64c80f9e22f6ed45afd09323c0',
      kubectl: 'v1.35.8',
      istio: '1.31.1',
      helm: 'v4.2.4',
      cloudProviderKind: 'v0.11.1',
      ingressNginx: { chart: '4.15.1', controller: 'v1.15.1' },
      metallb: 'v0.16.1',
      gatewayApi: 'v1.6.1',
    });
    expect(pinWarnings(p)).toEqual([]);
  });

  it('applies overrides, normalising the v prefix the way each project spells it', () => {
    const p = resolvePins({ istio: 'v1.30.4', k8s: '1.34.11', kind: '0.33.0', helm: '3.21.4' });
    expect(p.istio).toBe('1.30.4');
    expect(p.k8s).toBe('v1.34.11');
    expect(p.nodeImage).toContain('v1.34.11@sha256:44e222ee');
    expect(p.kubectl).toBe('v1.34.11');
    expect(p.kind).toBe('v0.33.0');
    expect(p.helm).toBe('v3.21.4');
  });

  it('accepts a bare minor for --k8s', () => {
    expect(resolvePins({ k8s: '1.36' }).k8s).toBe('v1.36.4');
  });

  it('rejects an unknown Kubernetes version, listing the known ones', () => {
    let err: unknown;
    try {
      resolvePins({ k8s: 'v1.33.2' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KindlabError);
    const k = err as KindlabError;
    expect(k.kind).toBe('usage');
    expect(k.message).toContain('v1.33.2');
    for (const v of knownK8sVersions()) expect(k.fix).toContain(v);
  });

  it('rejects a malformed version', () => {
    expect(() => resolvePins({ istio: 'latest' })).toThrow(/--istio latest/);
  });

  it('warns about combinations upstream does not support', () => {
    const w = pinWarnings(resolvePins({ k8s: 'v1.37.0', kubectl: 'v1.34.0', kind: 'v0.32.0' }));
    expect(w.join('\n')).toMatch(/digests are pinned for kind v0.33.0/);
    expect(w.join('\n')).toMatch(/kubectl v1.34.0 is 3 minor versions away/);
    expect(w.join('\n')).toMatch(/Istio 1.31.1 supports Kubernetes 1.32–1.36, not 1.37/);
  });
});

describe('release layouts', () => {
  const linux = { os: 'linux', arch: 'amd64' } as const;
  const mac = { os: 'darwin', arch: 'arm64' } as const;
  const intelMac = { os: 'darwin', arch: 'amd64' } as const;

  it('kind', () => {
    expect(TOOLS.kind.artifact('v0.33.0', mac, DEFAULT_SOURCES)).toEqual({
      url: 'https://kind.sigs.k8s.io/dl/v0.33.0/kind-darwin-arm64',
      checksumUrl: 'https://kind.sigs.k8s.io/dl/v0.33.0/kind-darwin-arm64.sha256sum',
      fileName: 'kind-darwin-arm64',
      format: 'binary',
    });
  });

  it('kubectl', () => {
    const a = TOOLS.kubectl.artifact('v1.35.8', linux, DEFAULT_SOURCES);
    expect(a.url).toBe('https://dl.k8s.io/release/v1.35.8/bin/linux/amd64/kubectl');
    expect(a.checksumUrl).toBe('https://dl.k8s.io/release/v1.35.8/bin/linux/amd64/kubectl.sha256');
    expect(TOOLS.kubectl.artifact('v1.35.8', { os: 'windows', arch: 'amd64' }, DEFAULT_SOURCES).url).toMatch(/windows\/amd64\/kubectl\.exe$/);
  });

  it.each([
    [linux, 'istio-1.31.1-linux-amd64.tar.gz'],
    [{ os: 'linux', arch: 'arm64' } as const, 'istio-1.31.1-linux-arm64.tar.gz'],
    [intelMac, 'istio-1.31.1-osx.tar.gz'],
    [mac, 'istio-1.31.1-osx-arm64.tar.gz'],
  ])('Istio for %o', (host, file) => {
    const a = TOOLS.istioctl.artifact('1.31.1', host, DEFAULT_SOURCES);
    expect(a.url).toBe(`https://github.com/istio/istio/releases/download/1.31.1/${file}`);
    expect(a.checksumUrl).toBe(`${a.url}.sha256`);
    expect(a.binaryInArchive).toBe('istio-1.31.1/bin/istioctl');
    expect(a.homeInArchive).toBe('istio-1.31.1');
  });

  it('helm', () => {
    const a = TOOLS.helm.artifact('v4.2.4', mac, DEFAULT_SOURCES);
    expect(a.url).toBe('https://get.helm.sh/helm-v4.2.4-darwin-arm64.tar.gz');
    expect(a.checksumUrl).toBe('https://get.helm.sh/helm-v4.2.4-darwin-arm64.tar.gz.sha256sum');
    expect(a.binaryInArchive).toBe('darwin-arm64/helm');
  });

  it('cloud-provider-kind', () => {
    const a = TOOLS.cloudProviderKind.artifact('v0.11.1', linux, DEFAULT_SOURCES);
    expect(a.url).toBe('https://github.com/kubernetes-sigs/cloud-provider-kind/releases/download/v0.11.1/cloud-provider-kind_0.11.1_linux_amd64.tar.gz');
    expect(a.checksumUrl).toBe('https://github.com/kubernetes-sigs/cloud-provider-kind/releases/download/v0.11.1/cloud-provider-kind_0.11.1_checksums.txt');
    expect(a.fileName).toBe('cloud-provider-kind_0.11.1_linux_amd64.tar.gz');
  });

  it('explains what cannot be fetched for native Windows', () => {
    const win = { os: 'windows', arch: 'amd64' } as const;
    const errorOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e as KindlabError;
      }
      throw new Error('expected a throw');
    };
    expect(errorOf(() => TOOLS.istioctl.artifact('1.31.1', win, DEFAULT_SOURCES))).toMatchObject({ kind: 'environment', message: /\.zip/, fix: /WSL2/ });
    expect(errorOf(() => TOOLS.helm.artifact('v4.2.4', win, DEFAULT_SOURCES)).fix).toMatch(/WSL2/);
    expect(errorOf(() => TOOLS.kind.artifact('v0.33.0', { os: 'windows', arch: 'arm64' }, DEFAULT_SOURCES)).message).toMatch(/windows\/arm64/);
  });

  it('maps Node platform names', () => {
    expect(hostPlatform('darwin', 'arm64')).toEqual({ os: 'darwin', arch: 'arm64' });
    expect(hostPlatform('win32', 'x64')).toEqual({ os: 'windows', arch: 'amd64' });
    expect(() => hostPlatform('linux', 'ia32')).toThrow(/linux\/ia32/);
  });
});

describe('version output parsing', () => {
  it.each([
    ['kind', 'kind v0.33.0 go1.25.1 linux/amd64\n', '0.33.0'],
    ['kubectl', JSON.stringify({ clientVersion: { major: '1', minor: '35', gitVersion: 'v1.35.8' }, kustomizeVersion: 'v5.7.1' }), '1.35.8'],
    ['istioctl', JSON.stringify({ clientVersion: { version: '1.31.1', revision: 'abc', golang_version: 'go1.25', status: 'Clean', tag: '1.31.1' } }), '1.31.1'],
    ['istioctl', 'client version: 1.30.4\n', '1.30.4'],
    ['helm', 'v4.2.4+g1a2b3c4\n', '4.2.4'],
    ['cloudProviderKind', 'cloud-provider-kind 0.11.1\n', '0.11.1'],
  ] as const)('%s: %j', (tool, out, want) => {
    expect(TOOLS[tool].parseVersion(out)).toBe(want);
  });

  it('does not mistake a controller log for a cloud-provider-kind version', () => {
    expect(TOOLS.cloudProviderKind.parseVersion('I1121 10:00:00 controller.go:42] starting v1.2.3\n')).toBeUndefined();
  });
});

