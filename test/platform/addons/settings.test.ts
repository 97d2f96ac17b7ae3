import { describe, expect, it } from 'vitest';
import { addonClusters, resolveAddons } from '../../../src/platform/addons/settings.js';

const names = (r: ReturnType<typeof resolveAddons>) => r.map((a) => a.name);

describe('resolveAddons', () => {
  it('orders addons by dependency, whatever the order in the lab', () => {
    expect(names(resolveAddons(['istio-addons', 'istio', 'gateway-api', 'cloud-provider-kind'], ['']))).toEqual([
      'cloud-provider-kind',
      'gateway-api',
      'istio',
      'istio-addons',
    ]);
  });

  it('adds cloud-provider-kind when an addon would leave a LoadBalancer Service pending', () => {
    const r = resolveAddons(['ingress-nginx'], ['']);
    expect(r[0]).toEqual({ name: 'cloud-provider-kind', settings: {}, implicit: 'ingress-nginx creates a LoadBalancer Service' });
    expect(names(resolveAddons([{ istio: { profile: 'demo' } }], ['']))).toEqual(['cloud-provider-kind', 'istio']);
    // No LoadBalancer Service, no load balancer.
    expect(names(resolveAddons([{ 'ingress-nginx': { serviceType: 'NodePort' } }], ['']))).toEqual(['ingress-nginx']);
    expect(names(resolveAddons([{ istio: { profile: 'minimal' } }], ['']))).toEqual(['istio']);
    expect(names(resolveAddons(['metallb', 'istio'], ['']))).toEqual(['metallb', 'istio']);
  });

  it('refuses conflicting or unknown settings with a message naming the addon', () => {
    expect(() => resolveAddons(['metallb', 'cloud-provider-kind'], [''])).toThrow(/list only one/);
    expect(() => resolveAddons(['istio', 'istio'], [''])).toThrow(/listed twice/);
    expect(() => resolveAddons(['istio-addons'], [''])).toThrow(/needs the istio addon/);
    expect(() => resolveAddons([{ istio: { profil: 'demo' } }], [''])).toThrow(/^addon istio: /);
    expect(() => resolveAddons([{ 'ingress-nginx': { kind: 'StatefulSet' } }], [''])).toThrow(/addon ingress-nginx: kind: /);
    expect(() => resolveAddons([{ 'gateway-api': { channel: 'experimental' } }], [''])).toThrow(/addon gateway-api: channel/);
    expect(() => resolveAddons([{ istio: { clusters: ['c3'] } }], ['c1', 'c2'])).toThrow(/unknown cluster "c3"/);
  });

  it('limits an addon to the clusters it names', () => {
    const [istio] = resolveAddons([{ istio: { profile: 'minimal', clusters: ['c1'] } }], ['c1', 'c2']);
    expect(addonClusters(istio as ReturnType<typeof resolveAddons>[number], ['c1', 'c2'])).toEqual(['c1']);
  });
});
