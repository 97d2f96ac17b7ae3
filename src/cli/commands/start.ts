import { defineCommand } from 'citty';
import { ExitCode, KindlabError } from '../../core/errors.js';
import { runInteractive, type SessionUI } from '../../engine/interactive.js';
import { acquireSessionLock } from '../../engine/lock.js';
import { emptyProgress, ProgressStore, stepProgress } from '../../engine/progress.js';
import type { LabRuntime } from '../../engine/runtime.js';
import { LabSession } from '../../engine/session.js';
import { runBlocks } from '../../engine/steps.js';
import type { ProvisionedLab } from '../../platform/types.js';
import type { Command } from '../main.js';
import { renderCheckResult, renderCommand, renderCommandFailure, renderStep } from '../render.js';
import { exitOnSignals } from '../signals.js';
import { ansi } from '../terminal.js';
import { preflight } from './_preflight.js';
import { durationArg, loadLabForRun, overridesFrom, versionOptions } from './_shared.js';
import { registryMirrorsFor } from './_offline.js';

const command: Command = (cli) =>
  defineCommand({
    meta: { name: 'start', description: 'Bring a lab up and walk through it step by step; run it again to resume where you left off' },
    args: {
      lab: { type: 'positional', description: 'Lab id (see kindlab list)', required: true },
      fresh: { type: 'boolean', description: "Start over from step 1: recreate the lab's clusters (saved progress is kept aside, not deleted)" },
      'skip-doctor': { type: 'boolean', description: 'Do not run the preflight checks first' },
      'check-timeout': { type: 'string', description: 'How long "Check my work" waits for each checkpoint (default 10s)', valueHint: 'duration' },
      'keep-on-failure': { type: 'boolean', description: 'Leave half-created clusters in place when provisioning fails (for debugging)' },
      ...versionOptions,
    },
    async run({ args, rawArgs }) {
      const lab = await loadLabForRun(args.lab, args);
      const id = lab.meta.id;
      // The walk-through is a menu: without a person at a terminal the first prompt could never be
      // answered (Node would end the process mid-prompt with exit 13).
      if (!cli.term.interactive) {
        const missing = [process.stdin.isTTY ? '' : 'stdin', cli.term.isTTY ? '' : 'stderr'].filter(Boolean).join(' and ');
        throw new KindlabError('usage', `\`kindlab start\` walks you through the lab in a menu, so it needs a terminal (${missing} ${missing.includes(' and ') ? 'are' : 'is'} not one)`, {
          fix: `To run the lab without a terminal (scripts, CI): kindlab run ${id} --yes (add --keep to keep the clusters).`,
        });
      }
      const stateDir = cli.labDir(id);
      const release = await acquireSessionLock(stateDir, id);
      // Interrupted or killed, while provisioning, at a prompt or while a command runs: the progress
      // file is written atomically, so stopping is safe; exiting removes the lock (engine/lock.ts).
      const stopSignals = exitOnSignals((signal) => {
        if (signal !== 'SIGHUP') cli.term.err(`\nStopped (${signal}). Your progress is saved; run \`kindlab start ${id}\` to resume.\n`);
      });
      try {
        const store = new ProgressStore(stateDir, { labId: id, steps: lab.steps.length });
        const [deps, platform] = await Promise.all([cli.engineDeps(), cli.platform()]);
        let progress = await loadOrFresh(store, Boolean(args.fresh), cli.status);
        if (args.fresh) await platform.down(id, { status: cli.status });
        const now = new Date(deps.clock.now());
        progress ??= emptyProgress(id, now);

        let env: ProvisionedLab;
        let replay = false;
        const provisionOpts = {
          stateDir,
          overrides: overridesFrom(args),
          registryMirrors: await registryMirrorsFor(cli, rawArgs),
          keepOnFailure: Boolean(args['keep-on-failure']),
          status: cli.status,
        };
        if (typeof args.context === 'string' && args.context) {
          const { attachExplicitContext } = await import('../../platform/explicit-context.js');
          env = await attachExplicitContext(args.context, stateDir, deps.runner, cli.env);
          progress.context = args.context;
        } else if (progress.provisioned) {
          try {
            env = await platform.attach(lab, { stateDir, overrides: provisionOpts.overrides });
            cli.status(`Resuming ${id} at step ${progress.current + 1} of ${lab.steps.length}`);
          } catch {
            // The clusters are gone (Docker restarted, `kindlab down`): rebuild, then replay what was done.
            cli.status(`The clusters of ${id} are gone; creating them again and replaying the steps you completed`);
            if (!args['skip-doctor']) await preflight(cli, lab);
            env = await platform.up(lab, provisionOpts);
            replay = true;
          }
        } else {
          if (!args['skip-doctor']) await preflight(cli, lab);
          cli.status(`Bringing up ${id}: ${lab.meta.clusters.length} cluster(s)`);
          env = await platform.up(lab, provisionOpts);
        }
        progress.provisioned = true;
        await store.save(progress, now);
        await cli.setCurrentLab(id);

        const rt: LabRuntime = { lab, env, vars: {}, deps };
        if (replay) await replayPassedSteps(cli, rt, progress.current, (s) => stepProgress(progress!, s).status === 'passed');
        const session = new LabSession(rt, store, progress);
        const prompter = await cli.prompter({ yes: false });
        const quick = typeof args['check-timeout'] === 'string' ? durationArg(args['check-timeout'], '--check-timeout') : undefined;
        const outcome = await runInteractive(session, prompter, terminalUI(cli), quick === undefined ? {} : { quickCheckMs: quick });
        if (outcome.finished && !progress.context) {
          if (await prompter.confirm(`Delete the clusters of ${id} now?`, true)) {
            await platform.down(id, { status: cli.status });
            await store.update(id, (p) => void (p.provisioned = false));
          } else cli.term.err(`The clusters stay up. Remove them later with \`kindlab down ${id}\`.\n`);
        }
        return ExitCode.ok;
      } finally {
        stopSignals();
        await release();
      }
    },
  });

async function loadOrFresh(store: ProgressStore, fresh: boolean, status: (m: string) => void) {
  if (fresh) {
    const aside = await store.setAside('previous');
    if (aside) status(`Previous progress kept at ${aside}`);
    return undefined;
  }
  return store.load();
}

async function replayPassedSteps(cli: Parameters<Command>[0], rt: LabRuntime, upTo: number, passed: (stepId: string) => boolean) {
  for (const step of rt.lab.steps.slice(0, upTo)) {
    if (!passed(step.id)) continue;
    cli.status(`Replaying step ${step.index}: ${step.title}`);
    const records = await runBlocks(rt, step.commands);
    const bad = records.find((r) => r.exitCode !== 0);
    if (bad) {
      throw new KindlabError('command-failed', `replaying step ${step.index} failed`, { details: [renderCommandFailure(bad, false)] });
    }
  }
}

function terminalUI(cli: Parameters<Command>[0]): SessionUI {
  const color = cli.term.color;
  const c = ansi(color);
  return {
    showStep: async (step, total) => cli.term.err(await renderStep(step, total, cli.term)),
    showCommand: (script) => cli.term.err(renderCommand(script, color)),
    showOutput: (chunk) => cli.term.err(chunk),
    showCommandFailure: (r) => cli.term.err(renderCommandFailure(r, color)),
    showResult: (r) => cli.term.err(renderCheckResult(r, color)),
    info: (m) => cli.term.err(`${m}\n`),
    success: (m) => cli.term.err(`${c.green(m)}\n`),
  };
}
export default command;
