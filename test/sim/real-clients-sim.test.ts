/**
 * The real kubectl v1.35 and helm v4 against the sim, with the kubeconfig kind writes: what lab
 * commands print and do must be what they print and do against a real API server.
 */
import { execFile } from 'node:child_process';
import { request } from 'node:https';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimCluster, type Sim } from './apiserver.js';
import { realClients, type RealClients } from './real-clients.js';

let sim: Sim;
let bins: RealClients;
let dir: string;
let env: Record<string, string>;

interface Run {
  code: number;
  out: string;
  err: string;
}

function run(bin: string, args: string[], stdin?: string, extraEnv: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    const child = execFile(bin, args, { env: { ...env, ...extraEnv }, cwd: dir }, (error, stdout, stderr) => {
      done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, out: stdout, err: stderr });
    });
    if (stdin !== undefined) child.stdin!.end(stdin);
  });
}
const kubectl = (args: string, stdin?: string) => run(bins.kubectl, args.split(' '), stdin);
const helm = (args: string) => run(bins.helm, args.split(' '));

const until = async (check: () => boolean, ms = 3000) => {
  for (const end = Date.now() + ms; Date.now() < end && !check(); ) await new Promise((r) => setTimeout(r, 20));
};

const DEPLOY = (opts: { env?: string; sidecar?: boolean; selector?: string } = {}) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: ${opts.selector ?? 'web'}}}
  template:
    metadata: {labels: {app: ${opts.selector ?? 'web'}}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports: [{containerPort: 80}]
        env: [{name: MODE, value: "${opts.env ?? 'a'}"}]
${opts.sidecar === false ? '' : '      - {name: side, image: busybox:1.37}\n'}`;

beforeAll(async () => {
  bins = await realClients();
  sim = await startSimCluster({ nodes: [{ name: 'kind-control-plane', role: 'control-plane' }] });
  sim.controllers.all({ delayMs: 5 });
  dir = await mkdtemp(join(tmpdir(), 'kindlab-real-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await sim.writeKubeconfig(kubeconfig, 'kind-sim');
  env = { PATH: process.env.PATH ?? '', HOME: dir, KUBECONFIG: kubeconfig, HELM_CACHE_HOME: join(dir, 'helm-cache'), HELM_CONFIG_HOME: join(dir, 'helm-config'), HELM_DATA_HOME: join(dir, 'helm-data') };
}, 60_000);

afterAll(async () => {
  await sim?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the real kubectl and helm against the sim', () => {
  it('authenticates over HTTPS with the client certificate of a kind kubeconfig, and refuses anonymous requests with a 401 Status', async () => {
    expect((await kubectl('get ns')).out).toMatch(/^NAME\s+STATUS\s+AGE\ndefault\s+Active\s+\d+s\n/);
    const anonymous = join(dir, 'anonymous');
    const { caPem } = sim.credentials();
    const b64 = Buffer.from(caPem).toString('base64');
    await writeFile(anonymous, JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'c', cluster: { server: sim.secureUrl, 'certificate-authority-data': b64 } }], users: [{ name: 'u', user: { token: 'not-a-known-token' } }], contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }], 'current-context': 'x' }));
    const refused = await run(bins.kubectl, ['get', 'pods'], undefined, { KUBECONFIG: anonymous });
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('You must be logged in to the server (Unauthorized)');
    const status = await new Promise<{ code: number; body: string }>((done) => {
      request(`${sim.secureUrl}/api/v1/namespaces`, { ca: caPem }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => done({ code: res.statusCode ?? 0, body }));
      }).end();
    });
    expect(status.code).toBe(401);
    expect(JSON.parse(status.body)).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Unauthorized', code: 401 });
  });

  it('applies client-side, merges lists by their keys on re-apply and on kubectl patch, and prints the server-side tables', async () => {
    expect((await kubectl('apply -f -', DEPLOY())).out).toBe('deployment.apps/web created\n');
    await until(() => sim.store.list('v1', 'Pod', 'default').filter((p) => (p.status as { phase?: string }).phase === 'Running').length === 2);
    const pods = await kubectl('get pods -o wide');
    expect(pods.out.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/);
    expect(pods.out).toMatch(/\nweb-\w+-\w{5}\s+2\/2\s+Running\s+0\s+\d+s\s+10\.244\.\d+\.\d+\s+kind-control-plane\s+<none>\s+<none>\n/);
    expect((await kubectl('get nodes')).out).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\nkind-control-plane\s+Ready\s+control-plane\s+\d+s\s+v1\.\d+\.\d+\n$/);
    expect((await kubectl('get deploy web')).out).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+2\/2\s+2\s+2\s+\d+s\n$/);

    // A container another writer added survives kubectl patch (merged by name).
    expect((await kubectl('patch deploy web -p {"spec":{"template":{"spec":{"containers":[{"name":"side","image":"busybox:1.36"}]}}}}')).code).toBe(0);
    const images = () => (sim.store.get('apps/v1', 'Deployment', 'web')!.spec as { template: { spec: { containers: Array<{ name: string; image: string; env?: unknown }> } } }).template.spec.containers;
    expect(images().map((c) => `${c.name}=${c.image}`)).toEqual(['nginx=nginx:1.27', 'side=busybox:1.36']);
    // Re-applying without the sidecar deletes it ($patch: delete) and changes only the env entry.
    expect((await kubectl('apply -f -', DEPLOY({ env: 'b', sidecar: false }))).out).toBe('deployment.apps/web configured\n');
    expect(images()).toMatchObject([{ name: 'nginx', image: 'nginx:1.27', env: [{ name: 'MODE', value: 'b' }] }]);
  });

  it('rejects bad manifests as a real server does: unknown fields, wrong types, missing required fields, immutable selectors', async () => {
    const unknown = await kubectl('apply -f -', DEPLOY().replace('image: nginx:1.27', 'image: nginx:1.27\n        imagePullPolicyy: Always'));
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('strict decoding error: unknown field "spec.template.spec.containers[0].imagePullPolicyy"');
    // --validate=warn: the server drops the field and says so in a Warning header.
    const warned = await kubectl('create --dry-run=server --validate=warn -o json -f -', DEPLOY({ sidecar: false }).replace('name: web,', 'name: warned,').replace('image: nginx:1.27', 'image: nginx:1.27\n        imagePullPolicyy: Always'));
    expect(warned.err).toBe('Warning: unknown field "spec.template.spec.containers[0].imagePullPolicyy"\n');
    expect(JSON.parse(warned.out)).toMatchObject({ metadata: { name: 'warned' }, spec: { template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] } } } });
    expect(warned.out).not.toContain('imagePullPolicyy');
    expect(sim.store.get('apps/v1', 'Deployment', 'warned')).toBeUndefined();
    const type = await kubectl('create -f -', DEPLOY().replace('name: web,', 'name: typed,').replace('replicas: 2', 'replicas: two'));
    expect(type.err).toContain('cannot unmarshal string into Go struct field spec.replicas of type int32');
    const missing = await kubectl('create -f -', DEPLOY().replace('name: web,', 'name: noselector,').replace(/ {2}selector: .*\n/, ''));
    expect(missing.err).toContain('The Deployment "noselector" is invalid: spec.selector: Required value');
    const immutable = await kubectl('apply -f -', DEPLOY({ selector: 'other', sidecar: false }));
    expect(immutable.code).toBe(1);
    expect(immutable.err).toMatch(/The Deployment "web" is invalid: spec\.selector: Invalid value: .*field is immutable/);
  });

  it('applies server-side, explains fields from the OpenAPI schema, labels, scales, shows events and deletes', async () => {
    expect((await kubectl('apply --server-side -f -', DEPLOY({ env: 'b', sidecar: false }))).out).toBe('deployment.apps/web serverside-applied\n');
    const explain = await kubectl('explain deployment.spec.replicas');
    expect(explain.out).toMatch(/KIND:\s+Deployment\nVERSION:\s+v1\n+FIELD: replicas <integer>\n+DESCRIPTION:\n\s+Number of desired pods/);
    expect((await kubectl('label deploy web tier=front')).out).toBe('deployment.apps/web labeled\n');
    expect((await kubectl('get deploy -l tier=front -o name')).out).toBe('deployment.apps/web\n');
    expect((await kubectl('scale deploy web --replicas=3')).out).toBe('deployment.apps/web scaled\n');
    await until(() => sim.store.list('v1', 'Pod', 'default').length === 3);
    await until(() => sim.store.list('v1', 'Event', 'default').some((e) => (e as { message?: string }).message?.includes('to 3')));
    const events = await kubectl('get events');
    expect(events.out.split('\n')[0]).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/);
    expect(events.out).toMatch(/Normal\s+ScalingReplicaSet\s+deployment\/web\s+Scaled up replica set web-\w+ from 2 to 3/);
    const pod = sim.store.list('v1', 'Pod', 'default')[0]!.metadata.name;
    const describe = await kubectl(`describe pod ${pod}`);
    expect(describe.out).toMatch(/Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n[\s\S]*Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned default\/web-/);
    expect(describe.out).toMatch(/Normal\s+Started\s+\S+\s+kubelet\s+spec\.containers\{nginx\}: Started container nginx/);
    expect((await kubectl('delete deploy web')).out).toBe('deployment.apps "web" deleted from default namespace\n');
    expect((await kubectl('get deploy web')).err).toBe('Error from server (NotFound): deployments.apps "web" not found\n');
  });

  it('prints a CRD kind with its additionalPrinterColumns', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { kind: 'Widget', plural: 'widgets', singular: 'widget' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', required: ['size'], properties: { size: { type: 'integer' }, color: { type: 'string' } } } } } },
            additionalPrinterColumns: [
              { name: 'Size', type: 'integer', jsonPath: '.spec.size' },
              { name: 'Color', type: 'string', jsonPath: '.spec.color' },
            ],
          },
        ],
      },
    };
    expect((await kubectl('apply -f -', JSON.stringify(crd))).code).toBe(0);
    expect((await kubectl('apply -f -', JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3, color: 'red' } }))).out).toBe('widget.example.com/w1 created\n');
    expect((await kubectl('get widgets')).out).toMatch(/^NAME\s+SIZE\s+COLOR\nw1\s+3\s+red\n$/);
    const invalid = await kubectl('apply -f -', JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w2' }, spec: { color: 'blue' } }));
    expect(invalid.err).toContain('The Widget "w2" is invalid: spec.size: Required value');
  });

  it('helm installs, upgrades and uninstalls a local chart', async () => {
    const chart = join(dir, 'chart');
    await mkdir(join(chart, 'templates'), { recursive: true });
    await writeFile(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: demo\nversion: 0.1.0\nappVersion: "1.0"\n');
    await writeFile(join(chart, 'values.yaml'), 'replicas: 1\n');
    await writeFile(
      join(chart, 'templates', 'all.yaml'),
      [
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}-cfg}\ndata: {greeting: hello}\n---',
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: {{ .Release.Name }}-web}\nspec:\n  replicas: {{ .Values.replicas }}',
        '  selector: {matchLabels: {app: {{ .Release.Name }}}}\n  template:\n    metadata: {labels: {app: {{ .Release.Name }}}}',
        '    spec:\n      containers: [{name: web, image: nginx:1.27}]\n',
      ].join('\n'),
    );
    const install = await helm(`install demo ${chart}`);
    expect(install.out).toMatch(/STATUS: deployed\nREVISION: 1\n/);
    expect(sim.store.get('v1', 'Secret', 'sh.helm.release.v1.demo.v1')).toMatchObject({ type: 'helm.sh/release.v1' });
    expect((await helm(`upgrade demo ${chart} --set replicas=2`)).out).toMatch(/STATUS: deployed\nREVISION: 2\n/);
    expect((sim.store.get('apps/v1', 'Deployment', 'demo-web')!.spec as { replicas: number }).replicas).toBe(2);
    expect((await helm('list')).out).toMatch(/\ndemo\s+default\s+2\s+.*deployed\s+demo-0\.1\.0\s+1\.0/);
    expect((await helm('uninstall demo')).out).toBe('release "demo" uninstalled\n');
    expect(sim.store.get('apps/v1', 'Deployment', 'demo-web')).toBeUndefined();
    expect(sim.store.list('v1', 'Secret', 'default').map((s) => s.metadata.name)).toEqual([]);
  });
});
