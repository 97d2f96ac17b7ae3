/**
 * The fake `kubectl`, run as a real process through the harness against the sim: the subset labs
 * and kindlab use, with kubectl's output and error messages.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimHarness, type SimHarness } from './harness.js';

let h: SimHarness;
beforeAll(async () => {
  h = await createSimHarness();
});
afterAll(async () => {
  await h.cleanup();
});

const sh = (script: string, extraEnv?: Record<string, string>) => h.sh(script, extraEnv);

describe('fake kubectl', () => {
  const KC = () => `--kubeconfig ${join(h.dir, 'kc')} --context kind-k`;

  beforeAll(async () => {
    const r = await sh(`kind create cluster --name k --kubeconfig ${join(h.dir, 'kc')}`);
    expect(r.code).toBe(0);
  });

  it('applies a multi-document YAML, then answers get -o jsonpath', async () => {
    const manifest = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector: {app: web}
  ports: [{port: 80}]
`;
    await writeFile(join(h.dir, 'shop.yaml'), manifest);
    const applied = await sh(`kubectl ${KC()} apply -f shop.yaml`);
    expect(applied.stdout).toBe('namespace/shop created\ndeployment.apps/web created\nservice/web created\n');
    const again = await sh(`kubectl ${KC()} apply -f shop.yaml`);
    expect(again.stdout).toBe('namespace/shop unchanged\ndeployment.apps/web unchanged\nservice/web unchanged\n');

    const wait = await sh(`kubectl ${KC()} -n shop rollout status deployment/web --timeout=5s`);
    expect(wait.stdout.trim().split('\n').at(-1)).toBe('deployment "web" successfully rolled out');
    const q = (expr: string, what = 'pods') => sh(`kubectl ${KC()} -n shop get ${what} -o jsonpath='${expr}'`).then((r) => r.stdout);
    expect((await q('{.items[*].metadata.name}')).split(' ')).toHaveLength(2);
    expect(await q('{.spec.replicas}', 'deployment web')).toBe('2');
    expect(await q('{.items[0].status.conditions[?(@.type=="Ready")].status}')).toBe('True');
    expect(await q('{range .items[*]}{.metadata.labels.app}{"\\n"}{end}')).toBe('web\nweb\n');
    expect(await q('{.spec.clusterIP}', 'svc/web')).toMatch(/^10\.96\./);
    const names = await sh(`kubectl ${KC()} get deploy,svc -n shop -o name`);
    expect(names.stdout).toBe('deployment.apps/web\nservice/web\n');
  });

  it('uses $KUBECONFIG and its current context when no flags are given', async () => {
    const r = await sh('kubectl config current-context && kubectl get ns shop -o jsonpath={.status.phase}', { KUBECONFIG: join(h.dir, 'kc') });
    expect(r.stdout).toBe('kind-k\nActive');
    const missing = await sh(`kubectl --kubeconfig ${join(h.dir, 'kc')} --context kind-nope get pods`);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('error: context "kind-nope" does not exist');
    const minified = parse((await sh(`kubectl --kubeconfig ${join(h.dir, 'kc')} config view --raw --minify --flatten --context kind-k`)).stdout) as {
      clusters: Array<{ cluster: { server: string } }>;
    };
    expect(minified.clusters[0]!.cluster.server).toBe(`${h.sim.secureUrl}/clusters/k`);
    expect((await sh(`kubectl ${KC()} get --raw /readyz --request-timeout 10s`)).stdout).toBe('ok\n');
  });

  it('labels, annotates, scales, waits and deletes like kubectl', async () => {
    const r1 = await sh(`kubectl ${KC()} label ns shop istio-injection=enabled && kubectl ${KC()} annotate -n shop deploy/web note=hi`);
    expect(r1.stdout).toBe('namespace/shop labeled\ndeployment.apps/web annotated\n');
    const clash = await sh(`kubectl ${KC()} label ns shop istio-injection=disabled`);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain("'istio-injection' already has a value (enabled), and --overwrite is false");
    expect((await sh(`kubectl ${KC()} label ns shop istio-injection- `)).stdout).toBe('namespace/shop labeled\n');

    expect((await sh(`kubectl ${KC()} -n shop scale deployment/web --replicas=3`)).stdout).toBe('deployment.apps/web scaled\n');
    const waited = await sh(`kubectl ${KC()} -n shop wait --for=condition=Available deployment/web --timeout=5s`);
    expect(waited.stdout).toBe('deployment.apps/web condition met\n');
    const ready = await sh(`kubectl ${KC()} -n shop wait --for=jsonpath='{.status.readyReplicas}'=3 deploy/web --timeout=5s`);
    expect(ready.stdout).toBe('deployment.apps/web condition met\n');

    const timedOut = await sh(`kubectl ${KC()} -n shop wait --for=condition=Nope deployment/web --timeout=200ms`);
    expect(timedOut.code).toBe(1);
    expect(timedOut.stderr).toContain('timed out waiting for the condition on deployments.apps/web');

    const patched = await sh(`kubectl ${KC()} -n shop patch svc web --type merge -p '{"spec":{"type":"LoadBalancer"}}'`);
    expect(patched.stdout).toBe('service/web patched\n');
    const ip = await sh(
      `kubectl ${KC()} -n shop wait --for=jsonpath='{.status.loadBalancer.ingress}' svc/web --timeout=5s >/dev/null && kubectl ${KC()} -n shop get svc web -o jsonpath='{.status.loadBalancer.ingress[0].ip}'`,
    );
    expect(ip.stdout).toMatch(/^172\.18\.255\.2\d\d$/);

    const missing = await sh(`kubectl ${KC()} -n shop get deploy nope`);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('Error from server (NotFound): deployments.apps "nope" not found\n');
    const deleted = await sh(`kubectl ${KC()} delete -n shop svc web && kubectl ${KC()} delete -n shop svc web --ignore-not-found`);
    expect(deleted.stdout).toBe('service "web" deleted\n');
  });

  it('execs through the sim handler, passing exit codes through', async () => {
    h.sim.onExec = ({ cluster, namespace, pod, command }) =>
      command.includes('fail') ? { stderr: 'nope\n', exitCode: 7 } : { stdout: `${cluster}:${namespace}/${pod}: ${command.join(' ')}\n` };
    const ok = await sh(`kubectl ${KC()} -n shop exec deploy/web -- curl -s http://web`);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^k:shop\/web-[a-z0-9]+-[a-z0-9]{5}: curl -s http:\/\/web\n$/);
    const bad = await sh(`kubectl ${KC()} -n shop exec deploy/web -- sh -c fail`);
    expect(bad.code).toBe(7);
    expect(bad.stderr).toBe('nope\ncommand terminated with exit code 7\n');
  });

  it('applies the release manifests kindlab fetches by URL (no network needed)', async () => {
    const r = await sh(`kubectl ${KC()} apply --server-side --force-conflicts -f https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.1/standard-install.yaml`);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('customresourcedefinition.apiextensions.k8s.io/httproutes.gateway.networking.k8s.io serverside-applied');
    const unknown = await sh(`kubectl ${KC()} apply -f https://example.com/x.yaml`);
    expect(unknown.code).toBe(1);
  });

  it('creates namespaces and generated objects, including the dry-run | apply idiom', async () => {
    expect((await sh(`kubectl ${KC()} create namespace team`)).stdout).toBe('namespace/team created\n');
    const dup = await sh(`kubectl ${KC()} create ns team`);
    expect(dup).toMatchObject({ code: 1, stderr: 'Error from server (AlreadyExists): namespaces "team" already exists\n' });
    const piped = await sh(`kubectl ${KC()} create configmap settings -n team --from-literal=color=blue --dry-run=client -o yaml | kubectl ${KC()} apply -f -`);
    expect(piped.stdout).toBe('configmap/settings created\n');
    expect(h.sim.cluster('k').get('v1', 'ConfigMap', 'settings', 'team')?.data).toEqual({ color: 'blue' });
  });

  it('applies only the objects -l selects, from a file or from stdin', async () => {
    const cm = (name: string, labels: Record<string, string>) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: team\n  labels: ${JSON.stringify(labels)}\n`;
    await writeFile(join(h.dir, 'apps.yaml'), [cm('details', { app: 'details' }), cm('reviews', { app: 'reviews', version: 'v2' }), cm('account', { account: 'details' })].join('---\n'));
    const skipDetails = await sh(`kubectl ${KC()} apply -f apps.yaml -l 'app!=details,account!=details'`);
    expect(skipDetails.stdout).toBe('configmap/reviews created\n');
    const fromStdin = await sh(`sed 's/v2/v3/' apps.yaml | kubectl ${KC()} apply -f - -l 'app in (details,ratings)'`);
    expect(fromStdin.stdout).toBe('configmap/details created\n');
    expect(h.sim.cluster('k').get('v1', 'ConfigMap', 'reviews', 'team')?.metadata.labels).toEqual({ app: 'reviews', version: 'v2' });
    expect((await sh(`kubectl ${KC()} apply -f apps.yaml -l '!app'`)).stdout).toBe('configmap/account created\n');
    expect(await sh(`kubectl ${KC()} apply -f apps.yaml -l app=ratings`)).toMatchObject({ code: 1, stderr: 'error: no objects passed to apply\n' });
  });

  it('reports its client version as JSON and switches contexts in the kubeconfig file', async () => {
    const version = JSON.parse((await sh('kubectl version --client -o json')).stdout) as { clientVersion: { gitVersion: string } };
    expect(version.clientVersion.gitVersion).toBe('v1.35.8');
    const kc = join(h.dir, 'two-contexts');
    await h.sim.writeKubeconfig(kc, 'one');
    await h.sim.writeKubeconfig(kc, 'two');
    const switched = await sh(`kubectl --kubeconfig ${kc} config use-context one && kubectl --kubeconfig ${kc} config current-context`);
    expect(switched.stdout).toBe('Switched to context "one".\none\n');
  });

  it('records commands it does not simulate and fails them (exit 64), never pretending success', async () => {
    const r = await sh(`kubectl ${KC()} top pods`);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('fake kubectl: not simulated:');
    expect(h.calls('kubectl').at(-1)?.argv).toEqual(['--kubeconfig', join(h.dir, 'kc'), '--context', 'kind-k', 'top', 'pods']);
  });
});
