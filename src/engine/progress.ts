/**
 * A learner's progress through a lab, saved after every step so `kindlab start` resumes after a
 * crash, Ctrl-C or reboot. Writes are atomic (temp file + rename): an interrupted write leaves the
 * previous file intact, never a half-written one.
 */
import { readFile, mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { KindlabError } from '../core/errors.js';

export type StepStatus = 'pending' | 'passed' | 'failed';

export interface StepProgress {
  status: StepStatus;
  /** How many times the learner ran `check` on this step. */
  checks: number;
  /** Whether kindlab ran the solution for the learner. */
  solved: boolean;
  hintsShown: number;
  updatedAt?: string;
}

export interface Progress {
  version: 1;
  labId: string;
  /** Index (0-based) of the step the learner is on. */
  current: number;
  steps: Record<string, StepProgress>;
  /** Variables captured by checks, carried to later steps and sessions. */
  vars: Record<string, string>;
  /** Set once the lab's clusters and addons are up. */
  provisioned: boolean;
  /** A kube context the user named explicitly with --context (kindlab then created nothing). */
  context?: string;
  startedAt: string;
  updatedAt: string;
}

export function emptyProgress(labId: string, now: Date): Progress {
  const at = now.toISOString();
  return { version: 1, labId, current: 0, steps: {}, vars: {}, provisioned: false, startedAt: at, updatedAt: at };
}

export function stepProgress(p: Progress, stepId: string): StepProgress {
  return p.steps[stepId] ?? { status: 'pending', checks: 0, solved: false, hintsShown: 0 };
}

function isProgress(v: unknown): v is Progress {
  const p = v as Progress;
  return (
    typeof p === 'object' && p !== null && p.version === 1 && typeof p.labId === 'string' &&
    Number.isInteger(p.current) && typeof p.steps === 'object' && typeof p.vars === 'object'
  );
}

export class ProgressStore {
  readonly file: string;
  constructor(readonly dir: string) {
    this.file = join(dir, 'progress.json');
  }

  /** Undefined when the lab was never started. A corrupt file is an error, never silently replaced. */
  async load(): Promise<Progress | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!isProgress(parsed)) {
      throw new KindlabError('state', `the saved progress in ${this.file} is damaged and cannot be read`, {
        fix: 'Run `kindlab start <lab> --fresh` to start over: kindlab keeps the damaged file beside it (progress.json.previous-<time>) and begins at step 1.',
      });
    }
    return parsed;
  }

  async save(p: Progress, now: Date = new Date()): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    p.updatedAt = now.toISOString();
    await writeFileAtomic(this.file, JSON.stringify(p, null, 2) + '\n');
  }

  /** Moves the progress file aside (kept, never deleted) so the lab can start afresh. */
  async setAside(label: 'damaged' | 'previous', now: Date = new Date()): Promise<string | undefined> {
    const target = `${this.file}.${label}-${now.toISOString().replace(/[:.]/g, '-')}`;
    try {
      await rename(this.file, target);
      return target;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Read-modify-write, so a `check` from another terminal and the session do not undo each other's updates. */
  async update(labId: string, fn: (p: Progress) => void, now: Date = new Date()): Promise<Progress> {
    const p = (await this.load()) ?? emptyProgress(labId, now);
    fn(p);
    await this.save(p, now);
    return p;
  }
}
