/** Finding where a value sits in a YAML source, so that every problem can name its line. */
import { isMap, isScalar, isSeq, visit, type Document, type LineCounter, type Node, type ParsedNode, type YAMLError } from 'yaml';

export type PathSegment = string | number;

/**
 * The offset of the node at `path` inside `root`, or of its deepest existing ancestor when part of
 * the path is missing (a missing field is reported where its parent is). Map entries point at
 * their key, which is where an author looks for "requests:".
 */
export function offsetOf(root: Node | null | undefined, path: readonly PathSegment[]): number | undefined {
  if (!root?.range) return undefined;
  let node: unknown = root;
  let offset = root.range[0];
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const key = pair.key as ParsedNode;
      offset = key.range[0];
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)] as ParsedNode | undefined;
      if (!item?.range) break;
      offset = item.range[0];
      node = item;
    } else {
      break;
    }
  }
  return offset;
}

/** 1-based line in the whole file, given the line at which the YAML text starts. */
export function lineAt(counter: LineCounter, offset: number | undefined, firstLine: number): number {
  if (offset === undefined) return firstLine;
  return counter.linePos(offset).line + firstLine - 1;
}

/** "spec.ports[0].port", the path as an author reads it. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/**
 * Where to report a YAML syntax error. An unclosed quote or bracket is detected where the text
 * ends, often lines below the mistake; the start of the unclosed node is where to look.
 */
export function errorOffset(doc: Document.Parsed, err: YAMLError): number {
  let offset = err.pos[0];
  if (err.code !== 'MISSING_CHAR' && !/end with a/.test(err.message)) return offset;
  for (const [start, end] of openableRanges(doc)) {
    if (end >= err.pos[0] - 1 && start < offset) offset = start;
  }
  return offset;
}

/**
 * Quoted scalars and flow collections of a document, collected once: a file of a thousand "{"
 * has a thousand errors, and walking the document for each of them took minutes.
 */
const openable = new WeakMap<Document.Parsed, Array<[number, number]>>();
function openableRanges(doc: Document.Parsed): Array<[number, number]> {
  let ranges = openable.get(doc);
  if (ranges) return ranges;
  const found: Array<[number, number]> = [];
  visit(doc, {
    Node(_, node) {
      const range = node.range;
      const open = (isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE')) || ((isMap(node) || isSeq(node)) && node.flow);
      if (open && range) found.push([range[0], range[1]]);
    },
  });
  ranges = found;
  openable.set(doc, ranges);
  return ranges;
}

/** Syntax errors worth showing: after the first few, the rest are echoes of the same mistake. */
export function shownErrors(doc: Document.Parsed): YAMLError[] {
  return doc.errors.slice(0, 5);
}

/** The yaml package's messages can run to several lines with a code excerpt; the first line says it. */
export function firstSentence(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '').trim();
}
