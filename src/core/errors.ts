/**
 * Errors that reach the user. Anything thrown that is not a KindlabError is a bug:
 * the CLI prints it with its stack only under --verbose.
 */

/** Process exit codes, stable across releases (documented in the README). */
export const ExitCode = {
  ok: 0,
  checkFailed: 1,
  usage: 2,
  environment: 3,
  /** An unexpected internal error (a bug). */
  internal: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorKind = 'usage' | 'lab-format' | 'environment' | 'check-failed' | 'command-failed' | 'state';

const exitCodeOf: Record<ErrorKind, ExitCode> = {
  usage: ExitCode.usage,
  'lab-format': ExitCode.usage,
  environment: ExitCode.environment,
  'check-failed': ExitCode.checkFailed,
  'command-failed': ExitCode.checkFailed,
  state: ExitCode.usage,
};

export class KindlabError extends Error {
  readonly kind: ErrorKind;
  /** One short sentence the user can act on ("Start Docker Desktop, then run the command again."). */
  readonly fix: string | undefined;
  /** Extra lines shown under the message (a command's output, a list of problems). */
  readonly details: string[];

  constructor(kind: ErrorKind, message: string, opts: { fix?: string; details?: string[]; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'KindlabError';
    this.kind = kind;
    this.fix = opts.fix;
    this.details = opts.details ?? [];
  }

  get exitCode(): ExitCode {
    return exitCodeOf[this.kind];
  }
}

export const usageError = (message: string, fix?: string) => new KindlabError('usage', message, fix ? { fix } : {});

export const envError = (message: string, fix?: string, details?: string[]) =>
  new KindlabError('environment', message, { ...(fix ? { fix } : {}), ...(details ? { details } : {}) });

/** A problem in a lab document, located at file:line. */
export interface LabIssue {
  file: string;
  /** 1-based; 0 when the problem is about the file or directory as a whole. */
  line: number;
  message: string;
  severity: 'error' | 'warning';
}

/** "file:line: message", or "file: message" for a problem without a line. */
export const formatIssue = (i: LabIssue) => `${i.line > 0 ? `${i.file}:${i.line}` : i.file}: ${i.message}`;

export class LabFormatError extends KindlabError {
  readonly issues: LabIssue[];
  constructor(issues: LabIssue[]) {
    const first = issues[0];
    super(
      'lab-format',
      first ? formatIssue(first) : 'invalid lab document',
      { details: issues.slice(1).map(formatIssue) },
    );
    this.issues = issues;
  }
}

/** The message of anything thrown, without assuming it is an Error. */
export function toMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}
