/**
 * One simulated cluster: the API semantics on top of the object store. Create/update/patch/delete
 * behave like a real API server where kindlab and labs can tell the difference: namespaces must
 * exist, names must be valid, resourceVersion preconditions conflict, the status subresource is
 * separate from the main resource, no-op writes do not bump resourceVersion, deleting a namespace
 * or an owner deletes what is inside or owned by it.
 *
 * Tests and controllers use the plain-JSON methods (get, list, create, replace, updateStatus,
 * mergePatch, apply, delete); the HTTP layer uses the *In variants that take a ResourceType.
 */
import { randomUUID } from 'node:crypto';
import type { KubeObject } from '../../src/core/seams.js';
import { Allocator, applyCreateDefaults, applyUpdateDefaults } from './defaults.js';
import { kindSchema } from './openapi/documents.js';
import { deepEqual, isObject, jsonPatch, mergePatch, PatchError, serverSideApply, strategicMergePatch, type StrategicSchema } from './patches.js';
import { KUBERNETES_VERSION } from './nodes.js';
import { apiVersionOf, ResourceRegistry, servedByCrd, splitApiVersion, type ResourceType } from './resources.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import {
  alreadyExists,
  badRequest,
  conflict,
  invalid,
  namespaceNotFound,
  notFound,
  SimHttpError,
  unsupportedMediaType,
} from './status.js';
import { ObjectStore } from './store.js';
import { checkImmutable } from './validation.js';
import { fromEventsV1, toEventsV1 } from './events.js';

export type AdmissionHook = (
  obj: KubeObject,
  ctx: { cluster: SimCluster; resource: ResourceType; operation: 'CREATE' | 'UPDATE' },
) => void;

export interface WriteOptions {
  /** Keep `status` from the given object on create (tests seeding objects; controllers). */
  keepStatus?: boolean;
  /**
   * Validation of a write through the API (rest.ts): returns the object as it is to be stored
   * (unknown fields pruned) or throws the Status. Direct writes by tests and controllers skip it.
   */
  admit?: (obj: KubeObject) => KubeObject;
}

export const PatchType = {
  apply: 'application/apply-patch+yaml',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
} as const;

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const RANDOM_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

/** Five characters like the suffixes Kubernetes generates. */
export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += RANDOM_CHARS[Math.floor(Math.random() * RANDOM_CHARS.length)];
  return s;
}

/** RFC 3339 without milliseconds, as Kubernetes writes timestamps. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Everything a change of which bumps metadata.generation: all but metadata and status. */
function specPart(obj: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

/** The object minus what changes on every write or read, to detect no-op writes. */
function withoutVolatile(obj: KubeObject): Record<string, unknown> {
  const { apiVersion: _v, metadata, ...rest } = structuredClone(obj);
  const { resourceVersion: _rv, managedFields: _mf, ...meta } = metadata;
  return { ...rest, metadata: meta };
}

export class SimCluster {
  readonly registry = new ResourceRegistry();
  readonly objects: ObjectStore;
  readonly allocator = new Allocator();
  /** What /version reports; a kind cluster takes it from its node image. */
  kubernetesVersion = KUBERNETES_VERSION;
  /** CAs (PEM) besides the sim's whose client certificates this cluster accepts, e.g. its nodes' kubeadm CA. */
  readonly trustedClientCas = new Set<string>();
  private readonly admissions = new Set<AdmissionHook>();

  constructor(
    readonly name: string,
    private readonly rv: { next: () => number; current: () => number },
  ) {
    this.objects = new ObjectStore(rv.next, rv.current);
  }

  /** The latest resourceVersion (shared by all clusters of a sim), as list metadata reports it. */
  currentResourceVersion(): string {
    return String(this.rv.current());
  }

  /** Adds a mutating admission step (e.g. sidecar injection) applied to every create. */
  addAdmission(hook: AdmissionHook): () => void {
    this.admissions.add(hook);
    return () => this.admissions.delete(hook);
  }

  /** The ResourceType of an apiVersion and kind; throws a 404 Status when the cluster does not serve it. */
  resource(apiVersion: string, kind: string): ResourceType {
    const r = this.registry.byKind(apiVersion, kind);
    if (!r) throw new SimHttpError(404, 'NotFound', `the server could not find the requested resource (${kind} ${apiVersion})`);
    return r;
  }

  // ---------------------------------------------------------------- plain-JSON helpers

  get(apiVersion: string, kind: string, name: string, namespace?: string): KubeObject | undefined {
    const r = this.resource(apiVersion, kind);
    const obj = this.objects.get(r, namespace ?? (r.namespaced ? 'default' : undefined), name);
    return obj && this.asVersion(obj, r, splitApiVersion(apiVersion).version);
  }

  list(apiVersion: string, kind: string, namespace?: string, opts: { labelSelector?: string; fieldSelector?: string } = {}): KubeObject[] {
    const r = this.resource(apiVersion, kind);
    return this.listIn(r, splitApiVersion(apiVersion).version, namespace, opts);
  }

  create(obj: KubeObject, opts: WriteOptions = {}): KubeObject {
    const r = this.resource(obj.apiVersion, obj.kind);
    return this.createIn(r, obj, obj.metadata.namespace, opts);
  }

  /** PUT semantics: replaces the object (keeps status for kinds with a status subresource). */
  replace(obj: KubeObject): KubeObject {
    const r = this.resource(obj.apiVersion, obj.kind);
    return this.updateIn(r, obj, { namespace: obj.metadata.namespace, name: obj.metadata.name });
  }

  /** Writes only `status`, like a controller's PUT to the status subresource. */
  updateStatus(obj: KubeObject): KubeObject {
    const r = this.resource(obj.apiVersion, obj.kind);
    return this.updateIn(r, obj, { namespace: obj.metadata.namespace, name: obj.metadata.name, subresource: 'status' });
  }

  mergePatch(ref: { apiVersion: string; kind: string; name: string; namespace?: string }, patch: unknown, subresource?: 'status'): KubeObject {
    const r = this.resource(ref.apiVersion, ref.kind);
    return this.patchIn(r, ref.namespace, ref.name, PatchType.merge, patch, { ...(subresource ? { subresource } : {}) });
  }

  apply(obj: KubeObject, manager = 'sim', force = true): KubeObject {
    const r = this.resource(obj.apiVersion, obj.kind);
    return this.patchIn(r, obj.metadata.namespace, obj.metadata.name, PatchType.apply, obj, { manager, force });
  }

  delete(apiVersion: string, kind: string, name: string, namespace?: string): KubeObject | undefined {
    const r = this.resource(apiVersion, kind);
    try {
      return this.deleteIn(r, namespace, name);
    } catch (err) {
      if (err instanceof SimHttpError && err.code === 404) return undefined;
      throw err;
    }
  }

  // ---------------------------------------------------------------- API semantics

  asVersion(obj: KubeObject, r: ResourceType, version: string): KubeObject {
    const shown = { ...obj, apiVersion: apiVersionOf(r.group, version), kind: r.kind };
    return r.group === 'events.k8s.io' ? toEventsV1(shown) : shown;
  }

  listIn(
    r: ResourceType,
    version: string,
    namespace: string | undefined,
    opts: { labelSelector?: string; fieldSelector?: string } = {},
  ): KubeObject[] {
    const byLabel = parseLabelSelector(opts.labelSelector);
    const byField = parseFieldSelector(opts.fieldSelector, r.kind);
    return this.objects
      .list(r, namespace)
      .filter((o) => byLabel(o) && byField(o))
      .map((o) => this.asVersion(o, r, version));
  }

  private namespaceFor(r: ResourceType, urlNamespace: string | undefined, obj: KubeObject): string | undefined {
    if (!r.namespaced) return undefined;
    const own = obj.metadata?.namespace;
    if (urlNamespace && own && own !== urlNamespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    return urlNamespace ?? own ?? 'default';
  }

  private checkNamespaceExists(r: ResourceType, namespace: string | undefined): void {
    if (!r.namespaced || !namespace) return;
    if (!this.objects.get(this.registry.byKind('v1', 'Namespace')!, undefined, namespace)) throw namespaceNotFound(namespace);
  }

  private checkKind(r: ResourceType, obj: KubeObject): void {
    if (!isObject(obj) || !isObject(obj.metadata)) throw badRequest('the request body is not a Kubernetes object (missing metadata)');
    if (obj.kind && obj.kind !== r.kind) {
      throw badRequest(`the kind of the object (${obj.kind}) does not match the resource (${r.kind})`);
    }
    if (obj.apiVersion) {
      const { group, version } = splitApiVersion(obj.apiVersion);
      if (group !== r.group || !r.versions.includes(version)) {
        throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersionOf(r.group, r.versions[0]!)})`);
      }
    }
  }

  createIn(r: ResourceType, input: KubeObject, urlNamespace: string | undefined, opts: WriteOptions = {}): KubeObject {
    this.checkKind(r, input);
    let obj = opts.admit ? opts.admit(structuredClone(input)) : structuredClone(input);
    if (r.group === 'events.k8s.io') obj = fromEventsV1(obj);
    const version = obj.apiVersion ? splitApiVersion(obj.apiVersion).version : r.versions[0]!;
    obj.apiVersion = apiVersionOf(r.group, version);
    obj.kind = r.kind;
    const namespace = this.namespaceFor(r, urlNamespace, obj);
    if (namespace) obj.metadata.namespace = namespace;
    else delete obj.metadata.namespace;
    if (!obj.metadata.name && typeof obj.metadata.generateName === 'string') {
      obj.metadata.name = obj.metadata.generateName + randomSuffix();
    }
    if (!obj.metadata.name) throw invalid(r, '', 'metadata.name', 'Required value: name or generateName is required');
    if (!DNS_SUBDOMAIN.test(obj.metadata.name)) {
      throw invalid(
        r,
        obj.metadata.name,
        'metadata.name',
        `Invalid value: "${obj.metadata.name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
      );
    }
    this.checkNamespaceExists(r, namespace);
    if (this.objects.get(r, namespace, obj.metadata.name)) throw alreadyExists(r, obj.metadata.name);

    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = timestamp();
    obj.metadata.generation = 1;
    delete obj.metadata.resourceVersion;
    delete obj.metadata.deletionTimestamp;
    if (r.subresources.includes('status') && !opts.keepStatus) delete obj.status;
    const status = obj.status;
    applyCreateDefaults(obj, this.allocator);
    if (opts.keepStatus && status !== undefined) obj.status = status;
    for (const hook of this.admissions) hook(obj, { cluster: this, resource: r, operation: 'CREATE' });

    const stored = this.objects.put(r, obj);
    this.afterCreate(r, stored);
    return this.asVersion(stored, r, version);
  }

  private afterCreate(r: ResourceType, obj: KubeObject): void {
    if (r.kind === 'CustomResourceDefinition' && r.group === 'apiextensions.k8s.io') this.registry.registerCrd(obj);
    if (r.kind === 'Namespace' && r.group === '') {
      // What the service-account and root-CA controllers do for every new namespace.
      const ns = obj.metadata.name;
      this.createIn(this.resource('v1', 'ServiceAccount'), { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } }, ns);
      this.createIn(
        this.resource('v1', 'ConfigMap'),
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt' }, data: { 'ca.crt': '-----BEGIN CERTIFICATE-----\nsim\n-----END CERTIFICATE-----\n' } },
        ns,
      );
    }
  }

  updateIn(
    r: ResourceType,
    input: KubeObject,
    at: { namespace: string | undefined; name: string; subresource?: 'status'; admit?: WriteOptions['admit'] },
  ): KubeObject {
    this.checkKind(r, input);
    if (at.admit && at.subresource !== 'status') input = at.admit(input);
    const namespace = r.namespaced ? at.namespace ?? input.metadata.namespace ?? 'default' : undefined;
    const live = this.objects.get(r, namespace, at.name);
    if (!live) throw notFound(r, at.name);
    if (input.metadata.name && input.metadata.name !== at.name) {
      throw badRequest(`the name of the object (${input.metadata.name}) does not match the name on the URL (${at.name})`);
    }
    if (input.metadata.resourceVersion && input.metadata.resourceVersion !== live.metadata.resourceVersion) {
      throw conflict(r, at.name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    const version = input.apiVersion ? splitApiVersion(input.apiVersion).version : r.versions[0]!;

    let next: KubeObject;
    if (at.subresource === 'status') {
      next = { ...live, status: structuredClone(input.status) };
    } else {
      next = structuredClone(input);
      next.apiVersion = apiVersionOf(r.group, version);
      next.kind = r.kind;
      next.metadata = {
        ...next.metadata,
        name: live.metadata.name,
        uid: live.metadata.uid,
        creationTimestamp: live.metadata.creationTimestamp,
        generation: live.metadata.generation,
        ...(namespace ? { namespace } : {}),
        ...(next.metadata.managedFields === undefined && live.metadata.managedFields ? { managedFields: live.metadata.managedFields } : {}),
      };
      if (r.subresources.includes('status')) {
        if (live.status === undefined) delete next.status;
        else next.status = live.status;
      }
      if (r.kind === 'Service') this.keepAllocatedServiceFields(live, next);
      if (at.admit) checkImmutable(r, live, next);
      applyUpdateDefaults(next);
      if (!deepEqual(specPart(live), specPart(next))) next.metadata.generation = (live.metadata.generation as number | undefined ?? 1) + 1;
      for (const hook of this.admissions) hook(next, { cluster: this, resource: r, operation: 'UPDATE' });
    }
    if (deepEqual(withoutVolatile(live), withoutVolatile(next)) && deepEqual(live.metadata.managedFields, next.metadata.managedFields)) {
      return this.asVersion(live, r, version); // a no-op write changes nothing, not even resourceVersion
    }
    delete next.metadata.resourceVersion;
    const stored = this.objects.put(r, next);
    if (r.kind === 'CustomResourceDefinition' && r.group === 'apiextensions.k8s.io') this.registry.registerCrd(stored);
    return this.asVersion(stored, r, version);
  }

  /** clusterIP and node ports are immutable once allocated; a PUT that omits them keeps them. */
  private keepAllocatedServiceFields(live: KubeObject, next: KubeObject): void {
    const liveSpec = (live.spec ?? {}) as Record<string, unknown>;
    const spec = ((next.spec as Record<string, unknown> | undefined) ??= {}) as Record<string, unknown>;
    spec.type ??= 'ClusterIP';
    if (!spec.clusterIP) spec.clusterIP = liveSpec.clusterIP;
    spec.clusterIPs ??= liveSpec.clusterIPs;
    const livePorts = (liveSpec.ports ?? []) as Array<Record<string, unknown>>;
    for (const p of (spec.ports ?? []) as Array<Record<string, unknown>>) {
      p.protocol ??= 'TCP';
      p.targetPort ??= p.port;
      const before = livePorts.find((lp) => lp.port === p.port);
      if (before?.nodePort !== undefined && (spec.type === 'NodePort' || spec.type === 'LoadBalancer')) p.nodePort ??= before.nodePort;
    }
    if (spec.type === 'LoadBalancer' && (spec.externalTrafficPolicy ?? liveSpec.externalTrafficPolicy) === 'Local') {
      spec.healthCheckNodePort ??= liveSpec.healthCheckNodePort ?? this.allocator.nodePort();
    }
  }

  patchIn(
    r: ResourceType,
    namespace: string | undefined,
    name: string,
    contentType: string,
    patch: unknown,
    opts: { subresource?: 'status'; manager?: string; force?: boolean; admit?: WriteOptions['admit'] } = {},
  ): KubeObject {
    const ns = r.namespaced ? namespace ?? 'default' : undefined;
    const live = this.objects.get(r, ns, name);
    const type = contentType.split(';')[0]!.trim();
    const admit = opts.admit ? { admit: opts.admit } : {};
    const at = { namespace: ns, name, ...(opts.subresource ? { subresource: opts.subresource } : {}), ...admit };

    if (type === PatchType.apply) {
      if (!opts.manager) {
        throw new SimHttpError(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
      }
      const config = patch as KubeObject;
      if (!isObject(config) || !config.apiVersion || !config.kind) throw badRequest('apply patches must declare apiVersion and kind');
      this.checkKind(r, config);
      if (config.metadata?.name && config.metadata.name !== name) {
        throw badRequest(`the name of the object (${config.metadata.name}) does not match the name on the URL (${name})`);
      }
      const { object, conflicts } = serverSideApply(live, config as Record<string, unknown>, {
        manager: opts.manager,
        force: opts.force === true,
        apiVersion: config.apiVersion,
        now: timestamp(),
      });
      if (conflicts.length > 0) {
        const list = conflicts.map((c) => `conflict with "${c.manager}": .${c.path.join('.')}`);
        throw new SimHttpError(409, 'Conflict', `Apply failed with ${conflicts.length} conflict${conflicts.length > 1 ? 's' : ''}: ${list.join(', ')}`, {
          name,
          group: r.group,
          kind: r.plural,
          causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}"`, field: `.${c.path.join('.')}` })),
        });
      }
      const result = object as KubeObject;
      result.apiVersion = config.apiVersion;
      result.kind = r.kind;
      result.metadata = { ...result.metadata, name, ...(ns ? { namespace: ns } : {}) };
      if (!live) {
        if (opts.subresource) throw notFound(r, name);
        return this.createIn(r, result, ns, admit);
      }
      // resourceVersion in an applied config is a precondition; otherwise the live one is current.
      result.metadata.resourceVersion = config.metadata?.resourceVersion ?? live.metadata.resourceVersion;
      return this.updateIn(r, result, at);
    }

    if (!live) throw notFound(r, name);
    let next: unknown;
    try {
      if (type === PatchType.merge) next = mergePatch(live, patch);
      else if (type === PatchType.strategic) {
        // kube-apiserver has no strategic merge for custom resources (no Go struct to read tags from).
        if (servedByCrd(r)) throw unsupportedMediaType(type);
        const kind = kindSchema(r, splitApiVersion(live.apiVersion).version);
        next = strategicMergePatch(live, patch, { schema: kind.root as StrategicSchema, lookup: (n) => kind.lookup(n) as StrategicSchema | undefined });
      }
      else if (type === PatchType.json) next = jsonPatch(live, patch);
      else throw unsupportedMediaType(type);
    } catch (err) {
      if (err instanceof PatchError) throw new SimHttpError(422, 'Invalid', `the server rejected our request due to an error in our request: ${err.message}`);
      throw err;
    }
    const result = next as KubeObject;
    if (!isObject(result) || !isObject(result.metadata)) throw badRequest('the patch removed the object metadata');
    return this.updateIn(r, result, at);
  }

  /** Deletes an object now (no finalizers), then what it contained or owned. Returns it. */
  deleteIn(r: ResourceType, namespace: string | undefined, name: string, opts: { propagationPolicy?: string } = {}): KubeObject {
    const ns = r.namespaced ? namespace ?? 'default' : undefined;
    const gone = this.objects.remove(r, ns, name);
    if (!gone) throw notFound(r, name);
    if (r.kind === 'Namespace' && r.group === '') {
      for (const type of this.registry.all().filter((t) => t.namespaced)) {
        for (const o of this.objects.list(type, name)) this.objects.remove(type, name, o.metadata.name);
      }
    }
    if (r.kind === 'CustomResourceDefinition' && r.group === 'apiextensions.k8s.io') {
      const type = this.registry.unregisterCrd(gone);
      if (type) this.objects.removeAll(type);
    }
    if (opts.propagationPolicy !== 'Orphan') this.collectDependents(gone, r.namespaced ? ns : undefined);
    return gone;
  }

  /** The garbage collector: deletes objects whose ownerReferences name a deleted owner. */
  private collectDependents(owner: KubeObject, namespace: string | undefined): void {
    const uid = owner.metadata.uid;
    if (!uid) return;
    for (const type of this.registry.all()) {
      for (const o of this.objects.list(type, namespace)) {
        if (o.metadata.ownerReferences?.some((ref) => ref.uid === uid)) {
          const removed = this.objects.remove(type, o.metadata.namespace, o.metadata.name);
          if (removed) this.collectDependents(removed, type.namespaced ? removed.metadata.namespace : undefined);
        }
      }
    }
  }
}
