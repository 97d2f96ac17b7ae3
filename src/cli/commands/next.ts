import { defineCommand } from 'citty';
import { KindlabError } from '../../core/errors.js';
import type { Command } from '../main.js';
import { renderStep } from '../render.js';
import { labOption, openSession } from './_shared.js';

const command: Command = (cli) =>
  defineCommand({
    meta: { name: 'next', description: 'Move to the next step' },
    args: { ...labOption },
    async run({ args }) {
      const session = await openSession(cli, args.lab);
      const target = session.progress.current + (1);
      if (target < 0 || target >= session.lab.steps.length) {
        throw new KindlabError('usage', target < 0 ? 'already at the first step' : 'already at the last step');
      }
      const step = await session.goTo(target);
      cli.term.out(await renderStep(step, session.lab.steps.length, cli.term));
      return 0;
    },
  });
export default command;
