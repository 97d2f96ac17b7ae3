/**
 * kubectl's JSONPath templates, the subset labs use: {.a.b}, {.items[0].x}, {.items[*].metadata.name},
 * {['key.with.dots']} and escaped dots (a\.b), {..name}, slices, filters [?(@.type=="Ready")],
 * {range .items[*]}...{end}, and quoted literals {"\n"}. Missing keys print nothing, as with
 * kubectl's default --allow-missing-template-keys=true.
 */

function parseTemplate(template) {
  const root = { body: [] };
  const stack = [root];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open < 0) {
      stack.at(-1).body.push({ text: template.slice(i) });
      break;
    }
    if (open > i) stack.at(-1).body.push({ text: template.slice(i, open) });
    // find the matching close brace, skipping quoted strings
    let j = open + 1;
    let quote;
    for (; j < template.length; j++) {
      const c = template[j];
      if (quote) {
        if (c === '\\') j++;
        else if (c === quote) quote = undefined;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '}') break;
    }
    if (j >= template.length) throw new Error(`unclosed action in template ${template}`);
    const action = template.slice(open + 1, j).trim();
    i = j + 1;
    if (action.startsWith('range ')) {
      const node = { range: action.slice(6).trim(), body: [] };
      stack.at(-1).body.push(node);
      stack.push(node);
    } else if (action === 'end') {
      if (stack.length === 1) throw new Error('{end} without {range}');
      stack.pop();
    } else if (/^"(?:[^"\\]|\\.)*"$/.test(action) || /^'[^']*'$/.test(action)) {
      stack.at(-1).body.push({ text: action.startsWith('"') ? JSON.parse(action) : action.slice(1, -1) });
    } else stack.at(-1).body.push({ expr: action });
  }
  return root.body;
}

/** Splits ".a.b[0]['c.d'].e\.f" into steps. */
function parseExpr(expr) {
  const steps = [];
  let s = expr.trim();
  if (s.startsWith('$') || s.startsWith('@')) s = s.slice(1);
  let i = 0;
  while (i < s.length) {
    if (s.startsWith('..', i)) {
      i += 2;
      let name = '';
      while (i < s.length && s[i] !== '.' && s[i] !== '[') name += s[i++];
      steps.push({ recursive: name });
    } else if (s[i] === '.') {
      i++;
      let name = '';
      while (i < s.length && s[i] !== '.' && s[i] !== '[') {
        if (s[i] === '\\' && i + 1 < s.length) {
          name += s[i + 1];
          i += 2;
        } else name += s[i++];
      }
      if (name === '*') steps.push({ wildcard: true });
      else if (name) steps.push({ key: name });
    } else if (s[i] === '[') {
      let depth = 0;
      let j = i;
      for (; j < s.length; j++) {
        if (s[j] === '[') depth++;
        if (s[j] === ']' && --depth === 0) break;
      }
      const inner = s.slice(i + 1, j).trim();
      i = j + 1;
      if (inner === '*') steps.push({ wildcard: true });
      else if (/^-?\d+$/.test(inner)) steps.push({ index: Number(inner) });
      else if (/^-?\d*:-?\d*$/.test(inner)) {
        const [a, b] = inner.split(':');
        steps.push({ slice: [a === '' ? undefined : Number(a), b === '' ? undefined : Number(b)] });
      } else if (/^['"].*['"]$/.test(inner)) steps.push({ key: inner.slice(1, -1) });
      else if (inner.startsWith('?(') && inner.endsWith(')')) steps.push({ filter: parseFilter(inner.slice(2, -1)) });
      else throw new Error(`unsupported JSONPath subscript [${inner}]`);
    } else if (s[i] === ' ') i++;
    else {
      // a bare name at the start ("items[0]")
      let name = '';
      while (i < s.length && s[i] !== '.' && s[i] !== '[') name += s[i++];
      steps.push({ key: name });
    }
  }
  return steps;
}

function parseFilter(text) {
  const m = /^@(\S*?)\s*(==|!=|<=|>=|<|>)\s*(.+)$/.exec(text.trim());
  if (!m) {
    const path = parseExpr(text.trim());
    return (v) => evaluate(path, [v]).length > 0;
  }
  const path = parseExpr(m[1]);
  const raw = m[3].trim();
  const expected = /^['"].*['"]$/.test(raw) ? raw.slice(1, -1) : Number.isNaN(Number(raw)) ? raw : Number(raw);
  const op = m[2];
  return (v) => {
    const [actual] = evaluate(path, [v]);
    switch (op) {
      case '==':
        return actual == expected; // loose on purpose: "3" == 3, as kubectl compares
      case '!=':
        return actual != expected;
      case '<':
        return actual < expected;
      case '>':
        return actual > expected;
      case '<=':
        return actual <= expected;
      default:
        return actual >= expected;
    }
  };
}

const isObj = (v) => v !== null && typeof v === 'object';

function descendants(v, name, out) {
  if (Array.isArray(v)) v.forEach((x) => descendants(x, name, out));
  else if (isObj(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (k === name || name === '*') out.push(x);
      descendants(x, name, out);
    }
  }
}

function evaluate(steps, values) {
  let cur = values;
  for (const step of steps) {
    const next = [];
    for (const v of cur) {
      if (step.key !== undefined) {
        if (isObj(v) && !Array.isArray(v) && step.key in v) next.push(v[step.key]);
      } else if (step.wildcard) {
        if (Array.isArray(v)) next.push(...v);
        else if (isObj(v)) next.push(...Object.values(v));
      } else if (step.index !== undefined) {
        if (Array.isArray(v)) {
          const x = v[step.index < 0 ? v.length + step.index : step.index];
          if (x !== undefined) next.push(x);
        }
      } else if (step.slice) {
        if (Array.isArray(v)) next.push(...v.slice(...step.slice));
      } else if (step.filter) {
        if (Array.isArray(v)) next.push(...v.filter(step.filter));
      } else if (step.recursive !== undefined) descendants(v, step.recursive, next);
    }
    cur = next;
  }
  return cur;
}

function print(v) {
  if (typeof v === 'string') return v;
  if (isObj(v)) return JSON.stringify(v);
  return String(v);
}

function render(nodes, data) {
  let out = '';
  for (const node of nodes) {
    if (node.text !== undefined) out += node.text;
    else if (node.expr !== undefined) out += evaluate(parseExpr(node.expr), [data]).map(print).join(' ');
    else if (node.range !== undefined) {
      for (const item of evaluate(parseExpr(node.range), [data])) out += render(node.body, item);
    }
  }
  return out;
}

/** Renders a kubectl -o jsonpath template against data (an object or a List). */
export function renderJsonPath(template, data) {
  // kubectl accepts templates without braces ("-o jsonpath=.metadata.name") by wrapping them.
  const t = template.includes('{') ? template : `{${template}}`;
  return render(parseTemplate(t), data);
}
