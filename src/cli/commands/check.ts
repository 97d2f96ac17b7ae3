import { defineCommand } from 'citty';
import { ExitCode } from '../../core/errors.js';
import type { Command } from '../main.js';
import { renderCheckResult } from '../render.js';
import { durationArg, jsonOption, labOption, openSession, stepArg } from './_shared.js';

const command: Command = (cli) =>
  defineCommand({
    meta: { name: 'check', description: "Verify a step's checkpoints now (default: the current step); works from another terminal" },
    args: {
      step: { type: 'positional', description: 'Step number or id', required: false },
      ...labOption,
      ...jsonOption,
      wait: { type: 'string', description: 'How long each checkpoint may wait for the cluster to settle (default 10s)', valueHint: 'duration' },
    },
    async run({ args }) {
      const session = await openSession(cli, args.lab);
      const index = stepArg(session, args.step);
      const quick = typeof args.wait === 'string' ? durationArg(args.wait, '--wait') : 10_000;
      const outcome = await session.check(index, args.json ? undefined : (r) => cli.term.err(renderCheckResult(r, cli.term.color)), quick);
      if (args.json) cli.term.out(JSON.stringify({ step: outcome.step.id, passed: outcome.passed, results: outcome.results }, null, 2) + '\n');
      else cli.term.err(outcome.passed ? `Step ${outcome.step.index} passed.\n` : `Step ${outcome.step.index} is not done yet: \`kindlab hint\` may help.\n`);
      return outcome.passed ? ExitCode.ok : ExitCode.checkFailed;
    },
  });
export default command;
