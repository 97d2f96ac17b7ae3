import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { it } from 'vitest';
import { createProcessRunner } from '../../src/platform/exec.js';
import { createSimHarness } from '../sim/harness.js';
import { isSamplerCommand, simulateSamplerScript } from '../checks/sampler-sim.js';

const repo = resolve(import.meta.dirname, '../..');
it('explore', async () => {
  const lab = process.env.LAB ?? 'canary-l4';
  const h = await createSimHarness();
  const seen: string[] = [];
  h.sim.onExec = (req) => {
    seen.push(`${req.node ?? req.pod}: ${req.command.join(' ').slice(0, 200)}`);
    if (isSamplerCommand(req.command)) return simulateSamplerScript(req.command, () => ({ status: 200, body: 'old\n' }));
    return { stdout: '', exitCode: 0 };
  };
  const report = join(h.dir, 'r.json');
  const t = Date.now();
  const r = await createProcessRunner().run(process.execPath, [join(repo, 'bin/kindlab.js'), 'run', lab, '--yes', '--skip-doctor', '--check-timeout', '3s', '--report', report, ...(process.env.UNTIL ? ['--until', process.env.UNTIL] : [])], { env: { ...h.env, NO_COLOR: '1' }, cwd: h.dir, timeoutMs: 300_000 });
  console.log('took', Date.now() - t);
  console.log(r.stderr.slice(-6000));
  console.log(seen.join('\n'));
  const rep = JSON.parse(await readFile(report, 'utf8'));
  for (const s of rep.steps) for (const c of s.checks) console.log(s.id, c.kind, c.status, c.expected, '|', c.found);
  console.log(h.calls().filter(c=>c.tool!=='kubectl').map((c) => c.tool + ' ' + c.argv.join(' ').slice(0, 150)).join('\n'));
  await h.cleanup();
}, 300_000);
