/**
 * The OpenAPI documents a cluster serves, built from the kinds its registry holds: /openapi/v2 (one
 * Swagger 2.0 document) and /openapi/v3 (a discovery document naming one OpenAPI 3.0 document per
 * group version, each at a URL with a content hash, as kube-openapi's handler3 serves them).
 *
 * What clients read from them: kubectl's field-validation check looks for a `fieldValidation`
 * parameter on the PATCH operation of the kind (cli-runtime query_param_verifier_v3.go), `kubectl
 * apply` takes the strategic-merge directives from components.schemas, `kubectl explain` and helm
 * read the schemas by x-kubernetes-group-version-kind.
 *
 * Documents are cached per set of served kinds (and CRD schemas), so serving one costs a lookup.
 */
import { createHash } from 'node:crypto';
import { apiVersionOf, type ResourceType } from '../resources.js';
import { modelSchemas, type Schema } from './models.js';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const OBJECT_META = `${META}.ObjectMeta`;

/** A schema a CRD version declares (openAPIV3Schema), by version. */
export type CrdSchemas = Record<string, Schema>;

export function crdDefinitionName(r: ResourceType, version: string): string {
  return [...r.group.split('.').reverse(), version, r.kind].join('.');
}

/** The definition of a kind in a version: the built-in model's, the CRD's, or a permissive one. */
function rootOf(r: ResourceType, version: string): { name: string; defs: Record<string, Schema> } {
  const models = modelSchemas();
  const crd = r.crdSchemas?.[version];
  const gvk = [{ group: r.group, version, kind: r.kind }];
  if (crd) {
    const name = crdDefinitionName(r, version);
    const props = { ...(crd.properties ?? {}) };
    props.apiVersion = { type: 'string' };
    props.kind = { type: 'string' };
    props.metadata = { $ref: OBJECT_META };
    return { name, defs: { [name]: { ...crd, type: 'object', properties: props, 'x-kubernetes-group-version-kind': gvk } } };
  }
  const builtin = models.roots[`${apiVersionOf(r.group, version)}/${r.kind}`];
  if (builtin) return { name: builtin, defs: {} };
  // A kind the models do not know (MetalLB, ...): any fields, as a CRD with preserve-unknown-fields.
  const name = crdDefinitionName(r, version);
  return {
    name,
    defs: {
      [name]: {
        type: 'object',
        properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { $ref: OBJECT_META } },
        'x-kubernetes-preserve-unknown-fields': true,
        'x-kubernetes-group-version-kind': gvk,
      },
    },
  };
}

/** Every definition reachable from `names`. */
function closure(names: string[], defs: Record<string, Schema>): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  const visit = (s: unknown): void => {
    if (!s || typeof s !== 'object') return;
    if (Array.isArray(s)) return s.forEach(visit);
    const ref = (s as Schema).$ref;
    if (typeof ref === 'string' && !out[ref] && defs[ref]) {
      out[ref] = defs[ref];
      visit(defs[ref]);
    }
    for (const v of Object.values(s)) visit(v);
  };
  for (const n of names) {
    if (defs[n]) out[n] = defs[n];
    visit(defs[n]);
  }
  return out;
}

/** Refs in the spec's form per version, and v3's allOf wrapping of a $ref with a description. */
function rewrite(s: unknown, prefix: string, v3: boolean): unknown {
  if (!s || typeof s !== 'object') return s;
  if (Array.isArray(s)) return s.map((x) => rewrite(x, prefix, v3));
  const o = s as Schema;
  if (typeof o.$ref === 'string') {
    const { $ref, ...rest } = o;
    const ref = { $ref: `${prefix}${$ref}` };
    if (Object.keys(rest).length === 0) return ref;
    return v3 ? { allOf: [ref], ...rest } : { ...ref, ...rest };
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, k === 'enum' || k === 'x-kubernetes-list-map-keys' || k === 'required' ? v : rewrite(v, prefix, v3)]));
}

const QUERY = (name: string, description: string, type = 'string') => ({ name, in: 'query', description, schema: { type, uniqueItems: true } });
const WRITE_PARAMS = [
  QUERY('dryRun', 'When present, indicates that modifications should not be persisted.'),
  QUERY('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  QUERY('fieldValidation', 'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: Ignore, Warn, Strict.'),
];
const PATCH_TYPES = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

interface Operation {
  action: string;
  body?: boolean;
  patch?: boolean;
  params?: unknown[];
}

/** The paths of one kind in one version: collection and item, and item subresources. */
function pathsOf(r: ResourceType, version: string, ref: string, v3: boolean): Record<string, unknown> {
  const base = r.group ? `/apis/${r.group}/${version}` : `/api/${version}`;
  const collection = r.namespaced ? `${base}/namespaces/{namespace}/${r.plural}` : `${base}/${r.plural}`;
  const gvk = { group: r.group, version, kind: r.kind };
  const schemaRef = (v3 ? '#/components/schemas/' : '#/definitions/') + ref;
  const op = (o: Operation) => {
    const params = [...(o.params ?? []), ...(o.body ? WRITE_PARAMS : []), ...(o.patch ? [QUERY('force', 'Force is going to "force" Apply requests.', 'boolean')] : [])];
    const ok = v3 ? { description: 'OK', content: { 'application/json': { schema: { $ref: schemaRef } } } } : { description: 'OK', schema: { $ref: schemaRef } };
    return {
      operationId: `${o.action}${r.kind}`,
      'x-kubernetes-action': o.action,
      'x-kubernetes-group-version-kind': gvk,
      ...(v3
        ? {
            parameters: params,
            ...(o.body ? { requestBody: { content: Object.fromEntries((o.patch ? PATCH_TYPES : ['*/*']).map((t) => [t, { schema: o.patch ? { type: 'object' } : { $ref: schemaRef } }])) } } : {}),
          }
        : { parameters: params.map((p) => ({ ...(p as Record<string, unknown>), type: (p as { schema: { type: string } }).schema.type, schema: undefined })), ...(o.patch ? { consumes: PATCH_TYPES } : {}) }),
      responses: { '200': ok, '401': { description: 'Unauthorized' } },
    };
  };
  const pathParams = [...(r.namespaced ? [{ name: 'namespace', in: 'path', required: true, schema: { type: 'string' } }] : [])];
  const named = [...pathParams, { name: 'name', in: 'path', required: true, schema: { type: 'string' } }];
  const out: Record<string, unknown> = {
    [collection]: { parameters: pathParams, get: op({ action: 'list' }), post: op({ action: 'post', body: true }), delete: op({ action: 'deletecollection' }) },
    [`${collection}/{name}`]: {
      parameters: named,
      get: op({ action: 'get' }),
      put: op({ action: 'put', body: true }),
      patch: op({ action: 'patch', body: true, patch: true }),
      delete: op({ action: 'delete' }),
    },
  };
  if (r.subresources.includes('status')) {
    out[`${collection}/{name}/status`] = { parameters: named, get: op({ action: 'get' }), put: op({ action: 'put', body: true }), patch: op({ action: 'patch', body: true, patch: true }) };
  }
  if (!v3) for (const p of Object.values(out) as Array<{ parameters: Array<Record<string, unknown>> }>) p.parameters = p.parameters.map(({ schema: _s, ...rest }) => ({ ...rest, type: 'string' }));
  return out;
}

export interface GroupVersionDoc {
  /** "apis/apps/v1" or "api/v1" */
  key: string;
  hash: string;
  body: string;
}

export interface OpenApiDocs {
  v2: string;
  v3: Map<string, GroupVersionDoc>;
}

const cache = new Map<string, OpenApiDocs>();

function signature(types: ResourceType[]): string {
  return createHash('sha256')
    .update(JSON.stringify(types.map((r) => [r.group, r.kind, r.plural, r.namespaced, r.versions, r.subresources, r.crdSchemas ?? null])))
    .digest('hex');
}

/** The documents for a set of served kinds (cached by what they contain). */
export function openApiDocs(types: ResourceType[], kubernetesVersion: string): OpenApiDocs {
  const key = `${kubernetesVersion}/${signature(types)}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const models = modelSchemas();
  const all: Record<string, Schema> = { ...models.definitions };
  const byGv = new Map<string, Array<{ r: ResourceType; version: string; ref: string }>>();
  for (const r of types) {
    for (const version of r.versions) {
      const root = rootOf(r, version);
      Object.assign(all, root.defs);
      const gvKey = r.group ? `apis/${r.group}/${version}` : `api/${version}`;
      byGv.set(gvKey, [...(byGv.get(gvKey) ?? []), { r, version, ref: root.name }]);
    }
  }
  const info = { title: 'Kubernetes', version: kubernetesVersion };
  const common = [`${META}.Status`, `${META}.DeleteOptions`, `${META}.Patch`];

  const v3 = new Map<string, GroupVersionDoc>();
  for (const [gv, kinds] of byGv) {
    const paths = Object.assign({}, ...kinds.map((k) => pathsOf(k.r, k.version, k.ref, true))) as Record<string, unknown>;
    const schemas = rewrite(closure([...kinds.map((k) => k.ref), ...common], all), '#/components/schemas/', true);
    const body = JSON.stringify({ openapi: '3.0.0', info, paths, components: { schemas } });
    v3.set(gv, { key: gv, hash: createHash('sha512').update(body).digest('hex').toUpperCase(), body });
  }
  const v2Paths = Object.assign({}, ...[...byGv.values()].flat().map((k) => pathsOf(k.r, k.version, k.ref, false))) as Record<string, unknown>;
  const v2 = JSON.stringify({ swagger: '2.0', info, paths: v2Paths, definitions: rewrite(all, '#/definitions/', false) });
  const docs = { v2, v3 };
  cache.set(key, docs);
  return docs;
}

/** /openapi/v3: where each group version's document is, with its hash. */
export function v3Discovery(docs: OpenApiDocs, prefix: string): string {
  const paths = Object.fromEntries([...docs.v3.values()].map((d) => [d.key, { serverRelativeURL: `${prefix}/openapi/v3/${d.key}?hash=${d.hash}` }]));
  return JSON.stringify({ paths });
}

export interface KindSchema {
  /** The kind's own schema. */
  root: Schema;
  /** Resolves a $ref. */
  lookup(name: string): Schema | undefined;
}

/** The schema of a kind in a version, with its definitions (for validation and strategic merge). */
export function kindSchema(r: ResourceType, version: string): KindSchema {
  const root = rootOf(r, version);
  const models = modelSchemas().definitions;
  const lookup = (name: string) => root.defs[name] ?? models[name];
  return { root: lookup(root.name) ?? {}, lookup };
}
