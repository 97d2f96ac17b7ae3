import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { it } from 'vitest';
import { createProcessRunner } from '../../src/platform/exec.js';
import { createSimHarness } from '../sim/harness.js';

const repo = resolve(import.meta.dirname, '../..');
it('explore istio', async () => {
  const lab = process.env.LAB ?? 'istio-bookinfo';
  const h = await createSimHarness();
  const seen: string[] = [];
  h.sim.onExec = (req) => {
    seen.push(`${req.node ?? req.pod}: ${req.command.join(' ').slice(0, 300)}`);
    return { stdout: '', exitCode: 0 };
  };
  const report = join(h.dir, 'r.json');
  const t = Date.now();
  const r = await createProcessRunner().run(process.execPath, [join(repo, 'bin/kindlab.js'), 'run', lab, '--yes', '--skip-doctor', '--check-timeout', '2s', '--report', report, ...(process.env.UNTIL ? ['--until', process.env.UNTIL] : [])], { env: { ...h.env, NO_COLOR: '1' }, cwd: h.dir, timeoutMs: 300_000 });
  console.log('took', Date.now() - t);
  console.log(r.stderr.slice(-8000));
  console.log(seen.join('\n'));
  const rep = JSON.parse(await readFile(report, 'utf8'));
  for (const s of rep.steps) { console.log('STEP', s.id, s.status, s.durationMs, s.reason ?? ''); for (const c of s.checks) console.log('  ', c.kind, c.status, c.expected, '|', c.found); }
  await h.cleanup();
}, 300_000);
