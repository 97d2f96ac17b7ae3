/**
 * The Go-template subset `docker --format` is used with: {{.A.B}}, {{json .}}, {{json .A}},
 * {{index .A "key"}}, {{(index .A 0).B}}, {{.Label "key"}} (docker ps), {{range .A}}...{{end}},
 * {{upper .A}}/{{lower .A}}, and a leading "table" (header row). \t and \n in the format are
 * turned into tabs and newlines, as docker does.
 */

function tokenize(format) {
  const tokens = [];
  let i = 0;
  while (i < format.length) {
    const open = format.indexOf('{{', i);
    if (open < 0) {
      tokens.push({ text: format.slice(i) });
      break;
    }
    if (open > i) tokens.push({ text: format.slice(i, open) });
    const close = format.indexOf('}}', open);
    if (close < 0) throw new Error(`template: unclosed action in ${format}`);
    tokens.push({ action: format.slice(open + 2, close).replace(/^-|-$/g, '').trim() });
    i = close + 2;
  }
  return tokens;
}

function parse(tokens) {
  const root = [];
  const stack = [root];
  for (const t of tokens) {
    if (t.text !== undefined) stack.at(-1).push(t);
    else if (t.action.startsWith('range ')) {
      const node = { range: t.action.slice(6).trim(), body: [] };
      stack.at(-1).push(node);
      stack.push(node.body);
    } else if (t.action === 'end') stack.pop();
    else stack.at(-1).push({ expr: t.action });
  }
  return root;
}

function field(value, path) {
  let cur = value;
  for (const part of path.split('.').filter(Boolean)) {
    if (cur === null || cur === undefined) return undefined;
    cur = cur[part];
  }
  return cur;
}

/** Splits an expression into words, keeping quoted strings and (parenthesised) groups whole. */
function words(expr) {
  const out = [];
  let i = 0;
  while (i < expr.length) {
    if (expr[i] === ' ') {
      i++;
      continue;
    }
    if (expr[i] === '"') {
      const end = expr.indexOf('"', i + 1);
      out.push(expr.slice(i, end + 1));
      i = end + 1;
    } else if (expr[i] === '(') {
      let depth = 0;
      let j = i;
      for (; j < expr.length; j++) {
        if (expr[j] === '(') depth++;
        if (expr[j] === ')' && --depth === 0) break;
      }
      let k = j + 1;
      while (k < expr.length && expr[k] !== ' ') k++;
      out.push(expr.slice(i, k));
      i = k;
    } else {
      let j = i;
      while (j < expr.length && expr[j] !== ' ') j++;
      out.push(expr.slice(i, j));
      i = j;
    }
  }
  return out;
}

function operand(word, dot) {
  if (word.startsWith('"')) return JSON.parse(word);
  if (/^-?\d+$/.test(word)) return Number(word);
  if (word.startsWith('(')) {
    const close = word.lastIndexOf(')');
    const inner = evalExpr(word.slice(1, close), dot);
    return field(inner, word.slice(close + 1));
  }
  if (word === '.') return dot;
  if (word.startsWith('.')) return field(dot, word);
  throw new Error(`template: unsupported operand ${word}`);
}

function evalExpr(expr, dot) {
  const [head, ...args] = words(expr);
  switch (head) {
    case 'json':
      return { json: operand(args[0] ?? '.', dot) };
    case 'index': {
      let v = operand(args[0], dot);
      for (const k of args.slice(1)) v = v?.[operand(k, dot)];
      return v;
    }
    case 'upper':
      return String(operand(args[0], dot) ?? '').toUpperCase();
    case 'lower':
      return String(operand(args[0], dot) ?? '').toLowerCase();
    case 'join':
      return (operand(args[0], dot) ?? []).join(operand(args[1], dot));
    default:
      // {{.Label "key"}}: a method of docker ps rows
      if (head === '.Label' && args.length === 1) return dot.Labels?.split(',').find((p) => p.startsWith(`${operand(args[0], dot)}=`))?.split('=').slice(1).join('=') ?? '';
      return operand(head, dot);
  }
}

/** Go's fmt %v of a value. */
function goString(v) {
  if (v && typeof v === 'object' && 'json' in v && Object.keys(v).length === 1) return JSON.stringify(v.json ?? null);
  if (v === undefined || v === null) return '<no value>';
  if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
  if (typeof v === 'object') {
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goString(v[k])}`)
      .join(' ')}]`;
  }
  return String(v);
}

function render(nodes, dot) {
  let out = '';
  for (const n of nodes) {
    if (n.text !== undefined) out += n.text;
    else if (n.expr !== undefined) out += goString(evalExpr(n.expr, dot));
    else {
      const over = operand(n.range, dot);
      const items = Array.isArray(over) ? over : over && typeof over === 'object' ? Object.keys(over).sort().map((k) => over[k]) : [];
      for (const item of items) out += render(n.body, item);
    }
  }
  return out;
}

/** Formats each item with a docker --format string; returns the lines (with a header for "table"). */
export function formatAll(format, items) {
  let f = format.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const lines = [];
  if (f.startsWith('table')) {
    f = f.slice(5).trimStart();
    lines.push(f.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_, name) => name.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase()));
  }
  const tree = parse(tokenize(f));
  for (const item of items) lines.push(render(tree, item));
  return lines;
}
