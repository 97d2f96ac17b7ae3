/**
 * Refusing options a command does not have. citty parses leniently (node:util parseArgs with
 * strict: false), so `list --jsn` would print the table and `start --frseh` would resume instead
 * of starting over. Each command's options are checked here before citty sees them.
 */
import type { ArgsDef } from 'citty';
import { distance } from 'fastest-levenshtein';
import { KindlabError } from '../core/errors.js';
import { aliasesOf } from './help.js';

const kebab = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
const camel = (s: string) => s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

interface Known {
  /** Spelling on the command line (without dashes) → the option it is. */
  names: Map<string, { canonical: string; takesValue: boolean }>;
  /** The long names shown in help, for suggestions. */
  shown: string[];
}

function known(args: ArgsDef): Known {
  const names = new Map<string, { canonical: string; takesValue: boolean }>();
  const shown: string[] = [];
  for (const [name, def] of Object.entries(args)) {
    if (def.type === 'positional') continue;
    const takesValue = def.type === 'string' || def.type === 'enum';
    const entry = { canonical: name, takesValue };
    shown.push(name);
    for (const n of [name, kebab(name), camel(name), ...aliasesOf(def)]) names.set(n, entry);
    // citty reads --no-<flag> as false for any flag; only booleans make sense that way.
    if (!takesValue) names.set(`no-${name}`, { canonical: name, takesValue: false });
  }
  return { names, shown };
}

/** The option a typo most probably meant, when one is close enough to be a guess rather than noise. */
export function nearestOption(typed: string, options: readonly string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const name of options) {
    const d = name.startsWith(typed) ? 0 : distance(typed, name);
    if (!best || d < best.d) best = { name, d };
  }
  return best && best.d <= Math.max(2, Math.floor(typed.length / 3)) ? best.name : undefined;
}

/**
 * Throws a usage error (exit 2) for an option the command does not define, or one that needs a
 * value and has none. `rawArgs` are the command's arguments without the global options.
 */
export function checkOptions(command: string, args: ArgsDef, rawArgs: readonly string[]): void {
  const k = known(args);
  const help = `Run \`kindlab ${command} --help\` for its options.`;
  for (let i = 0; i < rawArgs.length; i++) {
    const token = rawArgs[i] as string;
    if (token === '--') return;
    if (!token.startsWith('-') || token === '-') continue;
    const body = token.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const option = k.names.get(name);
    if (!option) {
      const guess = nearestOption(name, k.shown);
      const has = k.shown.length ? '' : ` (it has no options)`;
      throw new KindlabError('usage', `unknown option ${token.split('=')[0]} for \`kindlab ${command}\`${has}`, {
        fix: guess ? `Did you mean --${guess}? ${help}` : help,
      });
    }
    if (option.takesValue && eq < 0) {
      const next = rawArgs[i + 1];
      if (next === undefined || next.startsWith('--')) {
        throw new KindlabError('usage', `--${option.canonical} needs a value`, { fix: help });
      }
      i++;
    }
  }
}
