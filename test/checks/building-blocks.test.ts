import { describe, expect, it } from 'vitest';
import { availableKeys, lookupPath, parsePath } from '../../src/checks/paths.js';
import { parseSelector, selectorMatches, selectorToString } from '../../src/checks/label-selector.js';
import { interpolateDeep, makeLookup, UnknownVariableError } from '../../src/checks/interpolate.js';
import { compare, describeComparison } from '../../src/checks/compare.js';
import { judgeShare } from '../../src/checks/share.js';
import { resolveKind } from '../../src/checks/well-known-kinds.js';

describe('dotted paths', () => {
  const data = { status: { loadBalancer: { ingress: [{ ip: '172.18.0.9' }] } }, metadata: { annotations: { 'sidecar.istio.io/status': 'x' } } };
  it('reads fields, indexes and keys with dots', () => {
    expect(lookupPath(data, 'status.loadBalancer.ingress[0].ip').value).toBe('172.18.0.9');
    expect(lookupPath(data, 'status.loadBalancer.ingress.0.ip').value).toBe('172.18.0.9');
    expect(lookupPath(data, 'metadata.annotations["sidecar.istio.io/status"]').value).toBe('x');
    expect(lookupPath(data, 'metadata.annotations.sidecar\\.istio\\.io/status').value).toBe('x');
    expect(lookupPath(data, 'status.loadBalancer.ingress[1].ip')).toEqual({ found: false, value: undefined });
    expect(parsePath('a[\'b.c\'][2]')).toEqual(['a', 'b.c', 2]);
  });
  it('suggests the keys where a wrong path stops', () => {
    expect(availableKeys(data, 'status.loadBalancer.ingres[0]')).toEqual({ at: 'status.loadBalancer', keys: ['ingress'] });
  });
  it('rejects a malformed bracket', () => {
    expect(() => parsePath('a[x]')).toThrow(/neither an index nor a quoted key/);
  });
});

describe('label selectors', () => {
  const labels = { app: 'nginx', track: 'new', 'node-role.kubernetes.io/ingress': 'true' };
  it.each([
    ['app=nginx', true],
    ['app==nginx,track=new', true],
    ['app=nginx,track!=new', false],
    ['track in (old, new)', true],
    ['track notin (new)', false],
    ['node-role.kubernetes.io/ingress', true],
    ['!node-role.kubernetes.io/control-plane', true],
    ['!app', false],
    ['missing!=x', true],
    ['', true],
  ])('%s → %s', (sel, want) => expect(selectorMatches(sel, labels)).toBe(want));
  it('writes a structured selector as a string', () => {
    expect(selectorToString({ matchLabels: { app: 'reviews' }, matchExpressions: [{ key: 'version', operator: 'In', values: ['v1', 'v3'] }, { key: 'canary', operator: 'DoesNotExist' }] })).toBe(
      'app=reviews,version in (v1,v3),!canary',
    );
  });
  it('names an unreadable term', () => {
    expect(() => parseSelector('app in nginx')).toThrow(/cannot read "app in nginx"/);
  });
});

describe('interpolation', () => {
  const lookup = makeLookup({ GATEWAY_IP: '172.18.0.20' }, { CTX_CLUSTER1: 'kind-c1' });
  it('replaces variables in nested strings, from vars then the environment', () => {
    expect(interpolateDeep({ url: 'http://${GATEWAY_IP}/productpage', headers: { Host: 'x' }, list: ['${CTX_CLUSTER1}'] }, lookup)).toEqual({
      url: 'http://172.18.0.20/productpage',
      headers: { Host: 'x' },
      list: ['kind-c1'],
    });
  });
  it('keeps $${X} as a literal ${X}', () => {
    expect(interpolateDeep('a $${GATEWAY_IP} b', lookup)).toBe('a ${GATEWAY_IP} b');
  });
  it('names every unknown variable and where it is', () => {
    let error: unknown;
    try {
      interpolateDeep({ url: 'http://${GATEWAY}/', expect: { body: '${OTHER}' } }, lookup);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnknownVariableError);
    expect((error as Error).message).toBe('unknown variables ${GATEWAY}, ${OTHER} in url, expect.body');
  });
  it('never pastes values into shell fields: the references stay for the shell, only $${ is unescaped', () => {
    expect(interpolateDeep({ run: 'echo ${GATEWAY_IP} ${i} $${GATEWAY_IP}', url: 'http://${GATEWAY_IP}/' }, lookup, { shellFields: ['run'] })).toEqual({
      run: 'echo ${GATEWAY_IP} ${i} ${GATEWAY_IP}',
      url: 'http://172.18.0.20/',
    });
  });
});

describe('comparisons and shares', () => {
  it('applies every bound', () => {
    expect(compare(3, { gt: 0 })).toBe(true);
    expect(compare(0, { gt: 0 })).toBe(false);
    expect(compare(5, { gte: 2, lte: 5 })).toBe(true);
    expect(compare(6, { gte: 2, lte: 5 })).toBe(false);
    expect(compare(Number.NaN, { lt: 1 })).toBe(false);
    expect(describeComparison({ gte: 2, lt: 5 })).toBe('≥ 2 and < 5');
  });
  it('judges a numeric share with a binomial test and bounds as written', () => {
    expect(judgeShare(50, 100, 0.5, 0.999).pass).toBe(true);
    expect(judgeShare(35, 100, 0.5, 0.999).pass).toBe(true);
    expect(judgeShare(30, 100, 0.5, 0.999).pass).toBe(false);
    expect(judgeShare(0, 100, 0, 0.999).pass).toBe(true);
    expect(judgeShare(1, 100, 0, 0.999).pass).toBe(false);
    expect(judgeShare(99, 100, 1, 0.999).pass).toBe(false);
    expect(judgeShare(5, 100, { max: 0.05 }, 0.999).pass).toBe(true);
    expect(judgeShare(6, 100, { max: 0.05 }, 0.999).pass).toBe(false);
    expect(judgeShare(50, 100, 0.5, 0.999).expected).toBe('about 50% (two-sided binomial test at 99.9% confidence: 34–66 of 100 pass)');
  });
});

describe('well-known kinds', () => {
  it('fills in apiVersion and scope, and asks for apiVersion when ambiguous or unknown', () => {
    expect(resolveKind('deployment')).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', namespaced: true });
    expect(resolveKind('Node')).toEqual({ apiVersion: 'v1', kind: 'Node', namespaced: false });
    expect(() => resolveKind('Gateway')).toThrow(/give apiVersion \(gateway\.networking\.k8s\.io\/v1 or networking\.istio\.io\/v1\)/);
    expect(() => resolveKind('Certificate')).toThrow(/give apiVersion for kind Certificate/);
    expect(resolveKind('Gateway', 'networking.istio.io/v1').apiVersion).toBe('networking.istio.io/v1');
  });
});
