/**
 * lab.md → Lab. Front matter is YAML checked by frontMatterSchema; the body is Markdown whose
 * `## ` sections are the steps (see labs/README.md for the format). Every problem is collected
 * with its line and all of them are thrown together as one LabFormatError.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { KindlabError, LabFormatError } from '../core/errors.js';
import { parseBody } from './body.js';
import { frontMatterSchema, type FrontMatter } from '../model/frontmatter-schema.js';
import { normalizeNewlines, splitFrontMatter } from './front-matter.js';
import { IssueList, displayPath, errorsOf, sortIssues } from './issues.js';
import { byteLength, sizeProblem } from './limits.js';
import type { Lab } from '../model/lab.js';
import { yamlData } from './yaml-data.js';
import { errorOffset, firstSentence, formatPath, lineAt, offsetOf, shownErrors } from './yaml-locate.js';
import { describeValue, explainIssues } from './zod-explain.js';

export interface ParseOptions {
  /** The file name used in messages (default: `file`). */
  displayFile?: string;
}

/** Parses a lab document. Pure: `file` only names the document. Throws LabFormatError. */
export function parseLab(file: string, text: string, opts: ParseOptions = {}): Lab {
  const issues = new IssueList(opts.displayFile ?? file);
  const tooBig = sizeProblem('the file', byteLength(text), 'fileBytes');
  if (tooBig) {
    issues.error(1, tooBig);
    throw new LabFormatError(issues.items);
  }
  const split = splitFrontMatter(normalizeNewlines(text));
  if (!split.ok) {
    issues.error(split.line, split.message);
    throw new LabFormatError(issues.items);
  }
  const { yaml, yamlLine, body, bodyLine } = split.doc;
  const meta = parseFrontMatter(yaml, yamlLine, issues);
  const { intro, steps } = parseBody(body, bodyLine, issues);

  const errors = errorsOf(issues.items);
  if (errors.length > 0 || !meta) throw new LabFormatError(sortIssues(errors));
  const warnings = sortIssues(issues.items);
  return { meta, dir: dirname(file), file, intro, steps, ...(warnings.length ? { warnings } : {}) };
}

function parseFrontMatter(yaml: string, firstLine: number, issues: IssueList): FrontMatter | undefined {
  const tooBig = sizeProblem('the front matter', byteLength(yaml), 'frontMatterBytes');
  if (tooBig) {
    issues.error(firstLine, tooBig);
    return undefined;
  }
  const counter = new LineCounter();
  const doc = parseDocument(yaml, { lineCounter: counter, prettyErrors: false });
  const lineOf = (offset: number | undefined) => lineAt(counter, offset, firstLine);
  if (doc.errors.length > 0) {
    for (const err of shownErrors(doc)) issues.error(lineOf(errorOffset(doc, err)), `front matter: invalid YAML: ${firstSentence(err.message)}`);
    return undefined;
  }
  for (const warning of doc.warnings) issues.warn(lineOf(warning.pos[0]), `front matter: ${firstSentence(warning.message)}`);
  const converted = yamlData(doc);
  if (!converted.ok) {
    issues.error(lineOf(converted.offset), `front matter: ${converted.message}`);
    return undefined;
  }
  const data = converted.value;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    issues.error(firstLine, `front matter: expected a map of fields (id, title, summary, ...), found ${describeValue(data)}`);
    return undefined;
  }
  const result = frontMatterSchema.safeParse(data);
  if (result.success) return result.data;
  for (const e of explainIssues(frontMatterSchema, data, result.error.issues)) {
    const shown = formatPath(e.shown);
    issues.error(lineOf(offsetOf(doc.contents, e.at)), `front matter: ${shown ? `${shown}: ` : ''}${e.detail}`);
  }
  return undefined;
}

/** Reads and parses `<dir>/lab.md`. */
export async function loadLab(dir: string): Promise<Lab> {
  const file = resolve(join(dir, 'lab.md'));
  let text: string;
  try {
    // Refused before reading: a huge file would cost memory and time for nothing.
    const bytes = (await stat(file)).size;
    const tooBig = sizeProblem('the file', bytes, 'fileBytes');
    if (tooBig) throw new LabFormatError([{ file: displayPath(file), line: 1, message: tooBig, severity: 'error' }]);
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof LabFormatError) throw err;
    throw new KindlabError('usage', `no lab.md in ${displayPath(resolve(dir))}`, {
      fix: 'A lab is a directory holding lab.md; see labs/README.md.',
      cause: err,
    });
  }
  return parseLab(file, text, { displayFile: displayPath(file) });
}
