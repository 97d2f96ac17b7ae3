import { defineCommand } from 'citty';
import { ExitCode } from '../../core/errors.js';
import type { Command } from '../main.js';
import { renderCheckResult, renderCommand, renderCommandFailure } from '../render.js';
import { labOption, openSession, stepArg } from './_shared.js';

const command: Command = (cli) =>
  defineCommand({
    meta: { name: 'solve', description: "Run a step's solution (showing each command and its output), then check it" },
    args: { step: { type: 'positional', description: 'Step number or id', required: false }, ...labOption },
    async run({ args }) {
      const session = await openSession(cli, args.lab);
      const outcome = await session.solve(
        stepArg(session, args.step),
        { onStart: (b) => cli.term.err(renderCommand(b.code, cli.term.color)), onOutput: (chunk) => cli.term.err(chunk) },
        (r) => cli.term.err(renderCheckResult(r, cli.term.color)),
      );
      if (!outcome.commandsOk) {
        const bad = outcome.commands[outcome.commands.length - 1];
        if (bad) cli.term.err(renderCommandFailure(bad, cli.term.color));
        return ExitCode.checkFailed;
      }
      return outcome.passed ? ExitCode.ok : ExitCode.checkFailed;
    },
  });
export default command;
