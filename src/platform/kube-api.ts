/**
 * Generic, plain-JSON access to the Kubernetes API on top of @kubernetes/client-node.
 *
 * client-node's KubernetesObjectApi maps apiVersion+kind to a URL through discovery and handles
 * the kubeconfig's authentication, but it (de)serializes built-in kinds through its generated
 * models: fields the models do not know (newer API fields, typos a user should see rejected) are
 * dropped and timestamps become Date objects. kindlab passes manifests through unchanged and wants
 * JSON back, so this subclass keeps discovery and transport and replaces the (de)serialization.
 *
 * client-node is a value import here, but this module is itself only loaded lazily (see kube.ts).
 */
import * as k8s from '@kubernetes/client-node';
import type { KubeObject } from '../core/seams.js';

/** A failed API request, carrying the server's Status (code, reason, message). */
export class KubeApiError extends Error {
  readonly code: number;
  /** Status reason: NotFound, AlreadyExists, Conflict, Invalid, Forbidden, ... or NotServed. */
  readonly reason: string;
  readonly status: unknown;

  constructor(code: number, reason: string, message: string, status?: unknown) {
    super(message);
    this.name = 'KubeApiError';
    this.code = code;
    this.reason = reason;
    this.status = status;
  }

  static fromResponse(code: number, body: unknown): KubeApiError {
    const status = (body && typeof body === 'object' ? body : {}) as { reason?: string; message?: string };
    const reason = status.reason ?? (code === 404 ? 'NotFound' : 'Unknown');
    const detail = status.message ?? (typeof body === 'string' && body ? body.slice(0, 300) : `HTTP ${code}`);
    return new KubeApiError(code, reason, detail, body);
  }

  /** The same error, its message prefixed with what was attempted ("apply Deployment default/web: ..."). */
  about(what: string): KubeApiError {
    return new KubeApiError(this.code, this.reason, `${what}: ${this.message}`, this.status);
  }
}

/** True when the object (not its kind) does not exist. */
export const isNotFound = (err: unknown): boolean =>
  err instanceof KubeApiError && err.code === 404 && err.reason === 'NotFound';

export interface ResourceLocation {
  apiVersion: string;
  kind: string;
  namespace?: string | undefined;
  name?: string | undefined;
}

export interface RawRequest {
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
}

/** Where the request went, for error messages: "get Deployment default/web". */
export function describe(verb: string, loc: ResourceLocation): string {
  const where = [loc.namespace, loc.name].filter(Boolean).join('/');
  return `${verb} ${loc.kind}${where ? ` ${where}` : ''}`;
}

export class RawObjectApi extends k8s.KubernetesObjectApi {
  /** The API server URL, for messages. */
  server = '';

  static create(kc: k8s.KubeConfig): RawObjectApi {
    const api = kc.makeApiClient(RawObjectApi);
    api.setDefaultNamespace(kc);
    api.server = kc.getCurrentCluster()?.server ?? '';
    return api;
  }

  /** The context's namespace, used for namespaced objects that name none. */
  get namespace(): string {
    return this.defaultNamespace;
  }

  /**
   * The URL path of an object (with name) or a collection (without), from discovery. A namespaced
   * collection without namespace is the all-namespaces list.
   */
  async pathOf(loc: ResourceLocation): Promise<{ path: string; namespaced: boolean }> {
    let resource: k8s.V1APIResource | undefined;
    try {
      resource = await this.resource(loc.apiVersion, loc.kind);
    } catch (err) {
      // A 404 means the group version is not served; anything else is a real failure.
      if (!(err instanceof KubeApiError && err.code === 404)) throw wrapError(err, `discover ${loc.kind} in ${loc.apiVersion}`, this.server);
    }
    if (!resource) {
      throw new KubeApiError(
        404,
        'NotServed',
        `the API server does not serve ${loc.kind} in ${loc.apiVersion} (is its CustomResourceDefinition installed?)`,
      );
    }
    const parts = [this.apiVersionPath(loc.apiVersion)];
    const namespace = loc.namespace ?? (loc.name ? this.defaultNamespace : undefined);
    if (resource.namespaced && namespace) parts.push('namespaces', encodeURIComponent(namespace));
    parts.push(resource.name);
    if (loc.name) parts.push(encodeURIComponent(loc.name));
    return { path: parts.join('/'), namespaced: resource.namespaced };
  }

  /**
   * Sends a request with a JSON body and returns the parsed JSON response. Errors name `what` was
   * attempted; an unreachable server is reported as such rather than as "fetch failed".
   */
  async send(what: string, method: k8s.HttpMethod, path: string, req: RawRequest = {}): Promise<unknown> {
    const ctx = this.configuration.baseServer.makeRequestContext(path, method);
    ctx.setHeaderParam('Accept', 'application/json');
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) ctx.setQueryParam(k, v);
    if (req.body !== undefined) {
      ctx.setHeaderParam('Content-Type', req.contentType ?? 'application/json');
      ctx.setBody(JSON.stringify(req.body));
    }
    try {
      return await this.requestPromise(ctx);
    } catch (err) {
      throw wrapError(err, what, this.server);
    }
  }

  /** JSON in, JSON out: no model classes (see the module comment). */
  protected override async processResponse<T extends k8s.KubernetesObject>(response: k8s.ResponseContext): Promise<T> {
    const text = await response.body.text();
    let data: unknown = text;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (a proxy's HTML error page, say): keep the text for the message
    }
    if (response.httpStatusCode >= 200 && response.httpStatusCode <= 299) return data as T;
    throw KubeApiError.fromResponse(response.httpStatusCode, data);
  }
}

/** An API error with context, or a connection failure with the server's address. */
export function wrapError(err: unknown, what: string, server: string): Error {
  if (err instanceof KubeApiError) return err.about(what);
  const cause = (err as { cause?: { message?: string; code?: string } } | undefined)?.cause;
  const detail = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
  return new Error(`${what}: cannot reach the API server at ${server}: ${detail}`, { cause: err });
}

/** Loads one context of a kubeconfig file; never the user's default kubeconfig. */
export function loadKubeConfig(path: string, context?: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(path);
  if (context) {
    if (!kc.getContextObject(context)) {
      throw new Error(`kubeconfig ${path} has no context "${context}" (it has: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'})`);
    }
    kc.setCurrentContext(context);
  }
  if (!kc.getCurrentCluster()) throw new Error(`kubeconfig ${path} has no current context with a cluster`);
  return kc;
}

/** Adds apiVersion/kind that list items lack (a real API server omits them in lists). */
export function withType(obj: unknown, apiVersion: string, kind: string): KubeObject {
  const o = obj as KubeObject;
  return { ...o, apiVersion: o.apiVersion ?? apiVersion, kind: o.kind ?? kind };
}

export { k8s };
