/**
 * The simulated API server over raw HTTP: status codes, Status bodies and API semantics that
 * clients (client-node, the fake kubectl) and kindlab's error handling depend on.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSimCluster, type Sim } from './apiserver.js';

let sim: Sim;
beforeEach(async () => {
  sim = await startSimCluster();
});
afterEach(async () => {
  await sim.stop();
});

interface Reply {
  status: number;
  body: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON under test
}

async function api(method: string, path: string, body?: unknown, contentType = 'application/json', token: string | null = 'sim'): Promise<Reply> {
  const res = await fetch(sim.url + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': contentType } : {}) },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

const cm = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...extra }, data: { a: '1' } });
const CMS = '/api/v1/namespaces/default/configmaps';
const DEPLOYS = '/apis/apps/v1/namespaces/default/deployments';

function deployment(name: string, replicas = 1) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
  };
}

describe('discovery', () => {
  it('describes groups, versions and resources with their subresources', async () => {
    expect((await api('GET', '/api')).body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const groups = (await api('GET', '/apis')).body.groups as Array<{ name: string; versions: Array<{ version: string }>; preferredVersion: { version: string } }>;
    const istio = groups.find((g) => g.name === 'networking.istio.io');
    expect(istio?.versions.map((v) => v.version)).toEqual(['v1', 'v1beta1', 'v1alpha3']);
    expect(istio?.preferredVersion.version).toBe('v1');
    expect(groups.map((g) => g.name)).toEqual(expect.arrayContaining(['apps', 'batch', 'gateway.networking.k8s.io', 'security.istio.io', 'metallb.io', 'certificates.k8s.io']));

    const apps = (await api('GET', '/apis/apps/v1')).body;
    const names = (apps.resources as Array<{ name: string }>).map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(['deployments', 'deployments/status', 'deployments/scale', 'daemonsets/status', 'statefulsets/scale']));
    const core = (await api('GET', '/api/v1')).body.resources as Array<{ name: string; namespaced: boolean; shortNames?: string[] }>;
    expect(core.find((r) => r.name === 'pods/exec')).toBeTruthy();
    expect(core.find((r) => r.name === 'nodes')?.namespaced).toBe(false);
    expect(core.find((r) => r.name === 'services')?.shortNames).toEqual(['svc']);

    expect((await api('GET', '/apis/example.com/v1')).status).toBe(404);
    expect((await api('GET', '/version')).body.gitVersion).toBe('v1.35.8');
  });

  it('refuses API requests without credentials, like an API server without anonymous access', async () => {
    const r = await api('GET', CMS, undefined, undefined, null);
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
  });
});

describe('create, read, update', () => {
  it('creates with server-set metadata and refuses duplicates with an AlreadyExists Status', async () => {
    const created = await api('POST', CMS, cm('one'));
    expect(created.status).toBe(201);
    expect(created.body.metadata).toMatchObject({ name: 'one', namespace: 'default', generation: 1 });
    expect(created.body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const again = await api('POST', CMS, cm('one'));
    expect(again.status).toBe(409);
    expect(again.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'configmaps "one" already exists',
      reason: 'AlreadyExists',
      details: { name: 'one', group: '', kind: 'configmaps' },
      code: 409,
    });
    const generated = await api('POST', CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } });
    expect(generated.body.metadata.name).toMatch(/^gen-[a-z0-9]{5}$/);
  });

  it('refuses objects in a missing namespace and invalid names', async () => {
    const missing = await api('POST', '/api/v1/namespaces/nowhere/configmaps', cm('x'));
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe('namespaces "nowhere" not found');
    const bad = await api('POST', CMS, cm('Not_Valid'));
    expect(bad.status).toBe(422);
    expect(bad.body.reason).toBe('Invalid');
    expect(bad.body.message).toMatch(/ConfigMap "Not_Valid" is invalid: metadata.name/);
    const mismatch = await api('POST', CMS, cm('x', { namespace: 'kube-system' }));
    expect(mismatch.status).toBe(400);
  });

  it('gives a new namespace its default ServiceAccount and name label', async () => {
    await api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
    const ns = (await api('GET', '/api/v1/namespaces/team')).body;
    expect(ns.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'team' });
    expect(ns.status).toEqual({ phase: 'Active' });
    expect((await api('GET', '/api/v1/namespaces/team/serviceaccounts/default')).status).toBe(200);
  });

  it('keeps fields a kind inherits from a shared type (HTTPRoute parentRefs, backendRef name and port) and prunes unknown ones', async () => {
    const route = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'r' },
      spec: { parentRefs: [{ name: 'gw' }], hostnames: ['a.io'], rules: [{ backendRefs: [{ name: 'svc', port: 80, weight: 5 }] }], bogus: 1 },
    };
    const r = await api('POST', '/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes', route);
    expect(r.status).toBe(201);
    expect(r.body.spec).toEqual({ parentRefs: [{ name: 'gw' }], hostnames: ['a.io'], rules: [{ backendRefs: [{ name: 'svc', port: 80, weight: 5 }] }] });
  });

  it('rejects a PUT with a stale resourceVersion and bumps generation only for spec changes', async () => {
    const created = (await api('POST', DEPLOYS, deployment('web'))).body;
    const rv = created.metadata.resourceVersion;
    const labelled = await api('PUT', `${DEPLOYS}/web`, { ...created, metadata: { ...created.metadata, labels: { app: 'web', tier: 'x' } } });
    expect(labelled.status).toBe(200);
    expect(labelled.body.metadata.generation).toBe(1);
    const stale = await api('PUT', `${DEPLOYS}/web`, { ...created, metadata: { ...created.metadata, resourceVersion: rv } });
    expect(stale.status).toBe(409);
    expect(stale.body.message).toBe('Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again');
    const scaled = await api('PUT', `${DEPLOYS}/web`, { ...labelled.body, spec: { ...labelled.body.spec, replicas: 3 } });
    expect(scaled.body.metadata.generation).toBe(2);
  });

  it('keeps status and spec apart: the main resource ignores status, the status subresource ignores spec', async () => {
    const created = (await api('POST', DEPLOYS, { ...deployment('web'), status: { replicas: 9 } })).body;
    expect(created.status).toBeUndefined();
    const viaMain = await api('PUT', `${DEPLOYS}/web`, { ...created, status: { replicas: 5 } });
    expect(viaMain.body.status).toBeUndefined();
    const viaStatus = await api('PUT', `${DEPLOYS}/web/status`, { ...viaMain.body, spec: { ...viaMain.body.spec, replicas: 7 }, status: { replicas: 1 } });
    expect(viaStatus.body.status).toEqual({ replicas: 1 });
    expect(viaStatus.body.spec.replicas).toBe(1);
    const patched = await api('PATCH', `${DEPLOYS}/web/status`, { status: { readyReplicas: 1 } }, 'application/merge-patch+json');
    expect(patched.body.status).toEqual({ replicas: 1, readyReplicas: 1 });
  });

  it('does not change resourceVersion for a write that changes nothing', async () => {
    const created = (await api('POST', CMS, cm('same'))).body;
    const again = await api('PUT', `${CMS}/same`, created);
    expect(again.body.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
  });

  it('defaults Services and Secrets like an API server', async () => {
    const svc = (await api('POST', '/api/v1/namespaces/default/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80 }] } })).body;
    expect(svc.spec.clusterIP).toMatch(/^10\.96\.\d+\.\d+$/);
    expect(svc.spec.ports[0]).toMatchObject({ port: 80, targetPort: 80, protocol: 'TCP' });
    expect(svc.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
    // A replace without the allocated fields keeps them.
    const replaced = (await api('PUT', '/api/v1/namespaces/default/services/web', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80 }] } })).body;
    expect(replaced.spec.clusterIP).toBe(svc.spec.clusterIP);
    expect(replaced.spec.ports[0].nodePort).toBe(svc.spec.ports[0].nodePort);

    const secret = (await api('POST', '/api/v1/namespaces/default/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { user: 'admin' } })).body;
    expect(secret).toMatchObject({ type: 'Opaque', data: { user: Buffer.from('admin').toString('base64') } });
    expect(secret.stringData).toBeUndefined();
  });
});

describe('patch', () => {
  it('merge-patches (null deletes) and treats strategic merge patch as a merge patch', async () => {
    await api('POST', CMS, { ...cm('p'), data: { a: '1', b: '2' } });
    const merged = await api('PATCH', `${CMS}/p`, { data: { b: null, c: '3' } }, 'application/merge-patch+json');
    expect(merged.body.data).toEqual({ a: '1', c: '3' });
    const strategic = await api('PATCH', `${CMS}/p`, { metadata: { labels: { x: 'y' } } }, 'application/strategic-merge-patch+json');
    expect(strategic.body.metadata.labels).toEqual({ x: 'y' });
    expect((await api('PATCH', `${CMS}/absent`, { data: {} }, 'application/merge-patch+json')).status).toBe(404);
    expect((await api('PATCH', `${CMS}/p`, { data: {} }, 'text/plain')).status).toBe(415);
  });

  it('applies JSON patches and refuses ones whose test fails', async () => {
    await api('POST', DEPLOYS, deployment('j'));
    const ok = await api(
      'PATCH',
      `${DEPLOYS}/j`,
      [
        { op: 'add', path: '/spec/template/spec/containers/0/args', value: ['--a'] },
        { op: 'add', path: '/spec/template/spec/containers/0/args/-', value: '--b' },
        { op: 'replace', path: '/spec/replicas', value: 2 },
      ],
      'application/json-patch+json',
    );
    expect(ok.body.spec.template.spec.containers[0].args).toEqual(['--a', '--b']);
    expect(ok.body.spec.replicas).toBe(2);
    const failed = await api('PATCH', `${DEPLOYS}/j`, [{ op: 'test', path: '/spec/replicas', value: 5 }], 'application/json-patch+json');
    expect(failed.status).toBe(422);
  });

  it('server-side apply creates, merges, needs a field manager and reports conflicts unless forced', async () => {
    const path = `${CMS}/ssa?fieldManager=alice`;
    const created = await api('PATCH', path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa' }, data: { a: '1' } }, 'application/apply-patch+yaml');
    expect(created.status).toBe(201);
    // YAML bodies are accepted, as kubectl sends them.
    const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  b: "2"\n';
    const bob = await api('PATCH', `${CMS}/ssa?fieldManager=bob`, yaml, 'application/apply-patch+yaml');
    expect(bob.status).toBe(200);
    expect(bob.body.data).toEqual({ a: '1', b: '2' });

    const conflict = await api('PATCH', `${CMS}/ssa?fieldManager=bob`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa' }, data: { a: 'bob', b: '2' } }, 'application/apply-patch+yaml');
    expect(conflict.status).toBe(409);
    expect(conflict.body.message).toBe('Apply failed with 1 conflict: conflict with "alice": .data.a');
    const forced = await api('PATCH', `${CMS}/ssa?fieldManager=bob&force=true`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa' }, data: { a: 'bob', b: '2' } }, 'application/apply-patch+yaml');
    expect(forced.body.data).toEqual({ a: 'bob', b: '2' });
    const managers = (forced.body.metadata.managedFields as Array<{ manager: string; fieldsV1: unknown }>).map((m) => m.manager);
    expect(managers).toEqual(['bob']); // alice lost her only field

    const noManager = await api('PATCH', `${CMS}/ssa`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa' } }, 'application/apply-patch+yaml');
    expect(noManager.status).toBe(422);
  });

  it('reads and writes the scale subresource', async () => {
    await api('POST', DEPLOYS, deployment('s', 2));
    const scale = await api('GET', `${DEPLOYS}/s/scale`);
    expect(scale.body).toMatchObject({ apiVersion: 'autoscaling/v1', kind: 'Scale', spec: { replicas: 2 }, status: { replicas: 0, selector: 'app=s' } });
    await api('PATCH', `${DEPLOYS}/s/scale`, { spec: { replicas: 4 } }, 'application/merge-patch+json');
    expect((await api('GET', `${DEPLOYS}/s`)).body.spec.replicas).toBe(4);
  });
});

describe('delete', () => {
  it('returns a Success Status, and 404 when already gone', async () => {
    await api('POST', CMS, cm('d'));
    const gone = await api('DELETE', `${CMS}/d`);
    expect(gone.body).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'd', kind: 'configmaps' } });
    expect((await api('DELETE', `${CMS}/d`)).status).toBe(404);
  });

  it('deleting a namespace deletes what is in it; deleting an owner deletes what it owns', async () => {
    await api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tmp' } });
    await api('POST', '/api/v1/namespaces/tmp/configmaps', cm('inside'));
    await api('DELETE', '/api/v1/namespaces/tmp');
    expect(sim.store.list('v1', 'ConfigMap', 'tmp')).toEqual([]);

    const owner = sim.store.create(cm('owner'));
    const ownerRef = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid!, controller: true };
    sim.store.create(cm('child', { ownerReferences: [ownerRef] }));
    sim.store.create(cm('orphan-to-be', { ownerReferences: [ownerRef] }));
    await api('DELETE', `${CMS}/child`);
    await api('DELETE', `${CMS}/owner?propagationPolicy=Orphan`);
    expect(sim.store.get('v1', 'ConfigMap', 'orphan-to-be')).toBeDefined();

    const owner2 = sim.store.create(cm('owner2'));
    sim.store.create(cm('child2', { ownerReferences: [{ ...ownerRef, name: 'owner2', uid: owner2.metadata.uid! }] }));
    await api('DELETE', `${CMS}/owner2`);
    expect(sim.store.get('v1', 'ConfigMap', 'child2')).toBeUndefined();
  });
});

describe('list and watch', () => {
  it('lists without apiVersion/kind on items, with the list resourceVersion, and refuses bad selectors', async () => {
    await api('POST', CMS, cm('l1', { labels: { app: 'a' } }));
    const list = (await api('GET', `${CMS}?labelSelector=${encodeURIComponent('app in (a,b)')}`)).body;
    expect(list.kind).toBe('ConfigMapList');
    expect(list.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['l1']);
    expect(list.items[0].kind).toBeUndefined();
    expect(Number(list.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(list.items[0].metadata.resourceVersion));
    expect((await api('GET', `${CMS}?labelSelector=${encodeURIComponent('app in a')}`)).status).toBe(400);
    const pods = await api('GET', `/api/v1/pods?fieldSelector=${encodeURIComponent('spec.nodeName=n1,status.phase!=Failed')}`);
    expect(pods.status).toBe(200);
  });

  /** Reads newline-delimited watch events until `count` arrived. */
  async function readEvents(res: Response, count: number): Promise<Array<{ type: string; object: { metadata: { name: string; labels?: Record<string, string> }; code?: number } }>> {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const events = [];
    while (events.length < count) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buffer.slice(0, nl)));
        buffer = buffer.slice(nl + 1);
      }
    }
    await reader.cancel();
    return events;
  }

  it('streams events from a resourceVersion, turning selector transitions into ADDED/DELETED', async () => {
    const first = (await api('POST', CMS, cm('w1', { labels: { app: 'w' } }))).body;
    await api('POST', CMS, cm('w2', { labels: { app: 'other' } }));
    const res = await fetch(`${sim.url}${CMS}?watch=1&labelSelector=app%3Dw&resourceVersion=${first.metadata.resourceVersion}`, { headers: { authorization: 'Bearer t' } });
    expect(res.status).toBe(200);
    await api('PATCH', `${CMS}/w2`, { metadata: { labels: { app: 'w' } } }, 'application/merge-patch+json');
    await api('PATCH', `${CMS}/w1`, { metadata: { labels: { app: 'gone' } } }, 'application/merge-patch+json');
    const events = await readEvents(res, 2);
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED w2', 'DELETED w1']);
  });

  it('sends current objects first without a resourceVersion, and 410 Expired for a compacted one', async () => {
    await api('POST', CMS, cm('now', { labels: { app: 'n' } }));
    const fresh = await fetch(`${sim.url}${CMS}?watch=true&labelSelector=app%3Dn`, { headers: { authorization: 'Bearer t' } });
    expect((await readEvents(fresh, 1)).map((e) => e.type)).toEqual(['ADDED']);

    await api('POST', CMS, cm('later'));
    sim.store.objects.compact();
    const old = await fetch(`${sim.url}${CMS}?watch=true&resourceVersion=1`, { headers: { authorization: 'Bearer t' } });
    const [event] = await readEvents(old, 1);
    expect(event?.type).toBe('ERROR');
    expect(event?.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  });

  it('ends open watches when the server stops', async () => {
    const res = await fetch(`${sim.url}${CMS}?watch=true`, { headers: { authorization: 'Bearer t' } });
    const reading = res.text().then(() => 'ended', () => 'ended');
    await sim.stop();
    expect(await reading).toBe('ended');
    sim = await startSimCluster(); // for afterEach
  });
});

describe('sim control', () => {
  it('keeps clusters apart and records requests', async () => {
    const seen: string[] = [];
    sim.on('request', (r: { method: string; path: string }) => seen.push(`${r.method} ${r.path}`));
    sim.createCluster('other');
    await fetch(`${sim.url}/clusters/other${CMS}`, { method: 'POST', headers: { authorization: 'Bearer t', 'content-type': 'application/json' }, body: JSON.stringify(cm('there')) });
    expect(sim.cluster('other').get('v1', 'ConfigMap', 'there')).toBeDefined();
    expect(sim.store.get('v1', 'ConfigMap', 'there')).toBeUndefined();
    expect((await fetch(`${sim.url}/clusters/nope/api`)).status).toBe(404);
    expect(seen).toContain(`POST ${CMS}`);
    const recorded = sim.requests.find((r) => r.cluster === 'other' && r.method === 'POST');
    expect(recorded?.body).toMatchObject({ metadata: { name: 'there' } });
  });

  it('runs exec and logs through the handlers, with the API server errors for bad targets', async () => {
    sim.addNodes('default', [{ name: 'n1', role: 'control-plane' }]);
    sim.store.create(
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'two', namespace: 'default' }, spec: { nodeName: 'n1', containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] }, status: { phase: 'Running' } },
      { keepStatus: true },
    );
    sim.onExec = (r) => ({ stdout: `${r.pod}/${r.container}: ${r.command.join(' ')}`, exitCode: 2 });
    sim.onLogs = (r) => `log of ${r.pod}/${r.container}\n`;
    const exec = (body: unknown) => api('POST', '/_sim/exec', body);
    expect((await exec({ pod: 'two', container: 'b', command: ['ls'] })).body).toEqual({ stdout: 'two/b: ls', stderr: '', exitCode: 2 });
    expect((await exec({ pod: 'two', command: ['ls'] })).body.message).toBe('a container name must be specified for pod two, choose one of: [a b]');
    expect((await exec({ pod: 'ghost', command: ['ls'] })).status).toBe(404);
    expect((await exec({ node: 'n1', command: ['crictl', 'ps'] })).body.stdout).toBe('undefined/undefined: crictl ps');

    const log = await fetch(`${sim.url}/api/v1/namespaces/default/pods/two/log?container=a`, { headers: { authorization: 'Bearer t' } });
    expect(await log.text()).toBe('log of two/a\n');
  });
});

describe('HTTPS', () => {
  /** A GET over HTTPS with the sim's CA, and optionally a client certificate or token. */
  async function secureGet(path: string, auth: { cert?: string; key?: string; token?: string } = {}): Promise<number> {
    const { request } = await import('node:https');
    return new Promise((done, fail) => {
      const req = request(`${sim.secureUrl}${path}`, { ca: sim.credentials().caPem, ...(auth.cert ? { cert: auth.cert, key: auth.key } : {}), headers: auth.token ? { authorization: `Bearer ${auth.token}` } : {} }, (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0));
      });
      req.on('error', fail);
      req.end();
    });
  }

  it('accepts the admin client certificate and the sim token, refuses other tokens and certificates of a CA the cluster does not trust', async () => {
    const { issueCertificate } = await import('./behaviour/x509.js');
    const admin = sim.credentials();
    expect(await secureGet('/api/v1/namespaces', { cert: admin.certPem, key: admin.keyPem })).toBe(200);
    expect(await secureGet('/api/v1/namespaces', { token: 'kindlab-sim-token' })).toBe(200);
    expect(await secureGet('/api/v1/namespaces', { token: 'guessed' })).toBe(401);
    expect(await secureGet('/api/v1/namespaces')).toBe(401);
    const notBefore = new Date(Date.now() - 60_000);
    const notAfter = new Date(Date.now() + 3600_000);
    const otherCa = issueCertificate({ subject: { CN: 'kubernetes' }, ca: true, notBefore, notAfter });
    const stranger = issueCertificate({ subject: { CN: 'kubernetes-admin', O: ['kubeadm:cluster-admins'] }, usages: ['client'], issuer: otherCa, notBefore, notAfter });
    expect(await secureGet('/api/v1/namespaces', { cert: stranger.certPem, key: stranger.keyPem })).toBe(401);
    sim.store.trustedClientCas.add(otherCa.certPem);
    expect(await secureGet('/api/v1/namespaces', { cert: stranger.certPem, key: stranger.keyPem })).toBe(200);
  });

  it('serves OpenAPI v3 per group version with hashed URLs, and refuses v2 as protobuf', async () => {
    const discovery = (await api('GET', '/openapi/v3')).body as { paths: Record<string, { serverRelativeURL: string }> };
    const apps = discovery.paths['apis/apps/v1']!.serverRelativeURL;
    expect(apps).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]+$/);
    const doc = (await api('GET', apps)).body as { paths: Record<string, { patch?: { parameters: Array<{ name: string }> } }>; components: { schemas: Record<string, { properties?: Record<string, Record<string, unknown>> }> } };
    expect(doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']!.patch!.parameters.map((p) => p.name)).toContain('fieldValidation');
    expect(doc.components.schemas['io.k8s.api.core.v1.PodSpec']!.properties!.containers).toMatchObject({ 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge' });
    const stale = await fetch(`${sim.url}/openapi/v3/apis/apps/v1?hash=OLD`, { headers: { authorization: 'Bearer t' }, redirect: 'manual' });
    expect([stale.status, stale.headers.get('location')]).toEqual([301, apps]);
    const v2 = await fetch(`${sim.url}/openapi/v2`, { headers: { authorization: 'Bearer t', accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' } });
    expect(v2.status).toBe(406);
  });
});
