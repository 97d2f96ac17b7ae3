/**
 * The part of PromQL the labs use, evaluated over the proxies' counters: instant selectors with
 * =, !=, =~, !~ matchers, and the aggregations sum/count/min/max/avg with `by (...)` or
 * `without (...)` before or after the parenthesised expression. Anything else is an error the
 * test should see (PromQLError), not a silent empty result.
 */
import type { Labels, Series } from './metrics.js';

export class PromQLError extends Error {
  constructor(
    message: string,
    readonly type: 'bad_data' | 'execution' = 'bad_data',
  ) {
    super(message);
  }
}

export interface Sample {
  metric: Labels;
  value: number;
}

type Matcher = { name: string; op: '=' | '!=' | '=~' | '!~'; value: string };

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }

  private peekWord(): string {
    this.ws();
    return /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(this.s.slice(this.i))?.[0] ?? '';
  }

  private expect(c: string): void {
    this.ws();
    if (this.s[this.i] !== c) throw new PromQLError(`1:${this.i + 1}: parse error: unexpected ${this.s[this.i] ?? 'end of input'}, expected "${c}"`);
    this.i++;
  }

  private labelList(): string[] {
    this.expect('(');
    const names: string[] = [];
    for (;;) {
      this.ws();
      if (this.s[this.i] === ')') break;
      const w = this.peekWord();
      if (!w) throw new PromQLError(`1:${this.i + 1}: parse error: unexpected character in grouping`);
      names.push(w);
      this.i += w.length;
      this.ws();
      if (this.s[this.i] === ',') this.i++;
    }
    this.expect(')');
    return names;
  }

  parse(): (series: Series[]) => Sample[] {
    const e = this.expr();
    this.ws();
    if (this.i < this.s.length) throw new PromQLError(`1:${this.i + 1}: parse error: unexpected "${this.s.slice(this.i, this.i + 10)}"`);
    return e;
  }

  private expr(): (series: Series[]) => Sample[] {
    const word = this.peekWord();
    if (['sum', 'count', 'min', 'max', 'avg'].includes(word)) {
      this.i += word.length;
      let grouping: { by: boolean; labels: string[] } | undefined;
      const mod = this.peekWord();
      if (mod === 'by' || mod === 'without') {
        this.i += mod.length;
        grouping = { by: mod === 'by', labels: this.labelList() };
      }
      this.expect('(');
      const inner = this.expr();
      this.expect(')');
      const after = this.peekWord();
      if (!grouping && (after === 'by' || after === 'without')) {
        this.i += after.length;
        grouping = { by: after === 'by', labels: this.labelList() };
      }
      return (series) => aggregate(word, grouping, inner(series));
    }
    if (word && this.s.slice(this.i + word.length).trimStart().startsWith('(')) throw new PromQLError(`function "${word}" is not simulated`, 'execution');
    return this.selector();
  }

  private selector(): (series: Series[]) => Sample[] {
    const name = this.peekWord();
    this.i += name.length;
    const matchers: Matcher[] = name ? [{ name: '__name__', op: '=', value: name }] : [];
    this.ws();
    if (this.s[this.i] === '{') {
      this.i++;
      for (;;) {
        this.ws();
        if (this.s[this.i] === '}') break;
        const label = this.peekWord();
        if (!label) throw new PromQLError(`1:${this.i + 1}: parse error: unexpected character inside braces`);
        this.i += label.length;
        this.ws();
        const op = /^(=~|!~|!=|=)/.exec(this.s.slice(this.i))?.[0] as Matcher['op'] | undefined;
        if (!op) throw new PromQLError(`1:${this.i + 1}: parse error: unexpected character after label name`);
        this.i += op.length;
        this.ws();
        const q = this.s[this.i];
        if (q !== '"' && q !== "'") throw new PromQLError(`1:${this.i + 1}: parse error: expected a string`);
        const end = this.s.indexOf(q, this.i + 1);
        if (end < 0) throw new PromQLError('parse error: unterminated quoted string');
        matchers.push({ name: label, op, value: this.s.slice(this.i + 1, end) });
        this.i = end + 1;
        this.ws();
        if (this.s[this.i] === ',') this.i++;
      }
      this.expect('}');
    }
    if (matchers.length === 0) throw new PromQLError('parse error: vector selector must contain at least one non-empty matcher');
    this.ws();
    if (this.s[this.i] === '[') throw new PromQLError('range vectors are not simulated', 'execution');
    return (series) =>
      series
        .filter((s) => matchers.every((m) => test(m, m.name === '__name__' ? s.name : (s.labels[m.name] ?? ''))))
        .map((s) => ({ metric: { __name__: s.name, ...s.labels }, value: s.value }));
  }
}

function test(m: Matcher, v: string): boolean {
  switch (m.op) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return new RegExp(`^(?:${m.value})$`).test(v);
    case '!~':
      return !new RegExp(`^(?:${m.value})$`).test(v);
  }
}

function aggregate(op: string, grouping: { by: boolean; labels: string[] } | undefined, samples: Sample[]): Sample[] {
  const groups = new Map<string, { metric: Labels; values: number[] }>();
  for (const s of samples) {
    const metric: Labels = {};
    if (grouping?.by) for (const l of grouping.labels) if (s.metric[l] !== undefined) metric[l] = s.metric[l];
    if (grouping && !grouping.by) for (const [k, v] of Object.entries(s.metric)) if (k !== '__name__' && !grouping.labels.includes(k)) metric[k] = v;
    const key = JSON.stringify(metric);
    const g = groups.get(key) ?? { metric, values: [] };
    g.values.push(s.value);
    groups.set(key, g);
  }
  return [...groups.values()].map(({ metric, values }) => {
    const sum = values.reduce((a, b) => a + b, 0);
    const value = op === 'sum' ? sum : op === 'count' ? values.length : op === 'min' ? Math.min(...values) : op === 'max' ? Math.max(...values) : sum / values.length;
    return { metric, value };
  });
}

export function evaluate(query: string, series: Series[]): Sample[] {
  return new Parser(query).parse()(series);
}
