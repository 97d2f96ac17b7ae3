/**
 * Sizes beyond which kindlab refuses to read a lab, checked before any parser sees the text. The
 * parsers slow down sharply on some large inputs (a line of 100 000 "{" kept the YAML parser busy
 * for minutes; Markdown quotes and lists cost more the deeper they nest, and overflow the stack in
 * the end), and no real lab comes near. Measured on the shipped labs in 2026-12: the largest
 * lab.md is 36 KB, its front matter 2.1 KB, its largest code block 2.3 KB, and no line is nested
 * more than one list or quote deep.
 */

export const labLimits = {
  /** A whole lab.md: seven times the largest shipped lab. */
  fileBytes: 256 * 1024,
  /** The YAML front matter: seven times the largest. */
  frontMatterBytes: 16 * 1024,
  /** One fenced code block (commands, a check block): seven times the largest. */
  blockBytes: 16 * 1024,
  /** Quotes and list markers opening one line ("> - > - text"). */
  nesting: 16,
} as const;

export const byteLength = (text: string) => Buffer.byteLength(text, 'utf8');

const size = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`);

const limitNames = { fileBytes: 'a lab file', frontMatterBytes: 'the front matter', blockBytes: 'a code block' } as const;

/** Why `bytes` of the given part is too much ("... over kindlab's limit of 16 KiB for the front matter ..."), or undefined. */
export function sizeProblem(subject: string, bytes: number, limit: keyof typeof limitNames): string | undefined {
  if (bytes <= labLimits[limit]) return undefined;
  return `${subject} is ${size(bytes)}, over kindlab's limit of ${size(labLimits[limit])} for ${limitNames[limit]} (no real lab comes near it): shorten it or split it up`;
}

/** Leading "> ", "- ", "* ", "+ " and "1. " markers of a line, counted cheaply. */
const containerMarkers = /^(?:[ \t]*(?:>|[-*+](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$)))+/;

/** The line (counted from `firstLine`) of the first line nested deeper than the limit. */
export function tooDeeplyNested(text: string, firstLine: number): number | undefined {
  let line = firstLine;
  let start = 0;
  while (start <= text.length) {
    const end = text.indexOf('\n', start);
    const stop = end === -1 ? text.length : end;
    // Only lines that begin with a marker can nest; most lines are skipped after one character.
    const first = text.charCodeAt(start);
    if (first === 62 /* > */ || first === 45 || first === 42 || first === 43 || first === 32 || first === 9 || (first >= 48 && first <= 57)) {
      const prefix = containerMarkers.exec(text.slice(start, Math.min(stop, start + 4 * labLimits.nesting + 256)))?.[0] ?? '';
      let depth = 0;
      for (const ch of prefix) if (ch === '>' || ch === '-' || ch === '*' || ch === '+' || ch === '.' || ch === ')') depth++;
      if (depth > labLimits.nesting) return line;
    }
    if (end === -1) break;
    start = end + 1;
    line++;
  }
  return undefined;
}
