/**
 * Splitting lab.md into its YAML front matter and its Markdown body. Kept free of heavy imports:
 * `kindlab list` uses it to read only the front matter of every lab.
 */

export interface SplitDocument {
  /** The YAML between the two `---` lines. */
  yaml: string;
  /** 1-based line of the first YAML line in lab.md. */
  yamlLine: number;
  /** Everything after the closing `---`. */
  body: string;
  /** 1-based line of the first body line in lab.md. */
  bodyLine: number;
}

export type SplitResult = { ok: true; doc: SplitDocument } | { ok: false; line: number; message: string };

/** Windows line endings become \n so that line counting and the YAML/Markdown parsers agree. */
export function normalizeNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

// \r allowed: `kindlab list` splits files without normalizing their (long) bodies first.
const openRe = /^---[ \t]*\r?$/;
const closeRe = /^(---|\.\.\.)[ \t]*\r?$/;

/** Lines may end in \r\n; the parts keep them (see normalizeNewlines). */
export function splitFrontMatter(text: string): SplitResult {
  // A byte-order mark is invisible in editors; it must not hide the opening line.
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const firstEnd = src.indexOf('\n');
  const first = firstEnd === -1 ? src : src.slice(0, firstEnd);
  if (!openRe.test(first)) {
    return {
      ok: false,
      line: 1,
      message: 'missing front matter: lab.md must begin with a line "---", then the YAML front matter, then another "---"',
    };
  }
  let pos = firstEnd + 1;
  let line = 2;
  while (firstEnd !== -1 && pos <= src.length) {
    const end = src.indexOf('\n', pos);
    const current = end === -1 ? src.slice(pos) : src.slice(pos, end);
    if (closeRe.test(current)) {
      return {
        ok: true,
        doc: {
          yaml: src.slice(firstEnd + 1, pos),
          yamlLine: 2,
          body: end === -1 ? '' : src.slice(end + 1),
          bodyLine: line + 1,
        },
      };
    }
    if (end === -1) break;
    pos = end + 1;
    line++;
  }
  return { ok: false, line: 1, message: 'the front matter is not closed: add a line "---" after it' };
}
