import { describe, expect, it } from 'vitest';
import { formatDifference, partialMatch } from '../../src/checks/partial-match.js';
import { fixtureJson } from './helpers.js';

const diffs = (expected: unknown, actual: unknown) => partialMatch(expected, actual).map(formatDifference);

describe('partialMatch', () => {
  const svc = fixtureJson('service-nginx-lb.json');

  it('accepts a subset of a map and reports a wrong scalar with its path', () => {
    expect(diffs({ spec: { type: 'LoadBalancer', selector: { app: 'nginx' } } }, svc)).toEqual([]);
    expect(diffs({ spec: { selector: { app: 'web' } } }, svc)).toEqual(['spec.selector.app: expected "web", found "nginx"']);
  });

  it('reports a missing field as found nothing', () => {
    expect(diffs({ spec: { loadBalancerIP: '1.2.3.4' } }, svc)).toEqual(['spec.loadBalancerIP: expected "1.2.3.4", found nothing']);
  });

  it('null means the field must be absent (a selector with only app)', () => {
    expect(diffs({ spec: { selector: { track: null } } }, svc)).toEqual([]);
    expect(diffs({ spec: { selector: { app: null } } }, svc)).toEqual(['spec.selector.app: expected no value, found "nginx"']);
  });

  it('matches list items in any order and names the closest item when none matches', () => {
    const vs = fixtureJson('virtualservice-reviews-80-20.json');
    const route = (v1: number, v3: number) => ({ spec: { http: [{ route: [{ destination: { subset: 'v3' }, weight: v3 }, { destination: { subset: 'v1' }, weight: v1 }] }] } });
    expect(diffs(route(80, 20), vs)).toEqual([]);
    const out = diffs(route(50, 50), vs);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^spec\.http\[0\]\.route\[1\]\.weight: expected 50, found 20/);
    expect(out[1]).toMatch(/^spec\.http\[0\]\.route\[0\]\.weight: expected 50, found 80/);
  });

  it('compares scalars by text, so annotation strings match numbers and booleans', () => {
    const ing = fixtureJson('ingress-canary.json');
    const annotations = { 'nginx.ingress.kubernetes.io/canary': true, 'nginx.ingress.kubernetes.io/canary-weight': 50 };
    expect(diffs({ metadata: { annotations } }, ing)).toEqual([]);
    expect(diffs({ metadata: { annotations: { 'nginx.ingress.kubernetes.io/canary-weight': 20 } } }, ing)).toEqual([
      'metadata.annotations["nginx.ingress.kubernetes.io/canary-weight"]: expected 20, found "50"',
    ]);
  });

  it('matches /regex/ strings by pattern', () => {
    expect(diffs({ status: { loadBalancer: { ingress: [{ ip: '/^172\\.18\\./' }] } } }, svc)).toEqual([]);
    expect(diffs({ status: { loadBalancer: { ingress: [{ ip: '/^10\\./' }] } } }, svc)[0]).toMatch(/ip: expected "\/\^10\\\\.\/", found "172.18.0.9"/);
  });

  it('does not let a scalar stand for an object or a list', () => {
    expect(diffs({ spec: 'x' }, svc)[0]).toMatch(/^spec: expected "x", found \{/);
    expect(diffs({ spec: { ports: { port: 80 } } }, svc)[0]).toMatch(/^spec\.ports: expected an object, found \[/);
    expect(diffs({ spec: { ports: [{ port: 81 }] } }, { spec: { ports: [] } })[0]).toMatch(/found an empty list/);
  });

  it('treats numbers and booleans of the same type strictly', () => {
    expect(diffs({ a: 1 }, { a: 1.5 })).toEqual(['a: expected 1, found 1.5']);
    expect(diffs({ a: false }, { a: true })).toEqual(['a: expected false, found true']);
  });
});

describe('partialMatch pairs list items one-to-one', () => {
  const route = (...weights: number[]) => ({ spec: { rules: [{ backendRefs: weights.map((weight) => ({ weight })) }] } });

  it('two expected items of weight 50 need two observed items of weight 50', () => {
    expect(diffs(route(50, 50), route(50, 50))).toEqual([]);
    expect(diffs(route(50, 50), route(50, 100))).toEqual([
      'spec.rules[0].backendRefs[1].weight: expected 50, found 100 (expected item 2 matches only items of spec.rules[0].backendRefs already paired with other expected items)',
    ]);
    expect(diffs(route(50, 50), route(50))[0]).toMatch(/expected \{"weight":50\} as its own item, but each of the 1 observed items is already paired/);
  });

  it('finds a pairing that a first-come assignment would miss', () => {
    // Expected item 1 matches both observed items; item 2 only the first: 1 must take the second.
    const expected = { items: [{ app: 'web' }, { app: 'web', tier: 'front' }] };
    const observed = { items: [{ app: 'web', tier: 'front' }, { app: 'web', tier: 'back' }] };
    expect(diffs(expected, observed)).toEqual([]);
  });

  it('scalar list items are paired too', () => {
    expect(diffs({ args: ['-v', '-v'] }, { args: ['-v', '-x'] })[0]).toMatch(/^args: expected another item "-v" \(each expected item needs its own\)/);
    expect(diffs({ args: ['-v', '-x'] }, { args: ['-x', '-v'] })).toEqual([]);
  });
});
