/**
 * The layering of src/ (ARCHITECTURE.md): every import points down, never up or sideways, and no
 * modules import each other in a circle.
 *
 *   cli → repro → engine | offline → platform → lab → checks → model → core
 *
 * Type-only imports count for the layering (a type from a higher layer couples the code as much as
 * a value does); for circles only imports that load a module at run time count.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/** Lowest first. Layers of the same rank (engine, offline) may not import each other either. */
const LAYERS: Record<string, number> = { core: 0, model: 1, checks: 2, lab: 3, platform: 4, engine: 5, offline: 5, repro: 6, cli: 7 };

interface Edge {
  from: string;
  to: string;
  /** Loads `to` when `from` runs (a value import or import()), as opposed to a type-only import. */
  runtime: boolean;
}

const root = resolve(import.meta.dirname, '..');
const src = join(root, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') ? [relative(root, path)] : [];
  });
}

/** The relative imports of one file, read with TypeScript's own parser. */
function importsOf(file: string, text: string): Edge[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const edges: Edge[] = [];
  const add = (specifier: ts.Expression | undefined, runtime: boolean) => {
    if (!specifier || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) return;
    edges.push({ from: file, to: relative(root, resolve(dirname(join(root, file)), specifier.text.replace(/\.js$/, '.ts'))), runtime });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && !!clause.namedBindings && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier, !typeOnly);
    } else if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, !node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

const layerOf = (file: string) => file.split('/')[1] ?? '';

/** Imports from a file into a layer that is not below its own. */
function upwardImports(edges: readonly Edge[]): string[] {
  return edges
    .filter((e) => {
      const a = layerOf(e.from);
      const b = layerOf(e.to);
      return a !== b && (LAYERS[b] ?? Infinity) >= (LAYERS[a] ?? -Infinity);
    })
    .map((e) => `${e.from} imports ${e.to} (${layerOf(e.from)} may only import layers below it)`);
}

/** Circles of run-time imports, each as the files it passes through. */
function importCircles(edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) if (e.runtime) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  // Tarjan's strongly connected components: every component of more than one file is a circle.
  let index = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const connect = (v: string) => {
    order.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!order.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, order.get(w) as number));
    }
    if (low.get(v) !== order.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop() as string;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || next.get(v)?.includes(v)) circles.push(component.sort());
  };
  for (const v of next.keys()) if (!order.has(v)) connect(v);
  return circles;
}

describe('architecture', () => {
  const files = sourceFiles(src);
  const edges = files.flatMap((f) => importsOf(f, readFileSync(join(root, f), 'utf8')));

  it('places every folder of src/ in a layer', () => {
    // Read the real tree: hundreds of files and imports, not an empty list that passes anything.
    expect(files.length).toBeGreaterThan(150);
    expect(edges.length).toBeGreaterThan(500);
    expect([...new Set(files.map(layerOf))].filter((l) => !(l in LAYERS))).toEqual([]);
  });

  it('imports only point down the layers', () => {
    expect(upwardImports(edges)).toEqual([]);
  });

  it('has no circular imports', () => {
    expect(importCircles(edges)).toEqual([]);
  });

  it('the checks catch an upward import, a sideways one and a circle', () => {
    const e = (from: string, to: string, runtime = true): Edge => ({ from: `src/${from}.ts`, to: `src/${to}.ts`, runtime });
    expect(upwardImports([e('platform/x', 'offline/images'), e('engine/a', 'offline/b', false), e('cli/main', 'core/errors')])).toHaveLength(2);
    expect(importCircles([e('lab/a', 'lab/b'), e('lab/b', 'lab/c'), e('lab/c', 'lab/a'), e('lab/c', 'lab/d')])).toEqual([['src/lab/a.ts', 'src/lab/b.ts', 'src/lab/c.ts']]);
    // A type-only import back does not load anything: no circle.
    expect(importCircles([e('cli/main', 'cli/commands/list'), e('cli/commands/list', 'cli/main', false)])).toEqual([]);
  });
});
