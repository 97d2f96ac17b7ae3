import { writeFile } from 'node:fs/promises';
import { defineCommand } from 'citty';
import { ExitCode, KindlabError } from '../../core/errors.js';
import { renderSummary, toJUnit, type RunReport } from '../../engine/report.js';
import { renderBeforeCheck } from '../../engine/self-test-report.js';
import { runLab, type RunEvent } from '../../engine/unattended.js';
import type { Lab } from '../../model/lab.js';
import type { Cli } from '../context.js';
import type { Command } from '../main.js';
import { renderCheckResult, renderCommand, renderCommandFailure } from '../render.js';
import { durationArg, jsonOption, loadLabForRun, overridesFrom, versionOptions } from './_shared.js';
import { registryMirrorsFor } from './_offline.js';
import { preflight } from './_preflight.js';

const command: Command = (cli) =>
  defineCommand({
    meta: { name: 'run', description: "Run a lab unattended: provision, every step's solution, every checkpoint, teardown (unless --keep)" },
    args: {
      lab: { type: 'positional', description: 'Lab id', required: false },
      all: { type: 'boolean', description: 'Run every lab, one after the other' },
      yes: { type: 'boolean', description: 'Do not ask before creating clusters (required when not in a terminal)' },
      keep: { type: 'boolean', description: 'Keep the clusters after the run' },
      until: { type: 'string', description: 'Stop after this step (number or id)', valueHint: 'step' },
      report: { type: 'string', description: 'Write the JSON report to this file', valueHint: 'file' },
      junit: { type: 'string', description: 'Write JUnit XML to this file', valueHint: 'file' },
      'skip-doctor': { type: 'boolean', description: 'Do not run the preflight checks first' },
      'check-timeout': { type: 'string', description: "Cap every checkpoint's timeout, e.g. 30s (fail fast when validating labs)", valueHint: 'duration' },
      verbose: { type: 'boolean', description: "Show every command's output" },
      'self-test': { type: 'boolean', description: "Also run each step's checkpoints before its solution: each must fail there (unless marked holdsBefore)" },
      ...jsonOption,
      ...versionOptions,
    },
    async run({ args, rawArgs }) {
      if (!args.lab && !args.all) throw new KindlabError('usage', 'name a lab to run, or --all', { fix: 'Example: kindlab run canary-l4 --yes' });
      const ids = args.all ? (await (await import('../../lab/catalog.js')).listLabs()).map((l) => l.id) : [args.lab as string];
      const labs: Lab[] = [];
      for (const id of ids) labs.push(await loadLabForRun(id, args));
      if (!args.yes) {
        if (!cli.term.interactive) throw new KindlabError('usage', 'unattended runs need --yes when not in a terminal', { fix: `Run: kindlab run ${ids.join(' ')} --yes` });
        const prompter = await cli.prompter({ yes: false });
        const what = args.context ? `on your context "${args.context}"` : 'on new local kind clusters';
        if (!(await prompter.confirm(`Run ${ids.join(', ')} ${what}?`, true))) return ExitCode.ok;
      }
      const reports: RunReport[] = [];
      for (const lab of labs) reports.push(await runOne(cli, lab, args, rawArgs));
      if (args.report) await writeFile(args.report, JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2) + '\n');
      if (args.junit) await writeFile(args.junit, toJUnit(reports));
      if (args.json) cli.term.out(JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2) + '\n');
      if (reports.some((r) => r.errorKind === 'environment')) return ExitCode.environment;
      return reports.every((r) => r.outcome === 'passed') ? ExitCode.ok : ExitCode.checkFailed;
    },
  });

async function runOne(cli: Cli, lab: Lab, args: Record<string, unknown>, rawArgs: string[]): Promise<RunReport> {
  const stateDir = cli.labDir(lab.meta.id);
  const [baseDeps, platform] = await Promise.all([cli.engineDeps(), cli.platform()]);
  const deps = typeof args['check-timeout'] === 'string' ? { ...baseDeps, checkTimeoutCapMs: durationArg(args['check-timeout'], '--check-timeout') } : baseDeps;
  let provisioned;
  if (typeof args.context === 'string' && args.context) {
    const { attachExplicitContext } = await import('../../platform/explicit-context.js');
    provisioned = await attachExplicitContext(args.context, stateDir, deps.runner, cli.env);
  } else if (!args['skip-doctor']) {
    await preflight(cli, lab);
  }
  cli.status(`Running ${lab.meta.id} (${lab.steps.length} steps)`);
  const run = args['self-test'] ? (await import('../../engine/self-test.js')).runSelfTest : runLab;
  const report = await run(lab, deps, {
    platform,
    provision: {
      stateDir,
      overrides: overridesFrom(args),
      registryMirrors: await registryMirrorsFor(cli, rawArgs),
      keepOnFailure: Boolean(args.keep),
      status: (m) => cli.status(m),
    },
    keep: Boolean(args.keep),
    ...(typeof args.until === 'string' ? { until: args.until } : {}),
    kindlabVersion: cli.version,
    onEvent: (e) => showEvent(cli, e, cli.verbose || Boolean(args.verbose)),
    ...(provisioned ? { provisioned } : {}),
  });
  if (args.keep) await cli.setCurrentLab(lab.meta.id);
  cli.term.err('\n' + renderSummary(report, { color: cli.term.color }));
  return report;
}

function showEvent(cli: Cli, e: RunEvent, verbose: boolean): void {
  const color = cli.term.color;
  switch (e.type) {
    case 'step-start':
      cli.term.err(`\n${color ? '\u001b[1m' : ''}Step ${e.index}: ${e.title}${color ? '\u001b[0m' : ''}\n`);
      break;
    case 'command':
      cli.term.err(renderCommand(e.script, color));
      break;
    case 'output':
      if (verbose) cli.term.err(e.chunk);
      break;
    case 'check':
      cli.term.err(renderCheckResult(e.result, color, { forAuthor: true }));
      break;
    case 'check-before':
      cli.term.err(renderBeforeCheck(e.result, e.holdsBefore, color));
      break;
    case 'step-end': {
      // A failed command's output is what the user needs to see; without --verbose it was not shown.
      const bad = e.report.commands.find((c) => c.exitCode !== 0);
      if (bad) cli.term.err(renderCommandFailure(bad, color));
      break;
    }
    default:
      break;
  }
}
export default command;
