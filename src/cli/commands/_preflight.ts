/**
 * The doctor's verdict for a lab (src/platform/doctor/preflight.ts, the same one `doctor --lab`
 * gives), run before `start`, `run` and `repro` create anything: a machine that cannot run the lab
 * stops here with exit code 3 and the fix, instead of failing ten minutes into provisioning with an
 * unrelated-looking error. One summary line, then only what needs attention.
 */
import { KindlabError } from '../../core/errors.js';
import type { Lab } from '../../model/lab.js';
import type { Finding } from '../../platform/doctor/types.js';
import type { Cli } from '../context.js';

const count = (findings: Finding[], status: Finding['status']) => findings.filter((f) => f.status === status).length;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export async function preflight(cli: Cli, lab: Lab): Promise<void> {
  const [{ checkLab }, { renderFindings }] = await Promise.all([import('../../platform/doctor/preflight.js'), import('../../platform/doctor/render.js')]);
  const deps = await cli.engineDeps();
  const verdict = await checkLab({ lab: { ...lab.meta, steps: lab.steps }, context: { runner: deps.runner, env: cli.env, paths: cli.paths } });
  const all = [...verdict.machine, ...verdict.lab];
  const attention = all.filter((f) => f.status === 'fail' || f.status === 'warn');
  const tally = `${count(all, 'ok')} ok, ${plural(count(all, 'warn'), 'warning')}, ${count(all, 'fail')} failed`;
  const lines = attention.length ? renderFindings(attention, { color: cli.term.color, json: false, summary: false }).trimEnd().split('\n') : [];
  if (!verdict.ready) {
    throw new KindlabError('environment', `this machine is not ready for lab "${lab.meta.id}" (${tally})`, {
      details: lines,
      fix: `Fix the problems above and run the command again (\`kindlab doctor --lab ${lab.meta.id}\` re-checks; --skip-doctor skips this).`,
    });
  }
  cli.status(`Preflight for ${lab.meta.id}: ${tally}`);
  if (lines.length) cli.term.err(lines.join('\n') + '\n');
}
