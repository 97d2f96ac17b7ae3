/** `next` and `back`: the same move through the steps, in one direction or the other. */
import { defineCommand } from 'citty';
import { KindlabError } from '../../core/errors.js';
import type { Command } from '../main.js';
import { renderStep } from '../render.js';
import { labOption, openSession } from './_shared.js';

export function moveCommand(name: 'next' | 'back', delta: 1 | -1): Command {
  return (cli) =>
    defineCommand({
      meta: { name, description: delta > 0 ? 'Move to the next step' : 'Move to the previous step' },
      args: { ...labOption },
      async run({ args }) {
        const session = await openSession(cli, args.lab);
        const target = session.progress.current + delta;
        if (target < 0 || target >= session.lab.steps.length) {
          throw new KindlabError('usage', target < 0 ? 'already at the first step' : 'already at the last step');
        }
        const step = await session.goTo(target);
        cli.term.out(await renderStep(step, session.lab.steps.length, cli.term));
        return 0;
      },
    });
}
