/**
 * Help text for the whole CLI and for each command, wrapped to fit an 80-column terminal.
 * citty's own renderUsage pads every option to the longest one and never wraps, which at
 * 120 columns breaks lines mid-word; the layout here is the usual one of GNU tools instead.
 */
import type { ArgsDef } from 'citty';
import { ansi } from './terminal.js';

export const HELP_WIDTH = 80;
/** Options longer than this get their description on the next line. */
const OPTION_COLUMN = 26;

/** Greedy word wrap; a word longer than the width stays whole on its own line. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.length ? lines : [''];
}

/** Two columns: the term, then its description wrapped beside it (or below it when the term is long). */
export function twoColumns(rows: Array<[string, string]>, paint: (s: string) => string, width = HELP_WIDTH, indent = 2): string[] {
  const column = Math.min(OPTION_COLUMN, Math.max(...rows.map(([t]) => t.length)) + indent + 2);
  const out: string[] = [];
  for (const [term, description] of rows) {
    const text = wrap(description, width - column);
    const pad = ' '.repeat(column);
    if (indent + term.length + 2 <= column) {
      out.push(`${' '.repeat(indent)}${paint(term)}${' '.repeat(column - indent - term.length)}${text[0]}`);
    } else {
      out.push(`${' '.repeat(indent)}${paint(term)}`, `${pad}${text[0]}`);
    }
    for (const rest of text.slice(1)) out.push(`${pad}${rest}`);
  }
  return out;
}

/** The other spellings citty accepts for an option (`alias`), as a list. */
export function aliasesOf(def: ArgsDef[string]): string[] {
  const alias = 'alias' in def ? def.alias : undefined;
  return alias === undefined ? [] : Array.isArray(alias) ? alias : [alias];
}

function optionTerm(name: string, def: ArgsDef[string]): string {
  const flags = [...aliasesOf(def).map((a) => (a.length === 1 ? `-${a}` : `--${a}`)), `--${name}`].join(', ');
  if (def.type === 'string' || def.type === 'enum') return `${flags} <${def.valueHint ?? 'value'}>`;
  return flags;
}

export function renderCommandHelp(name: string, cmd: { description: string; args: ArgsDef }, color: boolean): string {
  const c = ansi(color);
  const args = cmd.args;
  const positionals = Object.entries(args).filter(([, d]) => d.type === 'positional');
  const options = Object.entries(args).filter(([, d]) => d.type !== 'positional');
  const usage = ['kindlab', name, ...positionals.map(([n, d]) => (d.required === false ? `[${n}]` : `<${n}>`)), ...(options.length ? ['[options]'] : [])].join(' ');
  const lines = [...wrap(cmd.description, HELP_WIDTH), '', `${c.bold('Usage:')} ${usage}`];
  if (positionals.length) {
    lines.push('', c.bold('Arguments:'), ...twoColumns(positionals.map(([n, d]) => [n, d.description ?? '']), c.cyan));
  }
  if (options.length) {
    lines.push('', c.bold('Options:'), ...twoColumns(options.map(([n, d]) => [optionTerm(n, d), d.description ?? '']), c.cyan));
  }
  lines.push('', 'Global options: -v/--verbose, --no-color, -h/--help (see kindlab --help).', '');
  return lines.join('\n');
}
