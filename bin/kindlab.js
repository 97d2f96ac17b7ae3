#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm run build`, run on install by `prepare`).
import module from 'node:module';

// Node keeps compiled bytecode of kindlab's modules on disk between runs (Node >= 22.1), which
// cuts start-up time of every command; it falls back silently where unavailable.
module.enableCompileCache?.();

const { main } = await import('../dist/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
