/**
 * Reading manifests the way kubectl does (-f file, directory, "-" for stdin, multi-document YAML,
 * kind: List), plus stand-ins for the release manifests kindlab applies from URLs (MetalLB,
 * Gateway API CRDs, metrics-server, ingress-nginx): the build machines have no network, so the
 * fake produces the objects those URLs would, in small.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readStdin, yaml } from './common.mjs';

function documents(text, source) {
  const objs = [];
  for (const doc of yaml().parseAllDocuments(text)) {
    if (doc.errors.length) throw new Error(`error: error parsing ${source}: ${doc.errors[0].message}`);
    const obj = doc.toJS();
    if (obj === null || obj === undefined) continue;
    if (typeof obj !== 'object') throw new Error(`error: error parsing ${source}: not a Kubernetes object`);
    if (obj.kind === 'List' || (obj.kind?.endsWith('List') && Array.isArray(obj.items))) objs.push(...obj.items.map((o) => ({ obj: o, source })));
    else objs.push({ obj, source });
  }
  return objs;
}

function filesIn(dir, recursive) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (recursive) out.push(...filesIn(p, recursive));
    } else if (/\.(ya?ml|json)$/.test(name)) out.push(p);
  }
  return out;
}

/** The terms of a label selector ("a=b,c!=d,e in (f,g),!h"): commas inside parentheses belong to a term. */
function selectorTerms(selector) {
  const terms = [];
  let depth = 0;
  let term = '';
  for (const c of selector) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      terms.push(term.trim());
      term = '';
    } else term += c;
  }
  terms.push(term.trim());
  return terms.filter(Boolean);
}

/** Whether labels match a label selector, as kubectl -l filters the objects of -f files. */
export function matchesSelector(labels, selector) {
  return selectorTerms(selector).every((t) => {
    const set = /^([^\s!=]+)\s+(in|notin)\s+\((.*)\)$/.exec(t);
    if (set) {
      const values = set[3].split(',').map((v) => v.trim());
      return set[2] === 'in' ? values.includes(labels[set[1]]) : !values.includes(labels[set[1]]);
    }
    if (t.startsWith('!')) return !(t.slice(1) in labels);
    const ne = t.indexOf('!=');
    if (ne > 0) return labels[t.slice(0, ne)] !== t.slice(ne + 2);
    const [k, v] = t.split(/==?/);
    return v === undefined ? k in labels : labels[k] === v;
  });
}

/** Objects of every -f argument, in order, only those matching `selector` when one is given. Throws kubectl-style errors. */
export function loadManifests(paths, recursive = false, selector = undefined) {
  const all = loadAll(paths, recursive);
  return selector === undefined ? all : all.filter(({ obj }) => matchesSelector(obj?.metadata?.labels ?? {}, selector));
}

function loadAll(paths, recursive) {
  const objs = [];
  for (const p of paths) {
    if (p === '-') objs.push(...documents(readStdin(), 'STDIN'));
    else if (/^https?:\/\//.test(p)) objs.push(...knownUrl(p).map((obj) => ({ obj, source: p })));
    else if (!existsSync(p)) throw new Error(`error: the path "${p}" does not exist`);
    else if (statSync(p).isDirectory()) for (const f of filesIn(p, recursive)) objs.push(...documents(readFileSync(f, 'utf8'), f));
    else objs.push(...documents(readFileSync(p, 'utf8'), p));
  }
  return objs;
}

// ---------------------------------------------------------------- release manifests behind URLs

const ns = (name, labels = {}) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
const sa = (name, namespace) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });

function crd(group, kind, plural, scope = 'Namespaced', versions = ['v1']) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope,
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: versions.map((v, i) => ({
        name: v,
        served: true,
        storage: i === 0,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        subresources: { status: {} },
      })),
    },
  };
}

export function deployment(name, namespace, labels, image, extra = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels },
    spec: {
      replicas: extra.replicas ?? 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          ...(extra.serviceAccountName ? { serviceAccountName: extra.serviceAccountName } : {}),
          ...(extra.nodeSelector ? { nodeSelector: extra.nodeSelector } : {}),
          ...(extra.tolerations ? { tolerations: extra.tolerations } : {}),
          containers: [{ name: extra.container ?? name, image, ...(extra.args ? { args: extra.args } : {}), ports: (extra.ports ?? []).map((p) => ({ containerPort: p, protocol: 'TCP' })) }],
        },
      },
    },
  };
}

export function daemonSet(name, namespace, labels, image) {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace, labels },
    spec: {
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { tolerations: [{ operator: 'Exists' }], containers: [{ name, image }] } },
    },
  };
}

export function service(name, namespace, selector, ports, type = 'ClusterIP') {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: selector },
    spec: { type, selector, ports: ports.map(([portName, port, targetPort]) => ({ name: portName, port, targetPort: targetPort ?? port, protocol: 'TCP' })) },
  };
}

function metallb(version) {
  const labels = (component) => ({ app: 'metallb', component });
  return [
    ns('metallb-system', { 'pod-security.kubernetes.io/enforce': 'privileged' }),
    crd('metallb.io', 'BFDProfile', 'bfdprofiles', 'Namespaced', ['v1beta1']),
    crd('metallb.io', 'BGPAdvertisement', 'bgpadvertisements', 'Namespaced', ['v1beta1']),
    crd('metallb.io', 'BGPPeer', 'bgppeers', 'Namespaced', ['v1beta2', 'v1beta1']),
    crd('metallb.io', 'Community', 'communities', 'Namespaced', ['v1beta1']),
    crd('metallb.io', 'IPAddressPool', 'ipaddresspools', 'Namespaced', ['v1beta1']),
    crd('metallb.io', 'L2Advertisement', 'l2advertisements', 'Namespaced', ['v1beta1']),
    crd('metallb.io', 'ServiceL2Status', 'servicel2statuses', 'Namespaced', ['v1beta1']),
    sa('controller', 'metallb-system'),
    sa('speaker', 'metallb-system'),
    service('metallb-webhook-service', 'metallb-system', labels('controller'), [['https', 443, 9443]]),
    deployment('controller', 'metallb-system', labels('controller'), `quay.io/metallb/controller:${version}`, { serviceAccountName: 'controller', ports: [7472, 9443] }),
    { ...daemonSet('speaker', 'metallb-system', labels('speaker'), `quay.io/metallb/speaker:${version}`) },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'metallb-webhook-configuration' },
      webhooks: [{ name: 'ipaddresspoolvalidationwebhook.metallb.io', admissionReviewVersions: ['v1'], sideEffects: 'None', clientConfig: { service: { name: 'metallb-webhook-service', namespace: 'metallb-system', path: '/validate-metallb-io-v1beta1-ipaddresspool' } } }],
    },
  ];
}

function gatewayApi(experimental) {
  const g = 'gateway.networking.k8s.io';
  return [
    crd(g, 'GatewayClass', 'gatewayclasses', 'Cluster', ['v1', 'v1beta1']),
    crd(g, 'Gateway', 'gateways', 'Namespaced', ['v1', 'v1beta1']),
    crd(g, 'HTTPRoute', 'httproutes', 'Namespaced', ['v1', 'v1beta1']),
    crd(g, 'GRPCRoute', 'grpcroutes', 'Namespaced', ['v1']),
    crd(g, 'ReferenceGrant', 'referencegrants', 'Namespaced', ['v1beta1']),
    crd(g, 'BackendTLSPolicy', 'backendtlspolicies', 'Namespaced', ['v1']),
    ...(experimental
      ? [crd(g, 'TCPRoute', 'tcproutes', 'Namespaced', ['v1alpha2']), crd(g, 'TLSRoute', 'tlsroutes', 'Namespaced', ['v1alpha2']), crd(g, 'UDPRoute', 'udproutes', 'Namespaced', ['v1alpha2'])]
      : []),
  ];
}

function metricsServer(version) {
  const labels = { 'k8s-app': 'metrics-server' };
  return [
    sa('metrics-server', 'kube-system'),
    service('metrics-server', 'kube-system', labels, [['https', 443, 10250]]),
    deployment('metrics-server', 'kube-system', labels, `registry.k8s.io/metrics-server/metrics-server:${version}`, {
      serviceAccountName: 'metrics-server',
      args: ['--cert-dir=/tmp', '--secure-port=10250', '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname', '--kubelet-use-node-status-port', '--metric-resolution=15s'],
      ports: [10250],
    }),
  ];
}

function ingressNginx(version) {
  const labels = { 'app.kubernetes.io/component': 'controller', 'app.kubernetes.io/instance': 'ingress-nginx', 'app.kubernetes.io/name': 'ingress-nginx' };
  return [
    ns('ingress-nginx', { 'app.kubernetes.io/instance': 'ingress-nginx', 'app.kubernetes.io/name': 'ingress-nginx' }),
    sa('ingress-nginx', 'ingress-nginx'),
    service('ingress-nginx-controller', 'ingress-nginx', labels, [['http', 80], ['https', 443]], 'NodePort'),
    service('ingress-nginx-controller-admission', 'ingress-nginx', labels, [['https-webhook', 443, 8443]]),
    deployment('ingress-nginx-controller', 'ingress-nginx', labels, `registry.k8s.io/ingress-nginx/controller:${version}`, {
      serviceAccountName: 'ingress-nginx',
      container: 'controller',
      ports: [80, 443, 8443],
      nodeSelector: { 'ingress-ready': 'true', 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Equal', effect: 'NoSchedule' }],
    }),
    { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx', labels }, spec: { controller: 'k8s.io/ingress-nginx' } },
  ];
}

/** Objects the fake serves for a known release URL; other URLs cannot be fetched here. */
export function knownUrl(url) {
  const version = /\/(v\d+\.\d+\.\d+[^/]*)\//.exec(url)?.[1] ?? 'v0.0.0';
  if (/metallb.*metallb-native\.yaml$/.test(url)) return metallb(version);
  if (/gateway-api.*(standard|experimental)-install\.yaml$/.test(url)) return gatewayApi(url.includes('experimental'));
  if (/metrics-server.*components\.yaml$/.test(url)) return metricsServer(version);
  if (/ingress-nginx.*deploy\.yaml$/.test(url)) return ingressNginx(/controller-(v[\d.]+)/.exec(url)?.[1] ?? version);
  throw new Error(`error: unable to read URL "${url}": the fake kubectl has no network and does not know this manifest`);
}
