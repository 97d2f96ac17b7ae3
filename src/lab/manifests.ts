/**
 * Validating Kubernetes manifests against the schemas of kubernetes-models (core and built-in
 * APIs), @kubernetes-models/istio and @kubernetes-models/gateway-api.
 *
 * Each kind's model is imported on first use and cached for the process: the packages are large
 * (the first import costs ~80 ms, later kinds a few ms), and most labs use a handful of kinds.
 * The schemas do not reject unknown fields; `kubectl apply` at run time does.
 */
import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import { yamlData } from './yaml-data.js';
import { errorOffset, firstSentence, formatPath, lineAt, offsetOf, shownErrors } from './yaml-locate.js';
import { describeValue } from './zod-explain.js';

export interface ManifestIssue {
  /** 1-based line within the manifest text. */
  line: number;
  message: string;
  severity: 'error' | 'warning';
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

type ModelClass = new (data: unknown) => { validate(): void };

const istioGroups = new Set(['networking.istio.io', 'security.istio.io', 'telemetry.istio.io', 'extensions.istio.io', 'install.istio.io']);
const gatewayGroups = new Set(['gateway.networking.k8s.io', 'gateway.networking.x-k8s.io']);
const models = new Map<string, Promise<ModelClass | undefined>>();

/** The module that holds a kind's model, or undefined for a malformed apiVersion or kind. */
export function modelModule(apiVersion: string, kind: string): string | undefined {
  // A DNS-style group (no "..", no slashes): the names become part of a module path.
  const m = /^(?:([a-z0-9]+(?:[.-][a-z0-9]+)*)\/)?(v[0-9]+(?:(?:alpha|beta)[0-9]+)?)$/.exec(apiVersion);
  if (!m || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) return undefined;
  const [, group, version] = m;
  if (!group) return `kubernetes-models/${version}/${kind}`;
  if (istioGroups.has(group)) return `@kubernetes-models/istio/${group}/${version}/${kind}`;
  if (gatewayGroups.has(group)) return `@kubernetes-models/gateway-api/${group}/${version}/${kind}`;
  return `kubernetes-models/${group}/${version}/${kind}`;
}

async function loadModel(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  const specifier = modelModule(apiVersion, kind);
  if (!specifier) return undefined;
  let cached = models.get(specifier);
  if (!cached) {
    cached = import(specifier).then(
      (mod: Record<string, unknown>) => mod[kind] as ModelClass | undefined,
      () => undefined,
    );
    models.set(specifier, cached);
  }
  return cached;
}

/** Checks every document of a (multi-document) YAML manifest. */
export async function validateManifest(text: string): Promise<ManifestIssue[]> {
  const counter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: counter, prettyErrors: false });
  if (!Array.isArray(docs)) return [];
  const issues: ManifestIssue[] = [];
  for (const doc of docs) issues.push(...(await validateDocument(doc, counter)));
  return issues;
}

async function validateDocument(doc: Document.Parsed, counter: LineCounter): Promise<ManifestIssue[]> {
  const lineOf = (path: Array<string | number>) => lineAt(counter, offsetOf(doc.contents, path), 1);
  if (doc.errors.length > 0) {
    return shownErrors(doc).map((e) => ({ line: lineAt(counter, errorOffset(doc, e), 1), message: `invalid YAML: ${firstSentence(e.message)}`, severity: 'error' }));
  }
  const converted = yamlData(doc);
  if (!converted.ok) return [{ line: lineAt(counter, converted.offset, 1), message: converted.message, severity: 'error' }];
  const obj = converted.value;
  if (obj === null || obj === undefined) return [];
  const start = lineOf([]);
  if (typeof obj !== 'object' || Array.isArray(obj)) {
    return [{ line: start, message: `expected a Kubernetes object (a map with apiVersion and kind), found ${describeValue(obj)}`, severity: 'error' }];
  }
  const { apiVersion, kind, metadata } = obj as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; generateName?: unknown } };
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    return [{ line: start, message: 'a Kubernetes object needs string fields apiVersion and kind', severity: 'error' }];
  }
  if (kind === 'List') return [];
  const issues: ManifestIssue[] = [];
  const name = metadata?.name ?? metadata?.generateName;
  const label = typeof name === 'string' ? `${kind} "${name}"` : kind;
  if (typeof name !== 'string') issues.push({ line: lineOf(['metadata']), message: `${kind}: missing field metadata.name`, severity: 'error' });

  const Model = await loadModel(apiVersion, kind);
  if (!Model) {
    issues.push({ line: lineOf(['kind']), message: `${label}: no schema known for ${apiVersion} ${kind}, so it was not validated`, severity: 'warning' });
    return issues;
  }
  try {
    new Model(obj).validate();
  } catch (err) {
    const errors = (err as { errors?: AjvError[] }).errors;
    if (!Array.isArray(errors)) throw err;
    for (const e of errors) {
      const path = e.instancePath
        .split('/')
        .slice(1)
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
        .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      issues.push({ line: lineOf(path), message: `${label}: ${explainAjv(e, path, obj)}`, severity: 'error' });
    }
  }
  return issues;
}

function explainAjv(e: AjvError, path: Array<string | number>, obj: unknown): string {
  const where = formatPath(path);
  const prefix = where ? `${where}: ` : '';
  let value: unknown = obj;
  for (const seg of path) value = value && typeof value === 'object' ? (value as Record<string | number, unknown>)[seg] : undefined;
  switch (e.keyword) {
    case 'required':
      return `${prefix}missing field "${String(e.params.missingProperty)}"`;
    case 'type':
      return `${prefix}expected ${String(e.params.type)}, found ${describeValue(value)}`;
    case 'enum':
      return `${prefix}expected one of ${(e.params.allowedValues as unknown[]).map(String).join(', ')}, found ${describeValue(value)}`;
    default:
      return `${prefix}${e.message ?? e.keyword}`;
  }
}
