/**
 * The real KubeClient, on @kubernetes/client-node. client-node takes about half a second to import,
 * so it (through ./kube-api.js and friends) is imported on first use, not when the CLI starts; the
 * kubeconfig is read then too, so a client can be made before kind has written the file.
 */
import type { ExecResult, KubeClient, KubeClientFactory, KubeObject, ListQuery, ObjectRef } from '../core/seams.js';
import type * as KubeApi from './kube-api.js';

interface Connection {
  api: KubeApi.RawObjectApi;
  kc: KubeApi.k8s.KubeConfig;
  lib: typeof KubeApi;
}

async function connect(kubeconfigPath: string, context: string | undefined): Promise<Connection> {
  const lib = await import('./kube-api.js');
  const kc = lib.loadKubeConfig(kubeconfigPath, context);
  return { api: lib.RawObjectApi.create(kc), kc, lib };
}

/**
 * Fields the server owns. An apply carrying them would be refused (managedFields) or act as a
 * precondition (resourceVersion), so objects read from the server can be applied back as they are.
 */
function applyConfig(obj: KubeObject): KubeObject {
  const { resourceVersion: _rv, managedFields: _mf, uid: _uid, creationTimestamp: _ct, generation: _g, ...metadata } = obj.metadata;
  const { status: _status, ...rest } = obj;
  return { ...rest, metadata: metadata as KubeObject['metadata'] };
}

class ClientNodeKubeClient implements KubeClient {
  private connection: Promise<Connection> | undefined;

  constructor(
    private readonly kubeconfigPath: string,
    private readonly context: string | undefined,
  ) {}

  private conn(): Promise<Connection> {
    // A failed connect (file not there yet) is retried on the next call rather than cached.
    this.connection ??= connect(this.kubeconfigPath, this.context).catch((err: unknown) => {
      this.connection = undefined;
      throw err;
    });
    return this.connection;
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    const { api, lib } = await this.conn();
    const { path } = await api.pathOf(ref);
    try {
      const obj = await api.send(lib.describe('get', ref), lib.k8s.HttpMethod.GET, path);
      return lib.withType(obj, ref.apiVersion, ref.kind);
    } catch (err) {
      if (lib.isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list(query: ListQuery): Promise<KubeObject[]> {
    const { api, lib } = await this.conn();
    const { path } = await api.pathOf({ apiVersion: query.apiVersion, kind: query.kind, namespace: query.namespace });
    const list = (await api.send(lib.describe('list', query), lib.k8s.HttpMethod.GET, path, {
      query: { labelSelector: query.labelSelector, fieldSelector: query.fieldSelector },
    })) as { items?: unknown[] };
    return (list.items ?? []).map((item) => lib.withType(item, query.apiVersion, query.kind));
  }

  async apply(obj: KubeObject): Promise<KubeObject> {
    const { api, lib } = await this.conn();
    const ref = { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, namespace: obj.metadata.namespace };
    const { path, namespaced } = await api.pathOf(ref);
    const body = applyConfig(obj);
    if (namespaced) body.metadata = { ...body.metadata, namespace: obj.metadata.namespace ?? api.namespace };
    else delete body.metadata.namespace;
    const applied = await api.send(lib.describe('apply', ref), lib.k8s.HttpMethod.PATCH, path, {
      query: { fieldManager: 'kindlab', force: 'true' },
      body,
      contentType: 'application/apply-patch+yaml',
    });
    return lib.withType(applied, obj.apiVersion, obj.kind);
  }

  async patch(ref: ObjectRef, patch: Record<string, unknown>): Promise<KubeObject> {
    const { api, lib } = await this.conn();
    const { path } = await api.pathOf(ref);
    const patched = await api.send(lib.describe('patch', ref), lib.k8s.HttpMethod.PATCH, path, {
      body: patch,
      contentType: 'application/merge-patch+json',
    });
    return lib.withType(patched, ref.apiVersion, ref.kind);
  }

  async delete(ref: ObjectRef): Promise<boolean> {
    const { api, lib } = await this.conn();
    const { path } = await api.pathOf(ref);
    try {
      // Background propagation, as kubectl: dependents (a Deployment's pods) go too.
      await api.send(lib.describe('delete', ref), lib.k8s.HttpMethod.DELETE, path, { query: { propagationPolicy: 'Background' } });
      return true;
    } catch (err) {
      if (lib.isNotFound(err)) return false;
      throw err;
    }
  }

  async watch(
    query: ListQuery,
    onEvent: Parameters<KubeClient['watch']>[1],
    onError?: (err: unknown) => void,
  ): Promise<() => void> {
    const { api, kc } = await this.conn();
    const { listAndWatch } = await import('./kube-watch.js');
    return listAndWatch(api, kc, query, onEvent, onError);
  }

  async exec(pod: { namespace: string; name: string; container?: string }, command: string[]): Promise<ExecResult> {
    const { kc, lib } = await this.conn();
    const { execInPod, defaultContainer } = await import('./kube-exec.js');
    let container = pod.container;
    if (!container) {
      const found = await this.get({ apiVersion: 'v1', kind: 'Pod', name: pod.name, namespace: pod.namespace });
      if (!found) throw new lib.KubeApiError(404, 'NotFound', `exec in pod ${pod.namespace}/${pod.name}: pods "${pod.name}" not found`);
      container = defaultContainer(found);
    }
    if (!container) throw new Error(`exec in pod ${pod.namespace}/${pod.name}: the pod has no containers`);
    try {
      return await execInPod(kc, { namespace: pod.namespace, name: pod.name, container }, command);
    } catch (err) {
      throw new Error(`exec in pod ${pod.namespace}/${pod.name} (container ${container}): ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
  }
}

/** Opens KubeClients; nothing is loaded or connected until a client is first used. */
export function createKubeClientFactory(): KubeClientFactory {
  return (kubeconfigPath, context) => new ClientNodeKubeClient(kubeconfigPath, context);
}

export type { KubeApiError } from './kube-api.js';
