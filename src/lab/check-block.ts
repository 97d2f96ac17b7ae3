/**
 * Parsing one ```check block: a YAML list whose items name exactly one check kind plus common
 * options. Every problem is reported at the line of the YAML node it is about.
 */
import { LineCounter, parseDocument, isSeq, type Node } from 'yaml';
import { checkKindNames, checkKinds, commonCheckOptions, type CheckKind, type CheckSpec } from '../model/check-schema.js';
import type { IssueList } from './issues.js';
import { byteLength, sizeProblem } from './limits.js';
import { didYouMean } from './suggest.js';
import { yamlData } from './yaml-data.js';
import { errorOffset, firstSentence, formatPath, lineAt, offsetOf, shownErrors, type PathSegment } from './yaml-locate.js';
import { describeValue, explainIssues, objectKeys } from './zod-explain.js';

const optionNames = Object.keys(commonCheckOptions.shape);
const isKind = (key: string): key is CheckKind => Object.hasOwn(checkKinds, key);

/**
 * @param code the block's text, without fences
 * @param firstLine line in lab.md of the block's first line (the one after the opening fence)
 */
export function parseCheckBlock(code: string, firstLine: number, issues: IssueList): CheckSpec[] {
  const fenceLine = firstLine - 1;
  const tooBig = sizeProblem('this check block', byteLength(code), 'blockBytes');
  if (tooBig) {
    issues.error(fenceLine, tooBig);
    return [];
  }
  const counter = new LineCounter();
  const doc = parseDocument(code, { lineCounter: counter, prettyErrors: false });
  const lineOf = (offset: number | undefined) => lineAt(counter, offset, firstLine);

  if (doc.errors.length > 0) {
    for (const err of shownErrors(doc)) issues.error(lineOf(errorOffset(doc, err)), `check block: invalid YAML: ${firstSentence(err.message)}`);
    return [];
  }
  const root = doc.contents as Node | null;
  if (root === null) {
    issues.error(fenceLine, 'empty check block: list at least one check, or remove the block');
    return [];
  }
  if (!isSeq(root)) {
    issues.error(lineOf(root.range?.[0]), 'a check block is a YAML list: begin each check with "- ", e.g. "- rollout: deployment/web"');
    return [];
  }
  if (root.items.length === 0) {
    issues.error(fenceLine, 'empty check block: list at least one check, or remove the block');
    return [];
  }

  const converted = yamlData(doc);
  if (!converted.ok) {
    issues.error(lineOf(converted.offset), `check block: ${converted.message}`);
    return [];
  }
  const data = converted.value as unknown[];
  const out: CheckSpec[] = [];
  root.items.forEach((_, index) => {
    const at = (path: PathSegment[]) => lineOf(offsetOf(root, [index, ...path]));
    const check = parseItem(data[index], at, issues);
    if (check) out.push(check);
  });
  return out;
}

function parseItem(item: unknown, at: (path: PathSegment[]) => number, issues: IssueList): CheckSpec | undefined {
  const line = at([]);
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    issues.error(line, `a check is a map like "- rollout: deployment/web", found ${describeValue(item)}`);
    return undefined;
  }
  const fields = item as Record<string, unknown>;
  const keys = Object.keys(fields);
  const kinds = keys.filter(isKind);
  const unknown = keys.filter((k) => !isKind(k) && !optionNames.includes(k));

  if (kinds.length === 0) {
    const first = unknown[0];
    if (first !== undefined) {
      issues.error(at([first]), `unknown check kind "${first}"${didYouMean(first, checkKindNames)}`);
    } else {
      issues.error(line, `a check needs a kind: one of ${checkKindNames.join(', ')}`);
    }
    return undefined;
  }
  const kind = kinds[0] as CheckKind;
  if (kinds.length > 1) {
    issues.error(at([kinds[1] as string]), `one check per list item: found "${kind}" and "${kinds[1]}"; begin the second with "- "`);
    return undefined;
  }
  let ok = true;
  const kindFields = objectKeys(checkKinds[kind]);
  for (const key of unknown) {
    ok = false;
    if (kindFields.includes(key)) {
      issues.error(at([key]), `check "${kind}": "${key}" is a field of ${kind}: indent it under "${kind}:"`);
    } else {
      issues.error(at([key]), `check "${kind}": unknown option "${key}"${didYouMean(key, optionNames) || ` (options: ${optionNames.join(', ')})`}`);
    }
  }
  if (!ok) return undefined;

  // "- nodes:" with nothing after it means "all defaults".
  const raw = fields[kind] ?? {};
  const spec = checkKinds[kind].safeParse(raw);
  if (!spec.success) {
    report(explainIssues(checkKinds[kind], raw, spec.error.issues), kind, [kind], at, issues);
  }
  const rest = Object.fromEntries(Object.entries(fields).filter(([k]) => k !== kind));
  const options = commonCheckOptions.safeParse(rest);
  if (!options.success) {
    report(explainIssues(commonCheckOptions, rest, options.error.issues), kind, [], at, issues);
  }
  if (!spec.success || !options.success) return undefined;
  return { kind, spec: spec.data, options: options.data, line } as CheckSpec;
}

function report(
  explained: ReturnType<typeof explainIssues>,
  kind: CheckKind,
  base: PathSegment[],
  at: (path: PathSegment[]) => number,
  issues: IssueList,
): void {
  for (const e of explained) {
    const shown = formatPath(e.shown);
    issues.error(at([...base, ...e.at]), `check "${kind}": ${shown ? `${shown}: ` : ''}${e.detail}`);
  }
}
