/** Runs the built CLI (dist/, built by `npm test`) as a user would, with an isolated HOME/XDG tree. */
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const bin = join(repoRoot, 'bin/kindlab.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function isolatedEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const home = await mkdtemp(join(tmpdir(), 'kl-cli-'));
  return {
    PATH: process.env.PATH ?? '',
    HOME: home,
    XDG_STATE_HOME: join(home, 'state'),
    XDG_CACHE_HOME: join(home, 'cache'),
    XDG_CONFIG_HOME: join(home, 'config'),
    ...extra,
  };
}

export function runCli(args: string[], env: Record<string, string>, input?: string): Promise<CliResult> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...args], { env, cwd: repoRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(input ?? '');
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
