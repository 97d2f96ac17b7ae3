import { defineCommand } from 'citty';
import type { Command } from '../main.js';
import { labOption, openSession } from './_shared.js';

const command: Command = (cli) =>
  defineCommand({
    meta: { name: 'hint', description: 'Show the next hint for the current step' },
    args: { ...labOption },
    async run({ args }) {
      const session = await openSession(cli, args.lab);
      const h = await session.hint();
      if (h.hint) cli.term.out(`Hint ${h.shown}/${h.total}: ${h.hint}\n`);
      else cli.term.out(h.total ? 'No more hints for this step; `kindlab solve` runs its solution.\n' : 'This step has no hints.\n');
      return 0;
    },
  });
export default command;
