/** Discovery documents (/api, /apis, /api/v1, /apis/<group>/<version>, /version), built from the registry. */
import type { ResourceRegistry, ResourceType } from './resources.js';
import { apiVersionOf } from './resources.js';
const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function versionInfo(gitVersion: string) {
  const [major, minor] = gitVersion.slice(1).split('.');
  return {
    major,
    minor,
    emulationMajor: major,
    emulationMinor: minor,
    gitVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2025-12-17T00:00:00Z',
    goVersion: 'go1.25.5',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function coreVersions(serverAddress: string) {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupEntry(name: string, versions: string[]) {
  const list = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: list, preferredVersion: list[0] };
}

export function groupList(registry: ResourceRegistry) {
  const groups = [...registry.groups()].filter(([group]) => group !== '').map(([group, versions]) => groupEntry(group, versions));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function group(registry: ResourceRegistry, name: string) {
  const versions = registry.groups().get(name);
  return versions && name !== '' ? { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(name, versions) } : undefined;
}

function entries(r: ResourceType) {
  const main = {
    name: r.plural,
    singularName: r.singular,
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: VERBS,
    ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
  };
  const subs = r.subresources.map((sub) => {
    const base = { name: `${r.plural}/${sub}`, singularName: '', namespaced: r.namespaced };
    switch (sub) {
      case 'status':
        return { ...base, kind: r.kind, verbs: ['get', 'patch', 'update'] };
      case 'scale':
        return { ...base, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] };
      case 'exec':
        return { ...base, kind: 'PodExecOptions', verbs: ['create', 'get'] };
      case 'log':
        return { ...base, kind: 'Pod', verbs: ['get'] };
    }
  });
  return [main, ...subs];
}

/** APIResourceList of one group version, or undefined when the cluster does not serve it. */
export function resourceList(registry: ResourceRegistry, groupName: string, version: string) {
  const types = registry.all().filter((r) => r.group === groupName && r.versions.includes(version));
  if (types.length === 0) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(groupName, version), resources: types.flatMap(entries) };
}
