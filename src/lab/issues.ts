/** Collecting the problems found in one file. */
import { relative, isAbsolute } from 'node:path';
import type { LabIssue } from '../core/errors.js';

export class IssueList {
  readonly file: string;
  readonly items: LabIssue[] = [];

  constructor(file: string) {
    this.file = file;
  }

  add(severity: LabIssue['severity'], line: number, message: string): void {
    this.items.push({ file: this.file, line, message, severity });
  }

  error(line: number, message: string): void {
    this.add('error', line, message);
  }

  warn(line: number, message: string): void {
    this.add('warning', line, message);
  }
}

export const errorsOf = (issues: readonly LabIssue[]) => issues.filter((i) => i.severity === 'error');

/** Errors before warnings, then by file and line: the first one is the headline. */
export function sortIssues(issues: readonly LabIssue[]): LabIssue[] {
  const rank = (i: LabIssue) => (i.severity === 'error' ? 0 : 1);
  return [...issues].sort((a, b) => rank(a) - rank(b) || a.file.localeCompare(b.file) || a.line - b.line);
}

/** A path as the user should see it in messages: relative to the working directory when inside it. */
export function displayPath(file: string, cwd = process.cwd()): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}
