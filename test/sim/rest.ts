/**
 * The REST layer: turns /api/v1/... and /apis/<group>/<version>/... requests into cluster
 * operations (list, get, create, replace, patch, delete, deletecollection) on a resource or its
 * status/scale subresource. Watch, exec and log requests are recognised here and handed to their
 * own modules by the server.
 */
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../../src/core/seams.js';
import { PatchType, type SimCluster } from './cluster.js';
import { kindSchema } from './openapi/documents.js';
import { servedByCrd, splitApiVersion, type ResourceType } from './resources.js';
import { validateObject, type FieldValidation } from './validation.js';
import { jsonPatch, mergePatch, PatchError } from './patches.js';
import { selectorToString } from './selectors.js';
import { badRequest, methodNotAllowed, notFound, pageNotFound, SimHttpError, success } from './status.js';
import { toTable, wantsTable } from './table.js';

export interface ResourcePath {
  resource: ResourceType;
  version: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/**
 * Parses the part of a URL after the cluster prefix: ["api","v1","namespaces","ns","pods","x","exec"].
 * Returns undefined for paths that are not resource paths.
 */
export function parseResourcePath(cluster: SimCluster, segments: string[]): ResourcePath | undefined {
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api' && segments.length >= 3) {
    [group, version, rest] = ['', segments[1]!, segments.slice(2)];
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    [group, version, rest] = [segments[1]!, segments[2]!, segments.slice(3)];
  } else return undefined;

  // /namespaces/<ns>/<plural>/... is namespaced, unless <plural> is not a namespaced resource:
  // then it is the namespace object itself (/namespaces/<name>/status).
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const namespaced = cluster.registry.byPath(group, version, rest[2]!);
    if (namespaced?.namespaced) {
      return { resource: namespaced, version, namespace: rest[1]!, ...optional(rest[3], rest[4]) };
    }
  }
  const resource = cluster.registry.byPath(group, version, rest[0]!);
  if (!resource) throw pageNotFound();
  if (resource.namespaced && rest.length > 1) throw pageNotFound(); // namespaced object without a namespace
  return { resource, version, ...optional(rest[1], rest[2]) };
}

function optional(name: string | undefined, subresource: string | undefined) {
  return { ...(name ? { name } : {}), ...(subresource ? { subresource } : {}) };
}

export function parseBody(body: Buffer, contentType: string): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    // YAML is a superset of JSON; apply patches are YAML, everything else JSON.
    return /yaml/.test(contentType) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw badRequest(`the request body could not be decoded: ${(err as Error).message}`);
  }
}

export interface RestRequest {
  method: string;
  query: URLSearchParams;
  contentType: string;
  body: unknown;
  /** The Accept header: a Table request gets server-side printing. */
  accept?: string;
}

export interface RestResponse {
  status: number;
  body: unknown;
  /** Warning headers (299), e.g. unknown fields under fieldValidation=Warn. */
  warnings?: string[];
}

/** The validation a write through the API gets, by its fieldValidation parameter (default Warn). */
function admission(r: ResourceType, q: URLSearchParams, warnings: string[]): (obj: KubeObject) => KubeObject {
  const given = q.get('fieldValidation');
  const mode: FieldValidation = given === 'Strict' || given === 'Ignore' ? given : 'Warn';
  return (obj) => {
    const version = typeof obj.apiVersion === 'string' && obj.apiVersion ? splitApiVersion(obj.apiVersion).version : r.versions[0]!;
    const admitted = validateObject(obj, r, version, kindSchema(r, version), mode, servedByCrd(r));
    warnings.push(...admitted.warnings.filter((w) => !warnings.includes(w)));
    return admitted.object;
  };
}

function listBody(path: ResourcePath, cluster: SimCluster, items: KubeObject[]) {
  // Items of a real list carry no apiVersion/kind: clients must take them from the list.
  return {
    kind: `${path.resource.kind}List`,
    apiVersion: path.resource.group ? `${path.resource.group}/${path.version}` : path.version,
    metadata: { resourceVersion: cluster.currentResourceVersion() },
    items: items.map(({ apiVersion: _a, kind: _k, ...rest }) => rest),
  };
}

function toScale(obj: KubeObject): KubeObject {
  const spec = obj.spec as { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  const status = (obj.status ?? {}) as { replicas?: number };
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, selector: selectorToString(spec.selector) },
  };
}

/** GET/PUT/PATCH of the scale subresource: a Scale view whose spec.replicas writes through. */
function handleScale(cluster: SimCluster, path: ResourcePath, req: RestRequest, name: string): RestResponse {
  const r = path.resource;
  const live = cluster.objects.get(r, path.namespace, name);
  if (!live) throw notFound(r, name);
  const view = toScale(live);
  if (req.method === 'GET') return { status: 200, body: view };
  let next: unknown;
  try {
    if (req.method === 'PUT') next = req.body;
    else if (req.method === 'PATCH' && req.contentType.startsWith(PatchType.json)) next = jsonPatch(view, req.body);
    else if (req.method === 'PATCH') next = mergePatch(view, req.body);
    else throw methodNotAllowed();
  } catch (err) {
    if (err instanceof PatchError) throw new SimHttpError(422, 'Invalid', err.message);
    throw err;
  }
  const replicas = (next as { spec?: { replicas?: unknown } } | undefined)?.spec?.replicas;
  if (typeof replicas !== 'number' || replicas < 0) throw new SimHttpError(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value`);
  const updated = cluster.patchIn(r, path.namespace, name, PatchType.merge, { spec: { replicas } });
  return { status: 200, body: toScale(updated) };
}

/** Runs one non-watch request against a cluster. */
export function handleRest(cluster: SimCluster, path: ResourcePath, req: RestRequest): RestResponse {
  const r = path.resource;
  const { name, namespace, subresource, version } = path;
  const q = req.query;
  const versioned = (o: KubeObject) => cluster.asVersion(o, r, version);

  if (subresource && !r.subresources.includes(subresource as never)) throw pageNotFound();
  if (subresource === 'scale' && name) return handleScale(cluster, path, req, name);
  const warnings: string[] = [];
  const admit = admission(r, q, warnings);
  const withWarnings = (res: RestResponse): RestResponse => (warnings.length ? { ...res, warnings } : res);

  if (!name) {
    switch (req.method) {
      case 'GET': {
        const opts = { ...optionalQuery(q, 'labelSelector'), ...optionalQuery(q, 'fieldSelector') };
        const items = cluster.listIn(r, version, namespace, opts);
        if (wantsTable(req.accept)) return { status: 200, body: toTable(r, version, items, { includeObject: q.get('includeObject'), resourceVersion: cluster.currentResourceVersion() }) };
        return { status: 200, body: listBody(path, cluster, items) };
      }
      case 'POST': {
        const dryRun = q.get('dryRun') === 'All';
        if (dryRun) return withWarnings({ status: 201, body: admit(req.body as KubeObject) });
        return withWarnings({ status: 201, body: cluster.createIn(r, req.body as KubeObject, namespace, { admit }) });
      }
      case 'DELETE': {
        const opts = { ...optionalQuery(q, 'labelSelector'), ...optionalQuery(q, 'fieldSelector') };
        const victims = cluster.listIn(r, version, namespace, opts);
        for (const v of victims) cluster.deleteIn(r, v.metadata.namespace, v.metadata.name);
        return { status: 200, body: listBody(path, cluster, victims) };
      }
      default:
        throw methodNotAllowed();
    }
  }

  const statusSub = subresource === 'status' ? ({ subresource: 'status' } as const) : {};
  switch (req.method) {
    case 'GET': {
      const obj = cluster.objects.get(r, namespace, name);
      if (!obj) throw notFound(r, name);
      if (wantsTable(req.accept)) return { status: 200, body: toTable(r, version, [versioned(obj)], { includeObject: q.get('includeObject') }) };
      return { status: 200, body: versioned(obj) };
    }
    case 'PUT':
      return withWarnings({ status: 200, body: cluster.updateIn(r, req.body as KubeObject, { namespace, name, ...statusSub, admit }) });
    case 'PATCH': {
      const manager = q.get('fieldManager') ?? undefined;
      const force = q.get('force') === 'true';
      const existed = cluster.objects.get(r, namespace, name) !== undefined;
      const obj = cluster.patchIn(r, namespace, name, req.contentType, req.body, { ...statusSub, ...(manager ? { manager } : {}), force, admit });
      return withWarnings({ status: existed ? 200 : 201, body: obj });
    }
    case 'DELETE': {
      if (subresource) throw methodNotAllowed();
      const policy = q.get('propagationPolicy') ?? (req.body as { propagationPolicy?: string } | undefined)?.propagationPolicy;
      const gone = cluster.deleteIn(r, namespace, name, policy ? { propagationPolicy: policy } : {});
      return { status: 200, body: success(r, name, gone.metadata.uid) };
    }
    case 'POST':
      if (subresource === 'exec') throw badRequest('Upgrade request required');
      throw methodNotAllowed();
    default:
      throw methodNotAllowed();
  }
}

function optionalQuery(q: URLSearchParams, key: 'labelSelector' | 'fieldSelector') {
  const v = q.get(key);
  return v ? { [key]: v } : {};
}
