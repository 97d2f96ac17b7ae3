import { describe, expect, it } from 'vitest';
import { KindlabError } from '../../../src/core/errors.js';
import { withLoadBalancer } from '../../../src/platform/addons/load-balancer-choice.js';
import { resolveAddons } from '../../../src/platform/addons/settings.js';
import type { Lab } from '../../../src/model/lab.js';

const lab = (addons: Lab['meta']['addons']): Lab =>
  ({ meta: { id: 'x', clusters: [{ workers: 1 }], addons }, dir: '/l/labs/x', file: '/l/labs/x/lab.md', intro: '', steps: [] }) as unknown as Lab;

const resolved = (l: Lab) => resolveAddons(l.meta.addons, ['']).map((a) => a.name);

describe('--load-balancer', () => {
  it('metallb replaces an explicit cloud-provider-kind and keeps the other addons', () => {
    const out = withLoadBalancer(lab(['cloud-provider-kind', 'gateway-api']), 'metallb');
    expect(resolved(out)).toContain('metallb');
    expect(resolved(out)).not.toContain('cloud-provider-kind');
    expect(resolved(out)).toContain('gateway-api');
  });

  it('metallb also replaces the cloud-provider-kind an Istio gateway would bring in implicitly', () => {
    const original = lab([{ istio: { profile: 'demo' } }]);
    expect(resolved(original)).toContain('cloud-provider-kind');
    expect(resolved(withLoadBalancer(original, 'metallb'))).toEqual(expect.arrayContaining(['metallb', 'istio']));
    expect(resolved(withLoadBalancer(original, 'metallb'))).not.toContain('cloud-provider-kind');
  });

  it('a lab without LoadBalancer Services gets no MetalLB', () => {
    const original = lab(['metrics-server']);
    expect(withLoadBalancer(original, 'metallb')).toBe(original);
  });

  it('an unknown choice is a usage error naming the valid ones', () => {
    expect(() => withLoadBalancer(lab([]), 'nginx')).toThrow(KindlabError);
    expect(() => withLoadBalancer(lab([]), 'nginx')).toThrow(/unknown load balancer "nginx"/);
  });
});
