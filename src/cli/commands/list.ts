import { defineCommand } from 'citty';
import type { Command } from '../main.js';
import { jsonOption } from './_shared.js';

const command: Command = (cli) =>
  defineCommand({
    meta: { name: 'list', description: 'List the labs, with duration and what each needs' },
    args: { ...jsonOption },
    async run({ args }) {
      const [{ scanLabs }, { formatIssue }] = await Promise.all([import('../../lab/catalog.js'), import('../../core/errors.js')]);
      const { labs, problems } = await scanLabs();
      // A lab that cannot be listed is not silently missing: say which file and why.
      for (const p of problems) cli.term.err(`warning: ${formatIssue(p)}\n`);
      if (args.json) {
        cli.term.out(JSON.stringify(labs, null, 2) + '\n');
        return 0;
      }
      const idWidth = Math.max(2, ...labs.map((l) => l.id.length));
      const rows = labs.map((l) => {
        const needs = `${l.requires.memoryGiB} GiB, ${l.requires.cpus} CPU, ${l.clusters} cluster${l.clusters > 1 ? 's' : ''}`;
        return `${l.id.padEnd(idWidth)}  ${l.duration.padStart(4)}  ${needs.padEnd(28)}  ${l.title}`;
      });
      cli.term.out([`${'ID'.padEnd(idWidth)}  TIME  ${'NEEDS'.padEnd(28)}  TITLE`, ...rows].join('\n') + '\n');
      return 0;
    },
  });
export default command;
