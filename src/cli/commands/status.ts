import { defineCommand } from 'citty';
import { stepProgress } from '../../engine/progress.js';
import type { Command } from '../main.js';
import { ansi } from '../terminal.js';
import { jsonOption, labOption, loadLab, targetLabId } from './_shared.js';
import { ProgressStore } from '../../engine/progress.js';

const command: Command = (cli) =>
  defineCommand({
    meta: { name: 'status', description: 'Show progress through a lab (default: the lab last started)' },
    args: { ...labOption, ...jsonOption },
    async run({ args }) {
      // A script asking for JSON gets an answer it can parse even when nothing was started.
      if (args.json && !args.lab && !(await cli.currentLab())) {
        cli.term.out(JSON.stringify({ lab: null }) + '\n');
        return 0;
      }
      const id = await targetLabId(cli, args.lab);
      const lab = await loadLab(id);
      const progress = await new ProgressStore(cli.labDir(id), { labId: id, steps: lab.steps.length }).load();
      const steps = lab.steps.map((s) => ({ index: s.index, id: s.id, title: s.title, ...(progress ? stepProgress(progress, s.id) : { status: 'pending' }) }));
      if (args.json) {
        cli.term.out(JSON.stringify({ lab: id, started: Boolean(progress), provisioned: progress?.provisioned ?? false, current: progress ? progress.current + 1 : null, steps, vars: progress?.vars ?? {} }, null, 2) + '\n');
        return 0;
      }
      const c = ansi(cli.term.color);
      const lines = [`${lab.meta.id}: ${lab.meta.title}${progress ? '' : ' (not started)'}`];
      for (const s of steps) {
        const mark = s.status === 'passed' ? c.green('✓') : s.status === 'failed' ? c.red('✗') : ' ';
        const here = progress && progress.current === s.index - 1 ? c.cyan(' ← current') : '';
        lines.push(`  ${mark} ${String(s.index).padStart(2)}. ${s.title}${here}`);
      }
      cli.term.out(lines.join('\n') + '\n');
      return 0;
    },
  });
export default command;
