/**
 * nodes: the cluster's nodes — how many, their roles, Ready, and how many carry given labels.
 * Roles: "control-plane" is a node with node-role.kubernetes.io/control-plane; "worker" is any other
 * node (kind's notion, so a worker that also got an ingress role still counts as a worker); any
 * other role name counts nodes labeled node-role.kubernetes.io/<role>.
 */
import type { KubeObject } from '../../core/seams.js';
import type { CheckSpecOf } from '../../model/check-schema.js';
import type { AttemptOutcome, CheckContext, CheckImplementation } from '../types.js';
import { plural } from '../format.js';
import { selectorMatches } from '../label-selector.js';
import { watchUntil } from '../watch-until.js';

type Spec = CheckSpecOf<'nodes'>;

const rolePrefix = 'node-role.kubernetes.io/';

export function nodeRoles(node: KubeObject): string[] {
  const labels = node.metadata.labels ?? {};
  const roles = Object.keys(labels)
    .filter((k) => k.startsWith(rolePrefix))
    .map((k) => k.slice(rolePrefix.length))
    .filter((r) => r);
  return roles.sort();
}

function hasRole(node: KubeObject, role: string): boolean {
  const roles = nodeRoles(node);
  if (role === 'worker') return !roles.includes('control-plane');
  return roles.includes(role);
}

export function isNodeReady(node: KubeObject): boolean {
  const conditions = (node.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

function describe(spec: Spec): string {
  const parts: string[] = [];
  if (spec.count !== undefined) parts.push(plural(spec.count, 'node'));
  else parts.push('nodes');
  if (spec.ready) parts.push('Ready');
  return parts.join(' ');
}

function expectedText(spec: Spec): string {
  const parts: string[] = [];
  if (spec.count !== undefined) parts.push(plural(spec.count, 'node'));
  if (spec.ready) parts.push('every node Ready');
  for (const [role, n] of Object.entries(spec.roles ?? {})) parts.push(`${n} ${role}`);
  for (const [sel, n] of Object.entries(spec.labeled ?? {})) parts.push(`${n} labeled ${sel}`);
  return parts.join(', ') || 'nodes exist';
}

async function evaluate(spec: Spec, ctx: CheckContext): Promise<AttemptOutcome> {
  const nodes = (await ctx.kube().list({ apiVersion: 'v1', kind: 'Node' })).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const problems: string[] = [];
  if (spec.count !== undefined && nodes.length !== spec.count) problems.push(`${plural(nodes.length, 'node')}, expected ${spec.count}`);
  const notReady = nodes.filter((n) => !isNodeReady(n)).map((n) => n.metadata.name);
  if (spec.ready && notReady.length) problems.push(`not Ready: ${notReady.join(', ')}`);
  for (const [role, want] of Object.entries(spec.roles ?? {})) {
    const have = nodes.filter((n) => hasRole(n, role)).map((n) => n.metadata.name);
    if (have.length !== want) problems.push(`${have.length} ${role} (${have.join(', ') || 'none'}), expected ${want}`);
  }
  for (const [selector, want] of Object.entries(spec.labeled ?? {})) {
    const have = nodes.filter((n) => selectorMatches(selector, n.metadata.labels)).map((n) => n.metadata.name);
    if (have.length !== want) problems.push(`${have.length} labeled ${selector} (${have.join(', ') || 'none'}), expected ${want}`);
  }
  const found = nodes.length
    ? nodes.map((n) => `${n.metadata.name} ${nodeRoles(n).join(',') || '<none>'} ${isNodeReady(n) ? 'Ready' : 'NotReady'}`).join('; ')
    : 'no nodes';
  const data = {
    count: nodes.length,
    ready: nodes.length - notReady.length,
    nodes: nodes.map((n) => ({ name: n.metadata.name, roles: nodeRoles(n), ready: isNodeReady(n), labels: n.metadata.labels ?? {} })),
  };
  return {
    ok: problems.length === 0,
    title: describe(spec),
    expected: expectedText(spec),
    found,
    ...(problems.length ? { details: problems } : {}),
    hint: 'kubectl get nodes --show-labels; kubectl describe node <name>',
    data,
  };
}

const nodes: CheckImplementation<'nodes'> = {
  kind: 'nodes',
  defaultTimeoutMs: 120_000,
  strategy: 'watch',
  describe,
  attempt(spec, ctx, signal) {
    return watchUntil({ kube: ctx.kube(), queries: [{ apiVersion: 'v1', kind: 'Node' }], evaluate: () => evaluate(spec, ctx), signal });
  },
};
export default nodes;
