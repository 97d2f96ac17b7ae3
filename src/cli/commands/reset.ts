import { defineCommand } from 'citty';
import { ExitCode, KindlabError } from '../../core/errors.js';
import type { Command } from '../main.js';
import { renderCommand, renderCommandFailure } from '../render.js';
import { labOption, openSession, stepArg } from './_shared.js';

const command: Command = (cli) =>
  defineCommand({
    meta: { name: 'reset', description: "Undo a step by running its cleanup, and make it the current step" },
    args: {
      step: { type: 'positional', description: 'Step number or id (default: the current step)', required: false },
      ...labOption,
      yes: { type: 'boolean', description: 'Do not ask for confirmation' },
    },
    async run({ args }) {
      const session = await openSession(cli, args.lab);
      const index = stepArg(session, args.step) ?? session.progress.current;
      // On a cluster the user named with --context, undoing changes needs an explicit yes.
      if (session.progress.context) {
        if (!args.yes && !cli.term.interactive) {
          throw new KindlabError('usage', `resetting a step on your context "${session.progress.context}" needs a yes, and there is no terminal to ask in`, {
            fix: `Run: kindlab reset ${index + 1} --yes`,
          });
        }
        const prompter = await cli.prompter({ yes: Boolean(args.yes) });
        if (!(await prompter.confirm(`Reset step ${index + 1} on your context "${session.progress.context}"? This runs its cleanup commands there.`))) return ExitCode.ok;
      }
      const records = await session.reset(index, { onStart: (b) => cli.term.err(renderCommand(b.code, cli.term.color)), onOutput: (c) => cli.term.err(c) });
      const bad = records.find((r) => r.exitCode !== 0);
      if (bad) {
        cli.term.err(renderCommandFailure(bad, cli.term.color));
        return ExitCode.checkFailed;
      }
      cli.term.err(`Step ${index + 1} reset; it is now the current step.\n`);
      return ExitCode.ok;
    },
  });
export default command;
