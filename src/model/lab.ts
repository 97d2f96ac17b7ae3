/** The typed model of a lab document (labs/<id>/lab.md), produced by parseLab(). */
import type { CheckSpec } from './check-schema.js';
import type { LabIssue } from '../core/errors.js';
import type { FrontMatter } from './frontmatter-schema.js';

export interface CodeBlock {
  /** The script text, without the fences. */
  code: string;
  /** Line of the opening fence in lab.md (1-based). */
  line: number;
}

export interface Step {
  /** Stable id: from `{#id}` after the heading, or the heading text made into a slug. */
  id: string;
  title: string;
  /** 1-based index among the lab's steps. */
  index: number;
  line: number;
  /** The step's Markdown as the learner reads it (prose, commands, hints; check blocks left out). */
  markdown: string;
  /** ```sh blocks: the step's solution, run in order by `solve` and unattended runs. */
  commands: CodeBlock[];
  /** ```sh cleanup blocks: undo the step (used by `reset`). */
  cleanup: CodeBlock[];
  /** ```sh norun blocks: shown to the learner, never run (kept for `kindlab validate`). */
  norun?: CodeBlock[];
  /** ```check before blocks: run before the step's commands (baselines, captures). */
  before: CheckSpec[];
  /** ```check blocks: the step's checkpoints. */
  checks: CheckSpec[];
  /** Lines quoted as `> hint: ...`, in order. */
  hints: string[];
}

export interface Lab {
  meta: FrontMatter;
  /** Directory holding lab.md. */
  dir: string;
  /** Absolute path of lab.md. */
  file: string;
  /** The Markdown before the first step (the introduction). */
  intro: string;
  steps: Step[];
  /** Problems parseLab found that do not stop the lab from running (e.g. an unknown fence type). */
  warnings?: LabIssue[];
}
