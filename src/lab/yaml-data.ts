/**
 * A parsed YAML document → plain data, refusing what makes `toJS()` throw or never finish: an
 * alias with no anchor before it (`x: *nope`), an alias inside the node it names (a cycle),
 * aliases of aliases that multiply a few lines into millions of values (the "billion laughs"),
 * and lists or maps used as map keys (`? ? ? ...`: turning each such key into a string costs
 * twice the one inside it, and 500 of them took minutes). Each is reported where it is, so an
 * author gets file:line like for any other mistake. The yaml package's own `maxAliasCount`
 * guard stays on as a second line.
 */
import { isAlias, isCollection, isPair, isScalar, visit, type Alias, type Document, type Node } from 'yaml';

export type YamlData = { ok: true; value: unknown } | { ok: false; offset: number | undefined; message: string };

/**
 * Values an alias-expanded document may hold. The largest check block of the shipped labs has
 * about 150 (2026-12), their front matter fewer; sixty times that still reads in milliseconds.
 */
export const MAX_EXPANDED_VALUES = 10_000;

export function yamlData(doc: Document.Parsed): YamlData {
  const problem = aliasProblem(doc);
  if (problem) return { ok: false, ...problem };
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: MAX_EXPANDED_VALUES }) };
  } catch (err) {
    // Only the library's own alias guard can still trip here; it does not say where.
    if (!(err instanceof ReferenceError)) throw err;
    return { ok: false, offset: firstAlias(doc)?.range?.[0], message: `aliases: ${err.message}` };
  }
}

function aliasProblem(doc: Document.Parsed): { offset: number | undefined; message: string } | undefined {
  // The node each anchor names at this point of the document: an alias refers to the last one
  // before it, in document order (YAML 1.2 §7.1), which is the order `visit` walks.
  const anchors = new Map<string, Node>();
  const targets = new Map<Alias, Node>();
  let problem: { offset: number | undefined; message: string } | undefined;
  const keyProblem = (key: unknown, offset: number | undefined) =>
    isCollection(key) ? { offset, message: 'a map key must be a plain value such as a name or a number, not a list or a map' } : undefined;
  visit(doc, {
    Pair(_, pair) {
      problem = keyProblem(pair.key, (pair.key as Node | null)?.range?.[0]);
      return problem ? visit.BREAK : undefined;
    },
    Node(_, node, path) {
      if (isAlias(node)) {
        const target = anchors.get(node.source);
        if (!target) {
          problem = { offset: node.range?.[0], message: `alias *${node.source} has no anchor: define "&${node.source}" on a value before it, or write the value out` };
          return visit.BREAK;
        }
        if (path.includes(target)) {
          problem = { offset: node.range?.[0], message: `alias *${node.source} is inside the value it refers to, which would make that value contain itself forever` };
          return visit.BREAK;
        }
        const parent = path[path.length - 1];
        if (isPair(parent) && parent.key === node) problem = keyProblem(target, node.range?.[0]);
        if (problem) return visit.BREAK;
        targets.set(node, target);
        return undefined;
      }
      if (node.anchor) anchors.set(node.anchor, node);
      return undefined;
    },
  });
  if (problem || targets.size === 0) return problem;

  // Expanded size of each node, memoised: aliases of aliases are where the sizes multiply.
  const sizes = new Map<unknown, number>();
  const sizeOf = (node: unknown): number => {
    const known = sizes.get(node);
    if (known !== undefined) return known;
    let n = 1;
    if (isAlias(node)) n = sizeOf(targets.get(node));
    else if (isPair(node)) n = sizeOf(node.key) + sizeOf(node.value);
    else if (isCollection(node)) for (const item of node.items) n = Math.min(n + sizeOf(item), Number.MAX_SAFE_INTEGER);
    else if (!isScalar(node)) n = 0;
    sizes.set(node, n);
    return n;
  };
  if (sizeOf(doc.contents) <= MAX_EXPANDED_VALUES) return undefined;
  // Blame the alias that expands the most: the outermost of the nested ones.
  let worst: Alias | undefined;
  for (const alias of targets.keys()) if (!worst || sizeOf(alias) > sizeOf(worst)) worst = alias;
  return {
    offset: worst?.range?.[0],
    message: `aliases expand this YAML to more than ${MAX_EXPANDED_VALUES} values (*${worst?.source ?? ''} alone to ${sizeOf(worst)}): write the values out instead of nesting aliases`,
  };
}

function firstAlias(doc: Document.Parsed): Alias | undefined {
  let found: Alias | undefined;
  visit(doc, {
    Alias(_, node) {
      found = node;
      return visit.BREAK;
    },
  });
  return found;
}
