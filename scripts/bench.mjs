#!/usr/bin/env node
// Start-up benchmark: `kindlab --help` and `kindlab list` against `node -e 0` (median of repeated runs).
// The target (issue: core) is a ratio of at most 2.5. Run with `npm run bench` after `npm run build`.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/kindlab.js', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 21);

function median(cmd, args) {
  const times = [];
  for (let i = 0; i < runs + 2; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    if (i >= 2) times.push(ms); // the first runs warm the file cache
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const base = median(process.execPath, ['-e', '0']);
const rows = [['node -e 0', base]];
for (const args of [['--help'], ['list'], ['validate']]) rows.push([`kindlab ${args.join(' ')}`, median(process.execPath, [bin, ...args])]);
for (const [name, ms] of rows) {
  const ratio = name === 'node -e 0' ? '' : `  ${(ms / base).toFixed(2)}x`;
  console.log(`${name.padEnd(20)} ${ms.toFixed(1).padStart(7)} ms${ratio}`);
}
const worst = Math.max(rows[1][1], rows[2][1]) / base;
console.log(`start-up ratio (worst of --help, list): ${worst.toFixed(2)} (target ≤ 2.5)`);
console.log(`validate (all labs): ${rows[3][1].toFixed(0)} ms (target < 1000 ms)`);
