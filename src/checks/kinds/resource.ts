/**
 * resource: an object (by name) or every object matching a selector partially matches an expected
 * shape, or is absent. Waits on a watch of the kind and re-reads on every event.
 */
import type { KubeObject, ListQuery } from '../../core/seams.js';
import type { CheckSpecOf } from '../../model/check-schema.js';
import type { AttemptOutcome, CheckContext, CheckImplementation } from '../types.js';
import { compare, describeComparison } from '../compare.js';
import { plural } from '../format.js';
import { formatDifference, partialMatch, show } from '../partial-match.js';
import { watchUntil } from '../watch-until.js';
import { resolveKind } from '../well-known-kinds.js';

type Spec = CheckSpecOf<'resource'>;

function target(spec: Spec) {
  const { apiVersion, kind, namespaced } = resolveKind(spec.kind, spec.apiVersion);
  // kubectl's habit: a namespaced kind without a namespace means "default".
  const namespace = spec.namespace ?? (namespaced ? 'default' : undefined);
  const where = namespace ? `${namespace}/` : '';
  const what = spec.name ? `${kind} ${where}${spec.name}` : `${kind} objects${spec.selector ? ` matching ${spec.selector}` : ''}${namespace ? ` in ${namespace}` : ''}`;
  return { apiVersion, kind, namespace, what };
}

function describe(spec: Spec): string {
  const { what } = target(spec);
  if (spec.absent) return `${what} absent`;
  return spec.match ? `${what} as expected` : `${what} present`;
}

function expectedText(spec: Spec): string {
  const parts: string[] = [];
  if (spec.absent) return spec.name ? 'no such object' : 'no matching objects';
  if (!spec.name) parts.push(spec.count === undefined ? 'at least one object' : typeof spec.count === 'number' ? plural(spec.count, 'object') : `object count ${describeComparison(spec.count)}`);
  if (spec.match) parts.push(`${spec.name ? 'matching' : 'each matching'} ${show(spec.match, 200)}`);
  return parts.join(', ') || 'the object exists';
}

async function evaluate(spec: Spec, ctx: CheckContext): Promise<AttemptOutcome> {
  const t = target(spec);
  const kube = ctx.kube();
  const title = describe(spec);
  const expected = expectedText(spec);
  const hint = spec.name
    ? `kubectl get ${t.kind.toLowerCase()} ${spec.name}${t.namespace ? ` -n ${t.namespace}` : ''} -o yaml`
    : `kubectl get ${t.kind.toLowerCase()}${spec.selector ? ` -l '${spec.selector}'` : ''}${t.namespace ? ` -n ${t.namespace}` : ' -A'}`;

  let objects: KubeObject[];
  if (spec.name) {
    const obj = await kube.get({ apiVersion: t.apiVersion, kind: t.kind, name: spec.name, ...(t.namespace ? { namespace: t.namespace } : {}) });
    objects = obj ? [obj] : [];
  } else {
    objects = await kube.list(query(spec));
  }
  const data = spec.name ? objects[0] : { count: objects.length, items: objects };

  if (spec.absent) {
    const names = objects.map((o) => o.metadata.name);
    return { ok: objects.length === 0, title, expected, found: objects.length ? `present: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}` : 'absent', hint, data };
  }
  if (spec.name && objects.length === 0) return { ok: false, title, expected, found: 'not found', hint, data };

  const countOk =
    spec.name !== undefined ||
    (spec.count === undefined ? objects.length > 0 : typeof spec.count === 'number' ? objects.length === spec.count : compare(objects.length, spec.count));

  const details: string[] = [];
  let mismatched = 0;
  for (const obj of objects) {
    const diffs = spec.match ? partialMatch(spec.match, obj) : [];
    if (diffs.length) {
      mismatched++;
      const label = spec.name ? '' : `${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata.name}: `;
      details.push(...diffs.slice(0, 10).map((d) => label + formatDifference(d)));
      if (diffs.length > 10) details.push(`${label}… ${diffs.length - 10} more differences`);
    }
  }
  let found: string;
  if (spec.name) found = mismatched ? `differs in ${plural(details.length, 'field')}` : 'present and matching';
  else {
    found = `${plural(objects.length, 'object')}`;
    if (spec.match && objects.length) found += mismatched ? `, ${mismatched} not matching` : ', all matching';
  }
  return { ok: countOk && mismatched === 0, title, expected, found, ...(details.length ? { details } : {}), hint, data };
}

function query(spec: Spec): ListQuery {
  const t = target(spec);
  return {
    apiVersion: t.apiVersion,
    kind: t.kind,
    ...(t.namespace ? { namespace: t.namespace } : {}),
    ...(spec.selector ? { labelSelector: spec.selector } : {}),
    ...(spec.name ? { fieldSelector: `metadata.name=${spec.name}` } : {}),
  };
}

const resource: CheckImplementation<'resource'> = {
  kind: 'resource',
  defaultTimeoutMs: 30_000,
  strategy: 'watch',
  describe,
  attempt(spec, ctx, signal) {
    return watchUntil({ kube: ctx.kube(), queries: [query(spec)], evaluate: () => evaluate(spec, ctx), signal });
  },
};
export default resource;
