/**
 * A reader for the plain YAML that front matter is usually written in: block maps and lists,
 * one-line flow lists and maps of scalars, plain and quoted one-line scalars, and folded (>, >-) or
 * literal (|, |-) text as map values. On anything else it returns `undefined` and the caller falls
 * back to the `yaml` package.
 *
 * Why it exists: loading `yaml` costs about as much as starting Node itself (~20 ms measured), and
 * `kindlab list` must start in at most 2.5x the time of `node -e 0`. Its results are tested to be
 * equal to `yaml.parse` on every input it accepts.
 */

interface Line {
  indent: number;
  text: string;
  /** The raw lines of a block scalar (`key: >-`) that follow this line. */
  block?: string[];
}

/** Thrown inside the reader when the input leaves the supported subset. */
class Unsupported extends Error {}

const unsupported = (): never => {
  throw new Unsupported();
};

export function parseSimpleYaml(text: string): unknown {
  try {
    const lines = toLines(text);
    if (lines.length === 0) return null;
    const [value, next] = parseBlock(lines, 0);
    if (next !== lines.length) unsupported();
    return value;
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
}

function toLines(text: string): Line[] {
  const out: Line[] = [];
  const raws = text.split('\n');
  for (let r = 0; r < raws.length; r++) {
    const raw = raws[r] as string;
    const indent = raw.length - raw.trimStart().length;
    if (/^[ ]*\t/.test(raw)) unsupported();
    let content = raw.slice(indent);
    if (content.startsWith('#')) continue;
    const hash = content.search(/\s#/);
    if (hash !== -1) {
      // A quote could hide the '#' inside a string; telling those apart is the full parser's job.
      if (/['"]/.test(content)) unsupported();
      content = content.slice(0, hash);
    }
    content = content.trimEnd();
    if (content === '') continue;
    if (indent === 0 && /^(---|\.\.\.|%)/.test(content)) unsupported();
    const line: Line = { indent, text: content };
    if (/:\s+[|>]/.test(content)) {
      // Block scalar text is taken raw: comments and quotes mean nothing inside it. It is indented
      // deeper than its key, which in "- key: >" sits after the dash.
      const keyColumn = content.startsWith('- ') ? indent + 1 + content.slice(1).search(/\S/) : indent;
      line.block = [];
      while (r + 1 < raws.length && (raws[r + 1]?.trim() === '' || (raws[r + 1]?.search(/\S/) ?? 0) > keyColumn)) line.block.push(raws[++r] as string);
    }
    out.push(line);
  }
  return out;
}

const isSeqItem = (text: string) => text === '-' || text.startsWith('- ');
const mapEntryRe = /^([A-Za-z0-9_][A-Za-z0-9_./-]*):(?: +(.*))?$/;

function parseBlock(lines: Line[], i: number): [unknown, number] {
  const line = lines[i] as Line;
  return isSeqItem(line.text) ? parseSeq(lines, i, line.indent) : parseMap(lines, i, line.indent);
}

function parseMap(lines: Line[], start: number, indent: number): [Record<string, unknown>, number] {
  const out: Record<string, unknown> = {};
  let i = start;
  while (i < lines.length) {
    const line = lines[i] as Line;
    if (line.indent < indent) break;
    if (line.indent > indent || isSeqItem(line.text)) unsupported();
    const m = mapEntryRe.exec(line.text) ?? unsupported();
    const key = m[1] as string;
    if (key === '__proto__' || Object.hasOwn(out, key)) unsupported();
    const rest = m[2] ?? '';
    i++;
    const next = lines[i];
    let value: unknown = null;
    if (line.block) {
      value = blockScalar(rest, line.block, indent);
    } else if (rest !== '') {
      value = scalarOrFlow(rest);
      // A deeper line after a value would be a multi-line scalar or a structure error.
      if (next && next.indent > indent) unsupported();
    } else if (next && next.indent > indent) {
      [value, i] = parseBlock(lines, i);
    } else if (next && next.indent === indent && isSeqItem(next.text)) {
      // YAML allows a list at the same indentation as its key.
      [value, i] = parseSeq(lines, i, indent);
    }
    out[key] = value;
  }
  return [out, i];
}

function parseSeq(lines: Line[], start: number, indent: number): [unknown[], number] {
  const out: unknown[] = [];
  let i = start;
  while (i < lines.length) {
    const line = lines[i] as Line;
    if (line.indent < indent || (line.indent === indent && !isSeqItem(line.text))) break;
    if (line.indent > indent) unsupported();
    const rest = line.text.slice(1);
    const item = rest.trimStart();
    if (item === '') {
      i++;
      const next = lines[i];
      if (next && next.indent > indent) [out[out.length], i] = parseBlock(lines, i);
      else out.push(null);
    } else if (mapEntryRe.test(item)) {
      // "- key: value" opens a map whose keys line up with `key`.
      const column = indent + 1 + (rest.length - item.length);
      lines[i] = { ...line, indent: column, text: item };
      [out[out.length], i] = parseMap(lines, i, column);
    } else {
      out.push(scalarOrFlow(item));
      i++;
      const next = lines[i];
      if (next && next.indent > indent) unsupported();
    }
  }
  return [out, i];
}

/**
 * Folded (`>`) and literal (`|`) text with clip or strip (`-`) chomping, all lines at one
 * indentation; explicit indentation, keep chomping and more-indented lines are left to the full parser.
 */
function blockScalar(header: string, raw: string[], parentIndent: number): string {
  const m = /^([|>])(-?)$/.exec(header) ?? unsupported();
  const [, style, chomp] = m;
  const first = raw.find((l) => l.trim() !== '');
  if (first === undefined) return '';
  const indent = first.search(/\S/);
  if (indent <= parentIndent) unsupported();
  const lines = raw.map((l) => {
    if (l.trim() === '') {
      if (l.length > indent || l.includes('\t')) unsupported();
      return '';
    }
    if (l.search(/\S/) !== indent || l.includes('\t')) unsupported();
    return l.slice(indent);
  });
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  let text: string;
  if (style === '|') {
    text = lines.join('\n');
  } else {
    // Folding: a line break between two text lines becomes a space; n empty lines become n breaks.
    text = '';
    let breaks = 0;
    for (const [i, l] of lines.entries()) {
      if (l === '') {
        breaks++;
        continue;
      }
      if (i > 0) text += breaks > 0 ? '\n'.repeat(breaks) : ' ';
      breaks = 0;
      text += l;
    }
  }
  return chomp === '-' ? text : `${text}\n`;
}

function scalarOrFlow(text: string): unknown {
  if (text.startsWith('[')) {
    const inner = (/^\[(.*)\]$/.exec(text) ?? unsupported())[1] as string;
    return splitFlow(inner).map(plainScalar);
  }
  if (text.startsWith('{')) {
    const inner = (/^\{(.*)\}$/.exec(text) ?? unsupported())[1] as string;
    const out: Record<string, unknown> = {};
    for (const entry of splitFlow(inner)) {
      const m = /^([A-Za-z0-9_][A-Za-z0-9_./-]*): +(.+)$/.exec(entry) ?? unsupported();
      const key = m[1] as string;
      if (key === '__proto__' || Object.hasOwn(out, key)) unsupported();
      out[key] = plainScalar(m[2] as string);
    }
    return out;
  }
  if (text.startsWith("'")) {
    const m = /^'((?:[^']|'')*)'$/.exec(text) ?? unsupported();
    return (m[1] as string).replace(/''/g, "'");
  }
  if (text.startsWith('"')) {
    // Escapes are left to the full parser.
    return ((/^"([^"\\]*)"$/.exec(text) ?? unsupported())[1] as string);
  }
  return plainScalar(text);
}

function splitFlow(inner: string): string[] {
  if (/[[\]{}'"]/.test(inner)) unsupported();
  if (inner.trim() === '') return [];
  const items = inner.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) unsupported();
  return items;
}

/** Resolves a plain scalar the way YAML 1.2's core schema (the `yaml` package's default) does. */
function plainScalar(text: string): unknown {
  if (/^[[\]{}#&*!|>'"%@`,?]/.test(text) || /^-(\s|$)/.test(text) || /:(\s|$)/.test(text)) unsupported();
  if (/^(~|null|Null|NULL)$/.test(text)) return null;
  if (/^(true|True|TRUE)$/.test(text)) return true;
  if (/^(false|False|FALSE)$/.test(text)) return false;
  if (/^[-+]?(\.\d+|\d+(\.\d*)?)([eE][-+]?\d+)?$/.test(text)) return Number(text);
  // Hex, octal, infinities and NaN: rare in front matter, left to the full parser.
  if (/^[-+]?(0x|0o|\.inf|\.Inf|\.INF|\.nan|\.NaN|\.NAN)/.test(text)) unsupported();
  return text;
}
