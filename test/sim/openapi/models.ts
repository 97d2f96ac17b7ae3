/**
 * OpenAPI schemas of the built-in kinds, read from the type declarations of the models packages the
 * project already depends on: `kubernetes-models` (generated from the Kubernetes OpenAPI spec; its
 * v5 carries the 1.35 types such as PodSpec.schedulingGroup), `@kubernetes-models/apimachinery`,
 * `@kubernetes-models/gateway-api` and `@kubernetes-models/istio` (generated from the projects'
 * CRDs). No npm package ships the upstream swagger.json itself; these .d.ts files keep what the
 * spec says about each definition — property names, types, enums, required fields, descriptions,
 * and the apiVersion/kind of root types — and the TypeScript parser reads them back.
 *
 * What the declarations lose is put back here or in patch-meta.ts: int vs float (the Kubernetes API
 * conventions allow no floats in built-in types, so `number` is an integer there), the formats of
 * IntOrString/Quantity/Time, and the strategic-merge directives.
 *
 * Parsing ~2,500 files takes a second or two, so the result is cached on disk per set of package
 * versions (node_modules/.cache/kindlab-sim-openapi/), and in memory per process.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { applyPatchMeta } from './patch-meta.js';

/** A JSON schema as the Kubernetes OpenAPI documents carry it; `$ref` holds a bare definition name. */
export interface Schema {
  type?: string;
  format?: string;
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  enum?: unknown[];
  $ref?: string;
  oneOf?: Schema[];
  allOf?: Schema[];
  [extension: `x-${string}`]: unknown;
}

export interface Gvk {
  group: string;
  version: string;
  kind: string;
}

export interface ModelSchemas {
  definitions: Record<string, Schema>;
  /** "apps/v1/Deployment" → definition name of the root type. */
  roots: Record<string, string>;
}

const PACKAGES: Array<{ name: string; integers: boolean }> = [
  { name: '@kubernetes-models/apimachinery', integers: true },
  { name: 'kubernetes-models', integers: true },
  { name: '@kubernetes-models/gateway-api', integers: false },
  { name: '@kubernetes-models/istio', integers: false },
];

const repo = resolve(import.meta.dirname, '../../..');

function packageDir(name: string): string {
  return join(repo, 'node_modules', name);
}

/** Definitions whose declarations are too thin ("string | number") to say what the spec says. */
const SPECIAL: Record<string, Schema> = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { type: 'string', format: 'int-or-string' },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': { oneOf: [{ type: 'string' }, { type: 'number' }] },
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': { type: 'string', format: 'date-time' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': { type: 'string', format: 'date-time' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1': { type: 'object' },
  'io.k8s.apimachinery.pkg.runtime.RawExtension': { type: 'object' },
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON': {},
};

/** "IoK8sApiAppsV1" + "Deployment" → "io.k8s.api.apps.v1.Deployment" (the spec's definition names). */
function definitionName(alias: string, typeName: string): string {
  const prefix = alias.slice(0, alias.length - typeName.length);
  const parts = prefix.match(/[A-Z][a-z0-9]*/g) ?? [];
  let id = [...parts.map((p) => p.toLowerCase()), typeName].join('.');
  // The two API groups that live outside k8s.io/api keep their Go package paths in the spec.
  id = id.replace(/^io\.k8s\.apiextensions\.apiserver\./, 'io.k8s.apiextensions-apiserver.').replace(/^io\.k8s\.kube\.aggregator\./, 'io.k8s.kube-aggregator.');
  return id;
}

/** Istio's models have no spec-style alias: its CRDs name definitions by the reversed group. */
function crdDefinitionName(file: string, pkgDir: string, typeName: string): string {
  const [group = '', version = ''] = file.slice(pkgDir.length + 1).split('/');
  return [...group.split('.').reverse(), version, typeName].join('.');
}

interface FileInfo {
  id: string;
  source: ts.SourceFile;
  integers: boolean;
}

function listDts(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('_') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listDts(path));
    else if (entry.name.endsWith('.d.ts') && entry.name !== 'index.d.ts') out.push(path);
  }
  return out;
}

function docOf(node: ts.Node): string | undefined {
  const docs = (node as { jsDoc?: Array<{ comment?: string | ts.NodeArray<ts.JSDocComment> }> }).jsDoc;
  const comment = docs?.[docs.length - 1]?.comment;
  if (comment === undefined) return undefined;
  return typeof comment === 'string' ? comment : comment.map((c) => c.text).join('');
}

function propertyName(name: ts.PropertyName): string {
  return ts.isStringLiteral(name) || ts.isIdentifier(name) ? name.text : name.getText();
}

class Converter {
  private readonly files = new Map<string, FileInfo>();
  readonly definitions: Record<string, Schema> = {};
  readonly roots: Record<string, string> = {};

  load(pkg: string, integers: boolean): void {
    const dir = packageDir(pkg);
    for (const file of listDts(dir)) {
      const text = readFileSync(file, 'utf8');
      const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
      const typeName = basename(file, '.d.ts');
      const alias = /export type \{ I\w+ as I(\w+),/.exec(text)?.[1];
      const id = alias ? definitionName(alias, typeName) : crdDefinitionName(file, dir, typeName);
      this.files.set(file, { id, source, integers });
    }
  }

  convertAll(): void {
    for (const [file, info] of this.files) {
      if (SPECIAL[info.id]) {
        this.definitions[info.id] = { ...SPECIAL[info.id], ...this.descriptionOf(info.source) };
        continue;
      }
      const imports = this.importsOf(file, info.source);
      const main = info.source.statements.find(
        (s): s is ts.InterfaceDeclaration | ts.TypeAliasDeclaration =>
          (ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s)) && s.name.text === `I${basename(file, '.d.ts')}`,
      );
      if (!main) continue;
      const schema = ts.isInterfaceDeclaration(main) ? this.objectOf(this.membersOf(main, info.source), imports, info.integers) : this.typeOf(main.type, imports, info.integers);
      const description = docOf(main);
      if (description) schema.description = description;
      const gvk = this.rootGvk(schema);
      if (gvk) {
        schema['x-kubernetes-group-version-kind'] = [gvk];
        this.roots[`${gvk.group ? `${gvk.group}/` : ''}${gvk.version}/${gvk.kind}`] = info.id;
      }
      this.definitions[info.id] = schema;
    }
  }

  private descriptionOf(source: ts.SourceFile): Schema {
    const first = source.statements.find((s) => ts.isTypeAliasDeclaration(s));
    const description = first && docOf(first);
    return description ? { description } : {};
  }

  /** A root kind has literal apiVersion and kind; the spec keeps them plain optional strings. */
  private rootGvk(schema: Schema): Gvk | undefined {
    const apiVersion = schema.properties?.apiVersion?.enum?.[0];
    const kind = schema.properties?.kind?.enum?.[0];
    if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
    schema.properties!.apiVersion = { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' };
    schema.properties!.kind = { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' };
    schema.required = (schema.required ?? []).filter((r) => r !== 'apiVersion' && r !== 'kind');
    if (schema.required.length === 0) delete schema.required;
    const slash = apiVersion.lastIndexOf('/');
    return { group: slash < 0 ? '' : apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1), kind };
  }

  /** Local import names → definition names. */
  private importsOf(file: string, source: ts.SourceFile): Map<string, string> {
    const out = new Map<string, string>();
    for (const s of source.statements) {
      if (!ts.isImportDeclaration(s) || !ts.isStringLiteral(s.moduleSpecifier)) continue;
      const spec = s.moduleSpecifier.text;
      const target = spec.startsWith('.')
        ? resolve(dirname(file), spec.replace(/\.js$/, '.d.ts'))
        : (() => {
            const [scope, name, ...rest] = spec.split('/');
            const pkg = spec.startsWith('@') ? `${scope}/${name}` : scope!;
            const sub = spec.startsWith('@') ? rest : [name, ...rest];
            return join(packageDir(pkg), `${sub.join('/')}.d.ts`);
          })();
      const info = this.files.get(target);
      const named = s.importClause?.namedBindings;
      if (!info || !named || !ts.isNamedImports(named)) continue;
      for (const el of named.elements) out.set(el.name.text, info.id);
    }
    return out;
  }

  /**
   * The fields of an interface. One that extends another (`IHTTPBackendRef extends IBackendRef`,
   * `IHTTPRouteSpec extends ICommonRouteSpec`) lists only its own fields; the class declared beside
   * it lists them all, inherited ones included, so that is what an extending interface is read from.
   */
  private membersOf(main: ts.InterfaceDeclaration, source: ts.SourceFile): readonly (ts.TypeElement | ts.ClassElement)[] {
    const inherits = (main.heritageClauses ?? []).some((h) => h.types.some((t) => t.expression.getText() !== 'TypeMeta'));
    if (!inherits) return main.members;
    const cls = source.statements.find((s): s is ts.ClassDeclaration => ts.isClassDeclaration(s) && s.name?.text === main.name.text.slice(1));
    if (!cls) return main.members;
    const own = new Set(main.members.map((m) => (m.name ? propertyName(m.name) : '')));
    // Keep the interface's own members (with their doc comments) and add the inherited ones.
    const inherited = cls.members.filter((m) => ts.isPropertyDeclaration(m) && !own.has(propertyName(m.name)));
    return [...main.members, ...inherited];
  }

  private objectOf(members: readonly (ts.TypeElement | ts.ClassElement)[], imports: Map<string, string>, integers: boolean): Schema {
    const schema: Schema = { type: 'object' };
    const required: string[] = [];
    for (const m of members) {
      if (ts.isIndexSignatureDeclaration(m)) {
        schema.additionalProperties = m.type ? this.typeOf(m.type, imports, integers) : {};
        continue;
      }
      if (!(ts.isPropertySignature(m) || ts.isPropertyDeclaration(m)) || !m.type) continue;
      const name = propertyName(m.name);
      const prop = this.typeOf(m.type, imports, integers);
      const description = docOf(m);
      if (description && !prop.$ref) prop.description = description.replace(/\n\nPossible enum values:[\s\S]*$/, '');
      (schema.properties ??= {})[name] = prop.$ref && description ? { ...prop, description } : prop;
      if (!m.questionToken) required.push(name);
    }
    if (required.length) schema.required = required;
    return schema;
  }

  private typeOf(node: ts.TypeNode, imports: Map<string, string>, integers: boolean): Schema {
    switch (node.kind) {
      case ts.SyntaxKind.StringKeyword:
        return { type: 'string' };
      case ts.SyntaxKind.NumberKeyword:
        return integers ? { type: 'integer', format: 'int64' } : { type: 'number' };
      case ts.SyntaxKind.BooleanKeyword:
        return { type: 'boolean' };
      case ts.SyntaxKind.AnyKeyword:
      case ts.SyntaxKind.UnknownKeyword:
      case ts.SyntaxKind.ObjectKeyword:
        return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    }
    if (ts.isParenthesizedTypeNode(node)) return this.typeOf(node.type, imports, integers);
    if (ts.isArrayTypeNode(node)) return { type: 'array', items: this.typeOf(node.elementType, imports, integers) };
    if (ts.isTypeLiteralNode(node)) return this.objectOf(node.members, imports, integers);
    if (ts.isLiteralTypeNode(node)) {
      if (ts.isStringLiteral(node.literal)) return { type: 'string', enum: [node.literal.text] };
      if (ts.isNumericLiteral(node.literal)) return { type: integers ? 'integer' : 'number', enum: [Number(node.literal.text)] };
      if (node.literal.kind === ts.SyntaxKind.TrueKeyword || node.literal.kind === ts.SyntaxKind.FalseKeyword) return { type: 'boolean' };
      return {};
    }
    if (ts.isTypeReferenceNode(node)) {
      const name = node.typeName.getText();
      const args = node.typeArguments ?? [];
      if (name === 'Array' && args[0]) return { type: 'array', items: this.typeOf(args[0], imports, integers) };
      if ((name === 'Exclude' || name === 'Omit' || name === 'Partial') && args[0]) return this.typeOf(args[0], imports, integers);
      if (name === 'Record' && args[1]) return { type: 'object', additionalProperties: this.typeOf(args[1], imports, integers) };
      const ref = imports.get(name);
      return ref ? { $ref: ref } : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    }
    if (ts.isUnionTypeNode(node) || ts.isIntersectionTypeNode(node)) {
      const parts = node.types.filter((t) => t.kind !== ts.SyntaxKind.NullKeyword && !(ts.isLiteralTypeNode(t) && t.literal.kind === ts.SyntaxKind.NullKeyword));
      const schemas = parts.map((t) => this.typeOf(t, imports, integers));
      if (schemas.length === 1) return schemas[0]!;
      if (schemas.every((s) => s.type === 'string' && s.enum)) return { type: 'string', enum: schemas.flatMap((s) => s.enum!) };
      const types = new Set(schemas.map((s) => s.type));
      if (types.has('string') && (types.has('integer') || types.has('number')) && types.size === 2) return { type: 'string', format: 'int-or-string' };
      // Objects in one-of/all-of shapes (CRD validation rules turned into types): all their fields.
      const objects = schemas.filter((s) => s.type === 'object');
      if (objects.length === schemas.length) return mergeObjects(objects, ts.isIntersectionTypeNode(node));
      return schemas[0]!;
    }
    return {};
  }
}

function mergeObjects(objects: Schema[], keepRequired: boolean): Schema {
  const out: Schema = { type: 'object' };
  const required = new Set<string>();
  for (const o of objects) {
    for (const [k, v] of Object.entries(o.properties ?? {})) {
      const before = out.properties?.[k];
      (out.properties ??= {})[k] = before?.type === 'object' && v.type === 'object' ? mergeObjects([before, v], false) : before ?? v;
    }
    if (o.additionalProperties !== undefined) out.additionalProperties = o.additionalProperties;
    if (o['x-kubernetes-preserve-unknown-fields']) out['x-kubernetes-preserve-unknown-fields'] = true;
    if (keepRequired) for (const r of o.required ?? []) required.add(r);
  }
  if (required.size) out.required = [...required];
  return out;
}

function versionsKey(): string {
  const versions = PACKAGES.map((p) => `${p.name}@${(JSON.parse(readFileSync(join(packageDir(p.name), 'package.json'), 'utf8')) as { version: string }).version}`);
  // The converter's own source is part of the key: a change to it must not read an old cache.
  const self = readFileSync(import.meta.filename, 'utf8') + readFileSync(join(import.meta.dirname, 'patch-meta.ts'), 'utf8');
  return createHash('sha256').update(versions.join('\n')).update(self).digest('hex').slice(0, 16);
}

let loaded: ModelSchemas | undefined;

/** The built-in definitions and root kinds (cached on disk and in memory). */
export function modelSchemas(): ModelSchemas {
  if (loaded) return loaded;
  const cacheDir = join(repo, 'node_modules', '.cache', 'kindlab-sim-openapi');
  const cacheFile = join(cacheDir, `${versionsKey()}.json`);
  if (existsSync(cacheFile)) {
    try {
      return (loaded = JSON.parse(readFileSync(cacheFile, 'utf8')) as ModelSchemas);
    } catch {
      // a torn cache file is rebuilt below
    }
  }
  const converter = new Converter();
  for (const p of PACKAGES) converter.load(p.name, p.integers);
  converter.convertAll();
  applyPatchMeta(converter.definitions);
  loaded = { definitions: converter.definitions, roots: converter.roots };
  try {
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${cacheFile}.${process.pid}`;
    writeFileSync(tmp, JSON.stringify(loaded));
    renameSync(tmp, cacheFile);
  } catch {
    // without a cache the next process parses again
  }
  return loaded;
}
