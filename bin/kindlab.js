#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm run build`, run on install by `prepare`).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

// kindlab needs Node >= 22.19 (the Kubernetes client's HTTP stack). In a development checkout the
// `node` devDependency provides one; use it rather than fail when the shell's Node is older.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  const local = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (existsSync(local) && process.env.KINDLAB_REEXEC !== '1') {
    const r = spawnSync(local, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, KINDLAB_REEXEC: '1' },
    });
    process.exit(r.status ?? 1);
  }
  process.stderr.write(`error: kindlab needs Node.js 22.19 or newer; this is ${process.version}.\nInstall a current Node.js (https://nodejs.org) and run the command again.\n`);
  process.exit(3);
}

// Node keeps compiled bytecode of kindlab's modules on disk between runs (Node >= 22.1), which
// cuts start-up time of every command; it falls back silently where unavailable.
module.enableCompileCache?.();

const { main } = await import('../dist/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
