/**
 * Bash words for `kindlab export`. Argument lists built by the platform's own functions carry
 * placeholders for the script's "$KUBECONFIG" and for files under "$WORK"; sh() writes those as
 * double-quoted variables and quotes everything else so bash reads it back unchanged.
 */

/** Placeholders for shell variables inside argument lists built by the platform's own functions. */
export const KUBECONFIG_WORD = '\u0000KUBECONFIG';
const WORK = '\u0000WORK/';

/** The word for $WORK/<path>. */
export const workFile = (path: string) => WORK + path;

/** One shell word: safe text bare, $WORK paths double-quoted, anything else single-quoted. */
export function sh(word: string): string {
  if (word === KUBECONFIG_WORD) return '"$KUBECONFIG"';
  if (word.startsWith(WORK)) return `"$WORK/${word.slice(WORK.length).replace(/["\\$`]/g, '\\$&')}"`;
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command line from words. */
export const line = (words: readonly string[]) => words.map(sh).join(' ');

/** A value for `export NAME="..."` where ${VAR} expands (as lab env values do) and nothing else does. */
export function envValue(value: string): string {
  return value.replace(/["\\`]/g, '\\$&').replace(/\$(?!\{[A-Za-z_][A-Za-z0-9_]*\})/g, '\\$');
}
