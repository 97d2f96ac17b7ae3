/**
 * kind config rendering, pinned by golden files in fixtures/kind/. Run with UPDATE_GOLDEN=1 to
 * rewrite them after an intended change, then review the diff.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KindlabError } from '../../../src/core/errors.js';
import { clusterSchema, type ClusterSpec } from '../../../src/model/frontmatter-schema.js';
import { REGISTRY_CONFIG_PATCH, renderKindConfig, renderLabClusters } from '../../../src/platform/kind/config.js';
import { nodeLabelProblem } from '../../../src/platform/kind/node-labels.js';

const IMAGE = 'kindest/node:v1.35.8@sha256:07b2536e30b803ed61d1677a79df6115f798ce64c80f9e22f6ed45afd09323c0';
const fixtures = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'kind');

/** Front matter as a lab author writes it, through the real schema (defaults applied). */
const spec = (raw: unknown): ClusterSpec => clusterSchema.parse(raw);

function golden(name: string, actual: string): void {
  const file = join(fixtures, name);
  if (process.env.UPDATE_GOLDEN) writeFileSync(file, actual);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

describe('renderKindConfig golden files', () => {
  it('single cluster: one control-plane and two workers from the `workers` shorthand', () => {
    const r = renderKindConfig({ labId: 'l4-canary', cluster: spec({ workers: 2 }), nodeImage: IMAGE });
    expect(r.kindName).toBe('kindlab-l4-canary');
    expect(r.context).toBe('kind-kindlab-l4-canary');
    expect(r.nodes.map((n) => n.name)).toEqual(['kindlab-l4-canary-control-plane', 'kindlab-l4-canary-worker', 'kindlab-l4-canary-worker2']);
    golden('single.yaml', r.yaml);
  });

  it('ingress HA: node labels, roles applied later, port mappings on loopback by default', () => {
    const r = renderKindConfig({
      labId: 'ingress-ha',
      nodeImage: IMAGE,
      cluster: spec({
        nodes: [
          { role: 'control-plane', portMappings: [{ containerPort: 30080, hostPort: 8080 }] },
          { role: 'worker', labels: { 'lab.example.io/ingress': 'true', 'topology.kubernetes.io/zone': 'a' }, roles: ['ingress'] },
          { role: 'worker', labels: { 'lab.example.io/ingress': 'true', 'topology.kubernetes.io/zone': 'b' }, roles: ['ingress'] },
          {
            role: 'worker',
            labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': 'true' },
            portMappings: [{ containerPort: 30443, hostPort: 8443, listenAddress: '0.0.0.0', protocol: 'TCP' }],
          },
        ],
      }),
    });
    expect(r.nodes.map((n) => [n.name, n.roles])).toEqual([
      ['kindlab-ingress-ha-control-plane', []],
      ['kindlab-ingress-ha-worker', ['ingress']],
      ['kindlab-ingress-ha-worker2', ['ingress']],
      ['kindlab-ingress-ha-worker3', []],
    ]);
    // Roles never reach kind: the kubelet would refuse node-role.kubernetes.io labels.
    expect(r.yaml).not.toContain('node-role');
    golden('ingress-ha.yaml', r.yaml);
  });

  it('multicluster: named clusters with disjoint pod and service subnets', () => {
    const [c1, c2] = renderLabClusters(
      'mesh-mc',
      [
        spec({ name: 'c1', workers: 1, podSubnet: '10.10.0.0/16', serviceSubnet: '10.255.10.0/24', contextVar: 'CTX_CLUSTER1' }),
        spec({ name: 'c2', podSubnet: '10.20.0.0/16', serviceSubnet: '10.255.20.0/24', contextVar: 'CTX_CLUSTER2' }),
      ],
      IMAGE,
      false,
    );
    expect(c1?.kindName).toBe('kindlab-mesh-mc-c1');
    expect(c2?.context).toBe('kind-kindlab-mesh-mc-c2');
    golden('multicluster-c1.yaml', c1?.yaml ?? '');
    golden('multicluster-c2.yaml', c2?.yaml ?? '');
  });

  it('registry mirrors: containerd reads hosts.toml from /etc/containerd/certs.d', () => {
    const r = renderKindConfig({ labId: 'offline', cluster: spec({ workers: 1 }), nodeImage: IMAGE, mirrors: true });
    const cfg = parse(r.yaml) as { containerdConfigPatches: string[] };
    expect(cfg.containerdConfigPatches).toEqual([REGISTRY_CONFIG_PATCH]);
    expect(REGISTRY_CONFIG_PATCH).toContain('config_path = "/etc/containerd/certs.d"');
    golden('mirrors.yaml', r.yaml);
  });

  it('renders what kind reads: apiVersion, kind, name and the image on every node', () => {
    const cfg = parse(renderKindConfig({ labId: 'x1', cluster: spec({ workers: 1 }), nodeImage: IMAGE }).yaml) as Record<string, unknown>;
    expect(cfg).toMatchObject({ kind: 'Cluster', apiVersion: 'kind.x-k8s.io/v1alpha4', name: 'kindlab-x1' });
    expect((cfg.nodes as Array<{ image: string }>).every((n) => n.image === IMAGE)).toBe(true);
    expect(cfg).not.toHaveProperty('networking');
  });
});

describe('node labels the kubelet would refuse', () => {
  it.each([
    ['node-role.kubernetes.io/ingress', /roles/],
    ['kubernetes.io/role', /kubelet only accepts/],
    ['k8s.io/foo', /kubelet only accepts/],
    ['example.k8s.io/foo', /kubelet only accepts/],
    ['node-restriction.kubernetes.io/team', /kubelet only accepts/],
  ])('refuses %s', (key, why) => {
    expect(nodeLabelProblem(key)).toMatch(why);
  });

  it.each([
    'node.kubernetes.io/exclude-from-external-load-balancers',
    'topology.kubernetes.io/zone',
    'kubelet.kubernetes.io/x',
    'foo.node.kubernetes.io/bar',
    'lab.example.io/ingress',
    'ingress-ready',
    'kubernetes.io.example.com/x',
  ])('allows %s', (key) => {
    expect(nodeLabelProblem(key)).toBeUndefined();
  });

  it('the renderer names the cluster and node and says why', () => {
    const render = () =>
      renderKindConfig({
        labId: 'lab3',
        nodeImage: IMAGE,
        cluster: spec({ nodes: [{ role: 'control-plane' }, { role: 'worker', labels: { 'node-role.kubernetes.io/ingress': 'true' } }] }),
      });
    expect(render).toThrow(KindlabError);
    expect(render).toThrow(/lab lab3 node 2: node label "node-role.kubernetes.io\/ingress" cannot be set by kind.*`roles:`/);
  });
});

describe('lab-level checks', () => {
  it('refuses kind names over 50 characters', () => {
    expect(() =>
      renderKindConfig({ labId: 'a-very-long-lab-identifier-for-tests', cluster: spec({ name: 'cluster-number-1' }), nodeImage: IMAGE }),
    ).toThrow(/is 61 characters; kind allows 50/);
  });

  it('refuses an image without a digest', () => {
    expect(() => renderKindConfig({ labId: 'x1', cluster: spec({}), nodeImage: 'kindest/node:v1.35.8' })).toThrow(/not pinned by digest/);
  });

  it('needs names when a lab has several clusters, and unique ones', () => {
    expect(() => renderLabClusters('mc', [spec({ name: 'c1' }), spec({})], IMAGE, false)).toThrow(/cluster 2 needs a name/);
    expect(() => renderLabClusters('mc', [spec({ name: 'c1' }), spec({ name: 'c1' })], IMAGE, false)).toThrow(/two clusters are named "c1"/);
    expect(() =>
      renderLabClusters('mc', [spec({ name: 'c1', contextVar: 'CTX' }), spec({ name: 'c2', contextVar: 'CTX' })], IMAGE, false),
    ).toThrow(/contextVar CTX/);
  });

  it('needs a control-plane node', () => {
    expect(() => renderKindConfig({ labId: 'x1', cluster: spec({ nodes: [{ role: 'worker' }] }), nodeImage: IMAGE })).toThrow(/control-plane/);
  });
});
