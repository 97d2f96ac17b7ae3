/** A ProcessRunner that records calls and answers from a handler. */
import type { ProcessRunner, RunOptions, RunResult } from '../../src/core/seams.js';

export type RunHandler = (command: string, args: string[], opts: RunOptions) => Partial<RunResult> | Promise<Partial<RunResult>>;

export class FakeRunner implements ProcessRunner {
  readonly calls: Array<{ command: string; args: string[]; opts: RunOptions }> = [];
  constructor(public handler: RunHandler = () => ({ exitCode: 127, stderr: 'no handler in this test' })) {}

  async run(command: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    this.calls.push({ command, args, opts });
    const r = await this.handler(command, args, opts);
    return { argv: [command, ...args], exitCode: 0, stdout: '', stderr: '', durationMs: 1, ...r };
  }

  runScript(script: string, opts: RunOptions = {}): Promise<RunResult> {
    return this.run('bash', ['-c', `set -euo pipefail\n${script}`], opts);
  }
}
