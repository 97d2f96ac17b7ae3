/**
 * A fake unpacked Istio release (ISTIO_HOME): bin/istioctl (the fake), samples/ with small but
 * faithful versions of the sample manifests tutorials apply (addons, bookinfo and its networking
 * files, httpbin, curl, sleep, helloworld), manifests/profiles. Names, labels, ports and API
 * versions follow the upstream samples, so lab steps and checks written against the real files
 * work against these. Images too: Istio 1.31's Bookinfo and helloworld samples name them on
 * registry.istio.io/release (istio/istio release-1.31, since "Use registry.istio.io", #59364), a
 * registry shut down in December 2026, so a lab that applies them unchanged gets pods that never
 * pull (test/sim/pods.ts).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';

type Obj = Record<string, unknown>;

const yamlDocs = (objs: Obj[]) => objs.map((o) => stringify(o)).join('---\n');

function svc(name: string, ports: Array<[string, number, number?]>, selector: Record<string, string>, labels: Record<string, string> = {}, namespace?: string): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, ...(namespace ? { namespace } : {}), labels: { ...selector, ...labels, service: name } },
    spec: { ports: ports.map(([n, port, target]) => ({ name: n, port, ...(target ? { targetPort: target } : {}) })), selector },
  };
}

function sa(name: string, namespace?: string, labels?: Record<string, string>): Obj {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, ...(namespace ? { namespace } : {}), ...(labels ? { labels } : {}) } };
}

/** Where release-1.31's samples/bookinfo and samples/helloworld name their images. */
export const SAMPLES_HUB = 'registry.istio.io/release';

function deploy(name: string, labels: Record<string, string>, image: string, port: number, opts: { sa?: string; namespace?: string; args?: string[] } = {}): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, ...(opts.namespace ? { namespace: opts.namespace } : {}), labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          ...(opts.sa ? { serviceAccountName: opts.sa } : {}),
          containers: [{ name: labels.app ?? name, image, imagePullPolicy: 'IfNotPresent', ...(opts.args ? { args: opts.args } : {}), ports: [{ containerPort: port }] }],
        },
      },
    },
  };
}

function bookinfo(version: string): Obj[] {
  const hub = SAMPLES_HUB;
  // Upstream labels each ServiceAccount `account: <service>` (labs select on it with `kubectl apply -l`).
  const app = (name: string, versions: string[]) => [
    svc(name, [['http', 9080]], { app: name }),
    sa(`bookinfo-${name}`, undefined, { account: name }),
    ...versions.map((v) => deploy(`${name}-${v}`, { app: name, version: v }, `${hub}/examples-bookinfo-${name}-${v}:${version}`, 9080, { sa: `bookinfo-${name}` })),
  ];
  return [...app('details', ['v1']), ...app('ratings', ['v1']), ...app('reviews', ['v1', 'v2', 'v3']), ...app('productpage', ['v1'])];
}

function destinationRule(host: string, subsets: string[]): Obj {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: host },
    spec: { host, subsets: subsets.map((s) => ({ name: s, labels: { version: s } })) },
  };
}

function routeTo(host: string, weights: Array<[string, number]>): Obj {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: host },
    spec: {
      hosts: [host],
      http: [{ route: weights.map(([subset, weight]) => ({ destination: { host, subset }, ...(weights.length > 1 ? { weight } : {}) })) }],
    },
  };
}

/** A rule for the user jason (header end-user: jason) before a catch-all, as the *-test-* samples. */
function userRoute(host: string, jasonSubset: string, otherSubset: string, fault?: Obj): Obj {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: host },
    spec: {
      hosts: [host],
      http: [
        { match: [{ headers: { 'end-user': { exact: 'jason' } } }], ...(fault ? { fault } : {}), route: [{ destination: { host, subset: jasonSubset } }] },
        { route: [{ destination: { host, subset: otherSubset } }] },
      ],
    },
  };
}

/** samples/httpbin/sample-client/fortio-deploy.yaml: the annotation keeps cluster.outbound stats. */
function fortioDeploy(): Obj {
  const labels = { app: 'fortio' };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'fortio-deploy' },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: {
          annotations: { 'proxy.istio.io/config': 'proxyStatsMatcher:\n  inclusionPrefixes:\n  - "cluster.outbound"\n  - "cluster_manager"\n  - "listener_manager"\n  - "server"\n  - "cluster.xds-grpc"' },
          labels,
        },
        spec: {
          containers: [{ name: 'fortio', image: 'docker.io/fortio/fortio:latest_release', imagePullPolicy: 'Always', ports: [{ containerPort: 8080, name: 'http-fortio' }, { containerPort: 8079, name: 'grpc-ping' }] }],
        },
      },
    },
  };
}

/** Replaces the containers of the Deployment among objs. */
function withContainers(objs: Obj[], containers: Obj[]): Obj[] {
  for (const o of objs) {
    if (o.kind !== 'Deployment') continue;
    ((o.spec as Obj).template as { spec: Obj }).spec.containers = containers;
  }
  return objs;
}

function addon(name: string, image: string, port: number, services: Array<[string, number, number?]>, extra: Obj[] = []): Obj[] {
  const labels = { app: name, 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': name };
  return [sa(name, 'istio-system'), ...extra, deploy(name, labels, image, port, { sa: name, namespace: 'istio-system' }), ...services.map(([n, p, t]) => svc(n, [['http', p, t]], labels, {}, 'istio-system'))];
}

function files(version: string): Record<string, string> {
  const bookinfoGateway: Obj[] = [
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata: { name: 'bookinfo-gateway' },
      spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 8080, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] },
    },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'bookinfo' },
      spec: {
        hosts: ['*'],
        gateways: ['bookinfo-gateway'],
        http: [
          {
            match: [{ uri: { exact: '/productpage' } }, { uri: { prefix: '/static' } }, { uri: { exact: '/login' } }, { uri: { exact: '/logout' } }, { uri: { prefix: '/api/v1/products' } }],
            route: [{ destination: { host: 'productpage', port: { number: 9080 } } }],
          },
        ],
      },
    },
  ];
  const loki: Obj[] = [
    sa('loki', 'istio-system'),
    svc('loki', [['http-metrics', 3100]], { app: 'loki' }, {}, 'istio-system'),
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'loki', namespace: 'istio-system', labels: { app: 'loki' } },
      spec: { replicas: 1, serviceName: 'loki', selector: { matchLabels: { app: 'loki' } }, template: { metadata: { labels: { app: 'loki' } }, spec: { containers: [{ name: 'loki', image: 'docker.io/grafana/loki:3.5.0' }] } } },
    },
  ];
  const profile = (name: string) => stringify({ apiVersion: 'install.istio.io/v1alpha1', kind: 'IstioOperator', metadata: { name }, spec: { profile: name } });
  return {
    'samples/addons/prometheus.yaml': yamlDocs(withContainers(addon('prometheus', 'prom/prometheus:v3.5.0', 9090, [['prometheus', 9090]], [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'prometheus', namespace: 'istio-system' }, data: { 'prometheus.yml': 'global:\n  scrape_interval: 15s\n' } }]), [
      // As upstream: a config reloader beside prometheus-server (labs exec into -c prometheus-server).
      { name: 'prometheus-server-configmap-reload', image: 'ghcr.io/prometheus-operator/prometheus-config-reloader:v0.89.0', ports: [{ containerPort: 8080, name: 'metrics' }] },
      { name: 'prometheus-server', image: 'docker.io/prom/prometheus:v3.10.0', ports: [{ containerPort: 9090 }] },
    ])),
    'samples/addons/grafana.yaml': yamlDocs(addon('grafana', 'docker.io/grafana/grafana:12.1.0', 3000, [['grafana', 3000]])),
    'samples/addons/kiali.yaml': yamlDocs(addon('kiali', 'quay.io/kiali/kiali:v2.15', 20001, [['kiali', 20001]])),
    'samples/addons/jaeger.yaml': yamlDocs([
      ...addon('jaeger', 'docker.io/jaegertracing/jaeger:2.17.0', 16686, [['tracing', 80, 16686], ['zipkin', 9411]]),
      // The collector the demo profile's "jaeger" extension provider sends OTLP to.
      svc('jaeger-collector', [['jaeger-collector-http', 14268], ['jaeger-collector-grpc', 14250], ['http-zipkin', 9411], ['grpc-otel', 4317], ['http-otel', 4318]], { app: 'jaeger', 'app.kubernetes.io/name': 'jaeger', 'app.kubernetes.io/instance': 'jaeger' }, {}, 'istio-system'),
    ]),
    'samples/addons/extras/zipkin.yaml': yamlDocs(addon('zipkin', 'openzipkin/zipkin-slim:3.5.1', 9411, [['tracing', 80, 9411], ['zipkin', 9411]])),
    'samples/addons/loki.yaml': yamlDocs(loki),
    'samples/bookinfo/platform/kube/bookinfo.yaml': yamlDocs(bookinfo('1.20.3')),
    'samples/bookinfo/networking/bookinfo-gateway.yaml': yamlDocs(bookinfoGateway),
    'samples/bookinfo/networking/destination-rule-all.yaml': yamlDocs([
      destinationRule('productpage', ['v1']),
      destinationRule('reviews', ['v1', 'v2', 'v3']),
      destinationRule('ratings', ['v1', 'v2', 'v2-mysql', 'v2-mysql-vm']),
      destinationRule('details', ['v1', 'v2']),
    ]),
    'samples/bookinfo/networking/virtual-service-all-v1.yaml': yamlDocs(['productpage', 'reviews', 'ratings', 'details'].map((h) => routeTo(h, [['v1', 100]]))),
    'samples/bookinfo/networking/virtual-service-reviews-50-v3.yaml': yamlDocs([routeTo('reviews', [['v1', 50], ['v3', 50]])]),
    'samples/bookinfo/networking/virtual-service-reviews-v3.yaml': yamlDocs([routeTo('reviews', [['v3', 100]])]),
    'samples/bookinfo/networking/virtual-service-reviews-v2-v3.yaml': yamlDocs([routeTo('reviews', [['v2', 50], ['v3', 50]])]),
    'samples/bookinfo/networking/virtual-service-reviews-test-v2.yaml': yamlDocs([userRoute('reviews', 'v2', 'v1')]),
    'samples/bookinfo/networking/virtual-service-ratings-test-delay.yaml': yamlDocs([userRoute('ratings', 'v1', 'v1', { delay: { percentage: { value: 100.0 }, fixedDelay: '7s' } })]),
    'samples/bookinfo/networking/virtual-service-ratings-test-abort.yaml': yamlDocs([userRoute('ratings', 'v1', 'v1', { abort: { percentage: { value: 100.0 }, httpStatus: 500 } })]),
    'samples/httpbin/httpbin.yaml': yamlDocs([sa('httpbin'), svc('httpbin', [['http', 8000, 8080]], { app: 'httpbin' }), deploy('httpbin', { app: 'httpbin', version: 'v1' }, 'docker.io/mccutchen/go-httpbin:v2.15.0', 8080, { sa: 'httpbin' })]),
    'samples/httpbin/sample-client/fortio-deploy.yaml': yamlDocs([svc('fortio', [['http', 8080]], { app: 'fortio' }), fortioDeploy()]),
    'samples/curl/curl.yaml': yamlDocs([sa('curl'), svc('curl', [['http', 80]], { app: 'curl' }), deploy('curl', { app: 'curl' }, 'curlimages/curl', 80, { sa: 'curl', args: ['/bin/sleep', 'infinity'] })]),
    'samples/sleep/sleep.yaml': yamlDocs([sa('sleep'), svc('sleep', [['http', 80]], { app: 'sleep' }), deploy('sleep', { app: 'sleep' }, 'curlimages/curl', 80, { sa: 'sleep', args: ['/bin/sleep', 'infinity'] })]),
    'samples/helloworld/helloworld.yaml': yamlDocs([
      svc('helloworld', [['http', 5000]], { app: 'helloworld' }),
      deploy('helloworld-v1', { app: 'helloworld', version: 'v1' }, `${SAMPLES_HUB}/examples-helloworld-v1:1.0`, 5000),
      deploy('helloworld-v2', { app: 'helloworld', version: 'v2' }, `${SAMPLES_HUB}/examples-helloworld-v2:1.0`, 5000),
    ]),
    ...Object.fromEntries(['default', 'demo', 'minimal', 'ambient', 'empty', 'remote', 'preview', 'stable'].map((p) => [`manifests/profiles/${p}.yaml`, profile(p)])),
    'manifests/charts/README.md': `Fake Istio ${version} release tree for kindlab tests.\n`,
    'tools/README.md': 'tools\n',
  };
}

/** Writes the tree under `home`; `istioctl` is the launcher script to put at bin/istioctl. */
export async function writeFakeIstioRelease(home: string, version: string, istioctl: string): Promise<void> {
  for (const [rel, text] of Object.entries(files(version))) {
    const path = join(home, rel);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  }
  await mkdir(join(home, 'bin'), { recursive: true });
  await writeFile(join(home, 'bin', 'istioctl'), istioctl, { mode: 0o755 });
}
