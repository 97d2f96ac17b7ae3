/**
 * Runs the CLI's `main` in this process and captures what it prints: the cheap way to test a
 * command (no child process), and the only way when the simulated cluster answers from here.
 */
import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';

export interface Captured {
  code: number;
  out: string;
  err: string;
}

export async function runInProcess(args: string[], env: Record<string, string | undefined>): Promise<Captured> {
  let out = '';
  let err = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
  try {
    const code = await main(args, env);
    return { code, out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}
