import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findLab } from '../../src/lab/catalog.js';
import { normalizeImage, parseImage } from '../../src/offline/image-ref.js';
import { dockerRunImages, imageArgs, imagesInYaml, istioHomeRefs, labImages, mergeImageLists } from '../../src/offline/images.js';
import { CPK_ENVOY_IMAGE } from '../../src/platform/addons/loadbalancer.js';
import { PINS } from '../../src/platform/tools/pins.js';
import { resolvePins } from '../../src/platform/tools/versions.js';

const pins = resolvePins({});

describe('image references', () => {
  it('normalizes the spellings containerd treats as the same image', () => {
    expect(normalizeImage('nginx')).toBe('docker.io/library/nginx:latest');
    expect(normalizeImage('nginx:1.27')).toBe('docker.io/library/nginx:1.27');
    expect(normalizeImage('istio/proxyv2:1.31.1')).toBe('docker.io/istio/proxyv2:1.31.1');
    expect(normalizeImage('index.docker.io/istio/pilot:1.31.1')).toBe('docker.io/istio/pilot:1.31.1');
    expect(normalizeImage('registry.k8s.io/pause:3.10')).toBe('registry.k8s.io/pause:3.10');
    expect(normalizeImage('localhost:5001/app')).toBe('localhost:5001/app:latest');
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseImage(`kindest/node:v1.35.8@${digest}`)).toEqual({ registry: 'docker.io', repository: 'kindest/node', tag: 'v1.35.8', digest });
  });

  it('refuses what is not a reference (templates, variables)', () => {
    expect(normalizeImage('{{ .Values.image }}')).toBeUndefined();
    expect(normalizeImage('$FORTIO_IMAGE')).toBeUndefined();
    expect(normalizeImage('Nginx:1')).toBeUndefined();
  });

  it('finds container images in every document, including init containers and lists', () => {
    const yaml = [
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  template:\n    spec:\n      initContainers: [{name: i, image: busybox:1.37}]\n      containers: [{name: c, image: nginx:1.27}]',
      'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n  spec: {containers: [{name: c, image: "docker.io/curlimages/curl:8.16.0"}]}',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {image: not-a-container}',
    ].join('\n---\n');
    expect(imagesInYaml(yaml)).toEqual(['busybox:1.37', 'nginx:1.27', 'docker.io/curlimages/curl:8.16.0']);
  });

  it('reads $ISTIO_HOME paths, --image arguments and docker run images from shell', () => {
    expect(istioHomeRefs('kubectl apply -f "$ISTIO_HOME/samples/a.yaml" -f ${ISTIO_HOME}/samples/b.yaml')).toEqual(['samples/a.yaml', 'samples/b.yaml']);
    expect(imageArgs('kubectl run x --image=nginx:1.27 && kubectl run y --image "$FORTIO_IMAGE"')).toEqual(['nginx:1.27', '$FORTIO_IMAGE']);
    expect(dockerRunImages('docker run --rm --network "container:x" alpine:3.22.1 ping -c 3 1.2.3.4\ndocker run -d \\\n  --name y -v /a:/b registry.k8s.io/x:1 --flag')).toEqual(['alpine:3.22.1', 'registry.k8s.io/x:1']);
  });
});

describe('a lab\'s image list is derived from its manifests, the Istio release and the platform', () => {
  it('canary-l4: the manifests it applies plus the kind node, cloud-provider-kind and its Envoy', async () => {
    const list = await labImages(await findLab('canary-l4'), { pins });
    const refs = list.images.map((i) => i.ref);
    expect(refs).toContain(normalizeImage(pins.nodeImage));
    expect(refs).toContain(PINS.cloudProviderKindImage);
    expect(refs).toContain(CPK_ENVOY_IMAGE);
    const fromManifests = list.images.filter((i) => i.from.some((f) => f.startsWith('manifests/canary-l4/')));
    expect(fromManifests.length).toBeGreaterThan(0);
    expect(fromManifests.every((i) => i.place === 'cluster')).toBe(true);
    expect(list.images.find((i) => i.ref === normalizeImage(pins.nodeImage))?.place).toBe('host');
    expect(list.unresolved).toEqual([]);
  });

  it('cluster-bootstrap: an image a step runs with docker run is a host image', async () => {
    const list = await labImages(await findLab('cluster-bootstrap'), { pins });
    expect(list.images.find((i) => i.ref === 'docker.io/library/alpine:3.22.1')?.place).toBe('host');
  });

  it('istio-resilience: $ISTIO_HOME samples are read from the release when it is there, listed as unresolved when not', async () => {
    const lab = await findLab('istio-resilience');
    const without = await labImages(lab, { pins });
    expect(without.unresolved.map((u) => u.ref)).toContain('$ISTIO_HOME/samples/helloworld/helloworld.yaml');
    expect(without.images.map((i) => i.ref)).toContain(`docker.io/istio/proxyv2:${pins.istio}`);

    const home = await mkdtemp(join(tmpdir(), 'kl-istio-'));
    const write = async (rel: string, image: string) => {
      await mkdir(join(home, rel, '..'), { recursive: true });
      await writeFile(join(home, rel), `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {template: {spec: {containers: [{name: x, image: "${image}"}]}}}\n`);
    };
    // As Istio 1.31 ships it: on registry.istio.io, shut down in December 2026; the lab's sed rewrites it.
    await write('samples/helloworld/helloworld.yaml', 'registry.istio.io/release/examples-helloworld-v1:1.0');
    await write('samples/curl/curl.yaml', 'curlimages/curl:8.16.0');
    await write('samples/httpbin/httpbin.yaml', 'docker.io/mccutchen/go-httpbin:v2.15.0');
    await write('samples/httpbin/sample-client/fortio-deploy.yaml', 'fortio/fortio:latest_release');
    const withHome = await labImages(lab, { pins, istioHome: home });
    expect(withHome.unresolved).toEqual([]);
    const helloworld = withHome.images.find((i) => i.ref === 'docker.io/istio/examples-helloworld-v1:1.0');
    expect(helloworld?.from).toContain('$ISTIO_HOME/samples/helloworld/helloworld.yaml');
    // Nothing is pulled from the retired registry.
    expect(withHome.images.filter((i) => i.ref.startsWith('registry.istio.io/'))).toEqual([]);
    // Front matter and a sample naming the same image count once.
    expect(withHome.images.filter((i) => i.ref === 'docker.io/curlimages/curl:8.16.0')).toHaveLength(1);
  });

  it('istio-bookinfo installs Istio in a step: pilot and proxyv2 of the pinned release are still listed', async () => {
    const list = await labImages(await findLab('istio-bookinfo'), { pins: resolvePins({ istio: '1.30.4' }) });
    expect(list.images.map((i) => i.ref)).toEqual(expect.arrayContaining(['docker.io/istio/pilot:1.30.4', 'docker.io/istio/proxyv2:1.30.4']));
  });

  it('merging lists keeps each image once with every lab that needs it', async () => {
    const a = await labImages(await findLab('canary-l4'), { pins });
    const b = await labImages(await findLab('ingress-ha'), { pins });
    const merged = mergeImageLists([a, b]);
    expect(merged.images.filter((i) => i.ref === normalizeImage(pins.nodeImage))).toHaveLength(1);
    expect(merged.images.find((i) => i.ref === normalizeImage(pins.nodeImage))?.labs).toEqual(['canary-l4', 'ingress-ha']);
  });
});
