/**
 * Entry point: global flags, a lazy command table, and the mapping from errors to exit codes.
 * Only this module decides the exit code; commands return it. Command modules are imported only
 * when that command runs, so `kindlab --help` and `kindlab list` start fast.
 */
import type { CommandDef } from 'citty';
import { ExitCode, KindlabError, toMessage } from '../core/errors.js';
import { createCli, kindlabVersion, type Cli } from './context.js';
import { HELP_WIDTH, renderCommandHelp, twoColumns, wrap } from './help.js';
import { ansi } from './terminal.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each command has its own argument types
export type Command = (cli: Cli) => CommandDef<any>;

interface Entry {
  summary: string;
  load: () => Promise<{ default: Command }>;
}

/** Grouped for the help screen; order is the order a learner meets them. */
export const commands: Record<string, Entry> = {
  list: { summary: 'List the labs, with duration and what each needs', load: () => import('./commands/list.js') },
  show: { summary: 'Show a lab as a document in the terminal', load: () => import('./commands/show.js') },
  start: { summary: 'Bring a lab up and walk through it step by step (resumes)', load: () => import('./commands/start.js') },
  check: { summary: "Verify the current step's checkpoints (from any terminal)", load: () => import('./commands/check.js') },
  hint: { summary: 'Show the next hint for the current step', load: () => import('./commands/hint.js') },
  solve: { summary: "Run the current step's solution, then check it", load: () => import('./commands/solve.js') },
  reset: { summary: 'Undo a step (runs its cleanup) and make it current', load: () => import('./commands/reset.js') },
  next: { summary: 'Move to the next step', load: () => import('./commands/next.js') },
  back: { summary: 'Move to the previous step', load: () => import('./commands/back.js') },
  status: { summary: 'Show progress through the current lab', load: () => import('./commands/status.js') },
  run: { summary: 'Run a lab unattended: provision, every step, every check, teardown', load: () => import('./commands/run.js') },
  down: { summary: 'Delete what kindlab created for a lab (or --all), and only that', load: () => import('./commands/down.js') },
  open: { summary: 'Open a lab dashboard (kiali, grafana, prometheus, jaeger, zipkin) on 127.0.0.1', load: () => import('./commands/open.js') },
  validate: { summary: 'Check lab documents and their manifests and scripts', load: () => import('./commands/validate.js') },
  doctor: { summary: 'Check this machine: Docker, memory, ports, tools, network', load: () => import('./commands/doctor.js') },
  repro: { summary: 'Reproduce a lab for a bug report (report directory, Markdown summary, version matrix)', load: () => import('./commands/repro.js') },
  export: { summary: 'Write a standalone bash script that reproduces a lab without kindlab', load: () => import('./commands/export.js') },
  prefetch: { summary: 'Fetch the tools and images labs need, for offline use', load: () => import('./commands/prefetch.js') },
  bundle: { summary: 'Write prefetched tools and images as one archive for other machines', load: () => import('./commands/bundle.js') },
  import: { summary: 'Load a bundle so labs start without internet', load: () => import('./commands/import.js') },
};

export function renderHelp(color: boolean): string {
  const c = ansi(color);
  return [
    `${c.bold('kindlab')} ${kindlabVersion()}: Kubernetes and Istio tutorials as hands-on labs on local kind`,
    'clusters',
    '',
    `${c.bold('Usage:')} kindlab <command> [options]`,
    '',
    c.bold('Commands:'),
    ...twoColumns(Object.entries(commands).map(([name, e]) => [name, e.summary]), c.cyan),
    '',
    c.bold('Global options:'),
    ...twoColumns(
      [
        ['-h, --help', 'Show help (kindlab <command> --help for a command)'],
        ['-v, --verbose', 'Show stack traces and more detail on errors'],
        ['--no-color', 'Plain output (also NO_COLOR=1)'],
        ['--version', 'Print the version'],
      ],
      (s) => s,
    ),
    '',
    ...wrap('Exit codes: 0 success, 1 a checkpoint failed, 2 bad usage or lab file, 3 environment not ready.', HELP_WIDTH),
    '',
  ].join('\n');
}

// eslint-disable-next-line no-control-regex
const stripAnsi = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');

/** Commands a typo probably meant: prefixes first, then anything within two edits. */
async function closest(name: string): Promise<string[]> {
  const { distance } = await import('fastest-levenshtein');
  const names = Object.keys(commands);
  const prefixed = names.filter((n) => n.startsWith(name));
  return prefixed.length ? prefixed : names.filter((n) => distance(name, n) <= 2);
}

/** Returns the exit code; never throws and never calls process.exit. */
export async function main(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  const verbose = argv.includes('--verbose') || argv.includes('-v');
  const noColor = argv.includes('--no-color');
  const rest = argv.filter((a) => a !== '--verbose' && a !== '-v' && a !== '--no-color');
  const cli = createCli({ verbose, noColor, env });
  const wantsHelp = rest.includes('--help') || rest.includes('-h');
  const name = rest.find((a) => !a.startsWith('-'));

  try {
    if (rest.includes('--version') && !name) {
      cli.term.out(`${cli.version}\n`);
      return ExitCode.ok;
    }
    if (!name) {
      if (wantsHelp || rest.length === 0) {
        cli.term.out(renderHelp(cli.term.color));
        return ExitCode.ok;
      }
      throw new KindlabError('usage', `unexpected option ${rest[0]}`, { fix: 'Run `kindlab --help` for the commands.' });
    }
    const entry = commands[name];
    if (!entry) {
      const guesses = (await closest(name)).map((g) => `\`kindlab ${g}\``);
      throw new KindlabError('usage', `unknown command "${name}"`, {
        fix: guesses.length ? `Did you mean ${guesses.join(' or ')}? Run \`kindlab --help\` for all commands.` : 'Run `kindlab --help` for all commands.',
      });
    }
    const [{ runCommand }, { checkOptions }] = await Promise.all([import('citty'), import('./options.js')]);
    const cmd = (await entry.load()).default(cli);
    const argsDef = (typeof cmd.args === 'function' ? await cmd.args() : await cmd.args) ?? {};
    if (wantsHelp) {
      cli.term.out(renderCommandHelp(name, { description: (cmd.meta as { description?: string } | undefined)?.description ?? '', args: argsDef }, cli.term.color));
      return ExitCode.ok;
    }
    const args = rest.slice(rest.indexOf(name) + 1);
    checkOptions(name, argsDef, args);
    const { result } = await runCommand(cmd, { rawArgs: args });
    return typeof result === 'number' ? result : ExitCode.ok;
  } catch (err) {
    return reportError(cli, err);
  } finally {
    cli.settle();
  }
}

function reportError(cli: Cli, err: unknown): number {
  const c = ansi(cli.term.color);
  if (err instanceof KindlabError) {
    const lines = [`${c.red('error:')} ${err.message}`];
    for (const d of err.details) lines.push(`  ${d}`);
    if (err.fix) lines.push(err.fix);
    if (cli.verbose && err.cause) lines.push(String((err.cause as Error).stack ?? err.cause));
    cli.term.err(lines.join('\n') + '\n');
    return err.exitCode;
  }
  const e = err as { name?: string; code?: string };
  // citty's own argument errors (missing positional, unknown command) are usage mistakes.
  if (e?.name === 'CLIError') {
    cli.term.err(`${c.red('error:')} ${stripAnsi(toMessage(err))}\nRun the command with --help for its options.\n`);
    return ExitCode.usage;
  }
  // Ctrl-C at a prompt: progress is saved after every change, so leaving here loses nothing.
  if (e?.name === 'ExitPromptError' || e?.name === 'AbortPromptError') {
    cli.term.err('\nStopped. Your progress is saved.\n');
    return 130;
  }
  cli.term.err(`${c.red('internal error:')} ${toMessage(err)}\n`);
  if (cli.verbose) cli.term.err(`${(err as Error)?.stack ?? ''}\n`);
  else cli.term.err('This is a bug in kindlab. Run again with --verbose for the stack trace and report it.\n');
  return ExitCode.internal;
}
