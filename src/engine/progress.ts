/**
 * A learner's progress through a lab, saved after every step so `kindlab start` resumes after a
 * crash, Ctrl-C or reboot. Writes are atomic (temp file + rename): an interrupted write leaves the
 * previous file intact, never a half-written one.
 */
import { readFile, mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import { KindlabError } from '../core/errors.js';
import { withFileLock } from './lock.js';

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

const count = z.number().int().min(0);
const stepProgressSchema = z.object({
  status: z.enum(['pending', 'passed', 'failed']),
  checks: count,
  solved: z.boolean(),
  hintsShown: count,
  updatedAt: z.string().optional(),
});
// Loose: fields a newer kindlab adds are kept, not dropped, when this version rewrites the file.
const progressSchema = z.looseObject({
  version: z.literal(1),
  labId: z.string().min(1),
  current: count,
  steps: z.record(z.string(), stepProgressSchema),
  vars: z.record(z.string(), z.string()),
  provisioned: z.boolean(),
  context: z.string().optional(),
  startedAt: z.string(),
  updatedAt: z.string(),
});

/** What the file must agree with: the lab it is kept for. */
export interface ProgressOwner {
  labId: string;
  /** The lab's number of steps, when known: `current` must point at one of them. */
  steps?: number;
}

/** Why a parsed progress file cannot be used, or undefined when it can. */
function damage(data: unknown, owner: ProgressOwner | undefined): string | undefined {
  const result = progressSchema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    const at = issue?.path.map(String).join('.');
    return `${at ? `${at}: ` : ''}${issue?.message ?? 'not a progress record'}`;
  }
  const p = result.data;
  if (owner && p.labId !== owner.labId) return `it is the progress of lab "${p.labId}", not of "${owner.labId}"`;
  if (owner?.steps !== undefined && p.current >= owner.steps) return `it is at step ${p.current + 1}, but the lab has ${owner.steps} steps`;
  return undefined;
}

export class ProgressStore {
  readonly file: string;
  /** `owner`: the lab the directory is kept for; a file that names another lab, or a step it lacks, is damaged. */
  constructor(
    readonly dir: string,
    private readonly owner?: ProgressOwner,
  ) {
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
    let why: string | undefined;
    try {
      parsed = JSON.parse(text);
      why = damage(parsed, this.owner);
    } catch (err) {
      why = `not JSON (${(err as Error).message})`;
    }
    if (why !== undefined) {
      const lab = this.owner?.labId ?? '<lab>';
      throw new KindlabError('state', `the saved progress in ${this.file} is damaged and cannot be read: ${why}`, {
        fix: `Run \`kindlab start ${lab} --fresh\` to start over: kindlab keeps the damaged file beside it (progress.json.previous-<time>) and begins at step 1.`,
      });
    }
    return parsed as Progress;
  }

  /** Writes the whole record, under the same lock as `update`. */
  async save(p: Progress, now: Date = new Date()): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await withFileLock(this.file, () => this.write(p, now));
  }

  private async write(p: Progress, now: Date): Promise<void> {
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

  /**
   * Read-change-write under the file's lock, so a `check` from another terminal and the session
   * do not undo each other's updates.
   */
  async update(labId: string, fn: (p: Progress) => void, now: Date = new Date()): Promise<Progress> {
    await mkdir(this.dir, { recursive: true });
    return withFileLock(this.file, async () => {
      const p = (await this.load()) ?? emptyProgress(labId, now);
      fn(p);
      await this.write(p, now);
      return p;
    });
  }
}
