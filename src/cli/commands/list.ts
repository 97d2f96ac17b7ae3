import { defineCommand } from 'citty';
import type { Command } from '../main.js';
import { wrap } from '../help.js';
import { jsonOption } from './_shared.js';

/** Rows fit the terminal, and never grow past 100 columns (nor shrink below 80) so a pipe reads the same. */
export const listWidth = (columns: number) => Math.max(80, Math.min(columns, 100));

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
      // What Docker must have (front matter `requires`); the number of clusters is in --json and `show`.
      const needs = (l: (typeof labs)[number]) => `${l.requires.memoryGiB} GiB, ${l.requires.cpus} CPU`;
      const idWidth = Math.max(2, ...labs.map((l) => l.id.length));
      const needsWidth = Math.max(5, ...labs.map((l) => needs(l).length));
      const indent = idWidth + 2 + 4 + 2 + needsWidth + 2;
      const titleWidth = listWidth(cli.term.isTTY ? cli.term.columns : 100) - indent;
      const lines = [`${'ID'.padEnd(idWidth)}  TIME  ${'NEEDS'.padEnd(needsWidth)}  TITLE`];
      for (const l of labs) {
        const [first, ...rest] = wrap(l.title, titleWidth);
        lines.push(`${l.id.padEnd(idWidth)}  ${l.duration.padStart(4)}  ${needs(l).padEnd(needsWidth)}  ${first}`);
        for (const more of rest) lines.push(`${' '.repeat(indent)}${more}`);
      }
      cli.term.out(lines.join('\n') + '\n');
      return 0;
    },
  });
export default command;
