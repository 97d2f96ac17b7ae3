import { describe, expect, it } from 'vitest';
import { modelModule, validateManifest } from '../../src/lab/manifests.js';

describe('modelModule', () => {
  it.each([
    ['v1', 'Service', 'kubernetes-models/v1/Service'],
    ['apps/v1', 'Deployment', 'kubernetes-models/apps/v1/Deployment'],
    ['networking.k8s.io/v1', 'Ingress', 'kubernetes-models/networking.k8s.io/v1/Ingress'],
    ['networking.istio.io/v1', 'VirtualService', '@kubernetes-models/istio/networking.istio.io/v1/VirtualService'],
    ['security.istio.io/v1beta1', 'PeerAuthentication', '@kubernetes-models/istio/security.istio.io/v1beta1/PeerAuthentication'],
    ['gateway.networking.k8s.io/v1', 'HTTPRoute', '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute'],
  ])('%s %s → %s', (apiVersion, kind, module) => {
    expect(modelModule(apiVersion, kind)).toBe(module);
  });

  it('refuses names that could escape the package', () => {
    expect(modelModule('v1', '../../x')).toBeUndefined();
    expect(modelModule('../v1', 'Pod')).toBeUndefined();
  });
});

describe('validateManifest', () => {
  it('accepts valid Kubernetes, Istio and Gateway API objects', async () => {
    const text = `apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  selector: { app: web }
  ports: [{ port: 80, targetPort: 8080 }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews }
spec:
  host: reviews
  subsets: [{ name: v1, labels: { version: v1 } }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web }
spec:
  parentRefs: [{ name: gw }]
  rules:
    - backendRefs: [{ name: web, port: 80, weight: 50 }]
---
`;
    expect(await validateManifest(text)).toEqual([]);
  });

  it('reports type errors, missing fields and unknown kinds at their lines', async () => {
    const text = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: vs }
spec:
  hosts: [web]
  http:
    - route:
        - destination: { host: web }
          weight: half
---
apiVersion: v1
kind: ConfigMap
metadata: {}
---
apiVersion: v1
kind: Pod
metadata: { name: p }
spec:
  containers:
    - name: c
      image: x
      imagePullPolicy: Sometimes
---
apiVersion: kind.x-k8s.io/v1alpha4
kind: Cluster
metadata: { name: k }
---
just a string
`;
    expect((await validateManifest(text)).map((i) => [i.line, i.severity, i.message])).toEqual([
      [9, 'error', 'VirtualService "vs": spec.http[0].route[0].weight: expected integer, found "half"'],
      [13, 'error', 'ConfigMap: missing field metadata.name'],
      [22, 'error', 'Pod "p": spec.containers[0].imagePullPolicy: expected one of Always, IfNotPresent, Never, found "Sometimes"'],
      [25, 'warning', 'Cluster "k": no schema known for kind.x-k8s.io/v1alpha4 Cluster, so it was not validated'],
      [28, 'error', 'expected a Kubernetes object (a map with apiVersion and kind), found "just a string"'],
    ]);
  });

  it('reports YAML syntax errors', async () => {
    expect(await validateManifest('apiVersion: v1\nkind: ConfigMap\ndata: { a: 1\n')).toEqual([
      { line: 3, message: 'invalid YAML: Flow map in block collection must be sufficiently indented and end with a }', severity: 'error' },
    ]);
  });

  it('reports an alias without anchor at its line instead of crashing', async () => {
    expect(await validateManifest('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a }\ndata:\n  a: *nope\n')).toEqual([
      { line: 5, message: 'alias *nope has no anchor: define "&nope" on a value before it, or write the value out', severity: 'error' },
    ]);
  });
});
