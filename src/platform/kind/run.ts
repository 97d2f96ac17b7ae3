/**
 * Running the tools kindlab drives (kind, kubectl, helm, istioctl, docker) and turning a failure
 * into an error that names the provisioning phase, the command line and the tail of its output.
 */
import { KindlabError } from '../../core/errors.js';
import type { ProcessRunner, RunOptions, RunResult } from '../../core/seams.js';
import { prettyCommand } from '../exec.js';

const TAIL_LINES = 30;

/** The last lines of a command's output (stderr after stdout), for error details. */
export function outputTail(result: Pick<RunResult, 'stdout' | 'stderr'>, lines = TAIL_LINES): string[] {
  const all = `${result.stdout}\n${result.stderr}`
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.length > 0);
  return all.length > lines ? ['…', ...all.slice(-lines)] : all;
}

export interface PhaseErrorOptions {
  result?: RunResult;
  details?: string[];
  fix?: string;
  cause?: unknown;
}

/** A provisioning failure: "<phase>: <message>", with the command and its output as details. */
export function phaseError(phase: string, message: string, opts: PhaseErrorOptions = {}): KindlabError {
  const details: string[] = [];
  if (opts.result) {
    details.push(`$ ${prettyCommand(opts.result.argv)}  (exit ${opts.result.exitCode}${opts.result.timedOut ? ', stopped' : ''})`);
    details.push(...outputTail(opts.result).map((l) => `  ${l}`));
  }
  if (opts.details) details.push(...opts.details);
  return new KindlabError('environment', `${phase}: ${message}`, {
    details,
    ...(opts.fix ? { fix: opts.fix } : {}),
    ...(opts.cause !== undefined ? { cause: opts.cause } : {}),
  });
}

/** Runs a command and throws a phase error unless it exits 0. */
export async function mustRun(
  runner: ProcessRunner,
  phase: string,
  command: string,
  args: string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const result = await runner.run(command, args, opts);
  if (result.exitCode !== 0) {
    const what = result.timedOut ? 'was stopped' : `failed (exit ${result.exitCode})`;
    throw phaseError(phase, `${prettyCommand([command, ...args.slice(0, 4)])}${args.length > 4 ? ' …' : ''} ${what}`, { result });
  }
  return result;
}

/** Where a cluster is reached: every kubectl/helm/istioctl call names both, never the user's default. */
export interface ClusterAccess {
  kubeconfig: string;
  context: string;
}

export function kubectlArgs(c: ClusterAccess, ...args: string[]): string[] {
  return ['--kubeconfig', c.kubeconfig, '--context', c.context, ...args];
}
