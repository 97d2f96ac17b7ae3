import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isOnGoneRegistry, replaceRetired, retiredMentions, retiredRegistryOf, rewritesRetired, sedRewrite } from '../../src/lab/retired-registries.js';

describe('retired registries', () => {
  it('replaces the most specific prefix and keeps the rest of the reference', () => {
    expect(replaceRetired('registry.istio.io/release/examples-helloworld-v1:1.0')).toBe('docker.io/istio/examples-helloworld-v1:1.0');
    expect(replaceRetired('gcr.io/istio-release/proxyv2:1.30.4')).toBe('docker.io/istio/proxyv2:1.30.4');
    expect(replaceRetired('gcr.io/istio-release/charts/base')).toBe('ghcr.io/istio/release/charts/base');
    expect(replaceRetired('istio-release.storage.googleapis.com/releases/1.30.4/deb/istio-sidecar.deb')).toBe('blob.istio.io/istio-release/releases/1.30.4/deb/istio-sidecar.deb');
    expect(replaceRetired('k8s.gcr.io/pause:3.9')).toBe('registry.k8s.io/pause:3.9');
    expect(replaceRetired('registry.istio.io/testing/app:latest')).toBeUndefined();
    expect(replaceRetired('gcr.io/google-containers/pause:3.2')).toBeUndefined();
    expect(replaceRetired('docker.io/istio/pilot:1.31.1')).toBeUndefined();
  });

  it('tells gone registries from frozen ones', () => {
    expect(isOnGoneRegistry('registry.istio.io/release/examples-bookinfo-details-v1:1.20.3')).toBe(true);
    expect(isOnGoneRegistry('gcr.io/istio-release/pilot:1.30.4')).toBe(true);
    expect(isOnGoneRegistry('k8s.gcr.io/pause:3.9')).toBe(false);
    expect(isOnGoneRegistry('registry.k8s.io/pause:3.10')).toBe(false);
    // A longer host that merely ends like a retired one is another registry.
    expect(retiredRegistryOf('mirror.k8s.gcr.io.example/pause:3.9')).toBeUndefined();
    expect(retiredMentions('image: mirror.k8s.gcr.io.example/pause:3.9 and "https://istio-release.storage.googleapis.com/charts"').map((m) => m.text)).toEqual([
      'istio-release.storage.googleapis.com/charts',
    ]);
  });

  it('the sed rewrite labs use turns a sample\'s image lines into the replacement, and is recognised as a rewrite', () => {
    const entry = retiredRegistryOf('registry.istio.io/release/x')!;
    const sed = sedRewrite(entry)!;
    const sample = '        image: registry.istio.io/release/examples-bookinfo-details-v1:1.20.3\n        image: docker.io/curlimages/curl:8.16.0\n';
    expect(execFileSync('sed', [sed], { input: sample, encoding: 'utf8' })).toBe('        image: docker.io/istio/examples-bookinfo-details-v1:1.20.3\n        image: docker.io/curlimages/curl:8.16.0\n');
    expect(rewritesRetired(`sed '${sed}' "$ISTIO_HOME/samples/helloworld/helloworld.yaml"`, entry)).toBe(true);
    expect(rewritesRetired("sed 's|registry.istio.io/release|docker.io/istio|'", entry)).toBe(true);
    expect(rewritesRetired("sed 's#registry\\.istio\\.io/release/#quay.io/istio/#'", entry)).toBe(false);
    expect(sedRewrite(retiredRegistryOf('registry.istio.io/testing/app')!)).toBeUndefined();
  });
});
