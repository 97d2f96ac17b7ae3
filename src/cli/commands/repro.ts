import { join, resolve } from 'node:path';
import { defineCommand } from 'citty';
import { ExitCode, KindlabError } from '../../core/errors.js';
import { PINS } from '../../platform/tools/pins.js';
import type { RunEvent } from '../../engine/unattended.js';
import type { Cli } from '../context.js';
import type { Command } from '../main.js';
import { renderCheckResult, renderCommand } from '../render.js';
import { listArg } from './_offline.js';
import { jsonOption, loadLabForRun, overridesFrom, versionOptions } from './_shared.js';
import { registryMirrorsFor } from './_offline.js';
import { preflight } from './_preflight.js';

const command: Command = (cli) =>
  defineCommand({
    meta: {
      name: 'repro',
      description:
        'Reproduce a lab for a bug report: run it unattended (to --until), capture versions, host facts, every command and checkpoint, and the cluster state, into a report directory with a Markdown summary. A comma-separated --istio or --k8s runs each version and prints a matrix of checkpoint outcomes.',
    },
    args: {
      lab: { type: 'positional', description: 'Lab id', required: true },
      until: { type: 'string', description: 'Stop after this step (number or id)', valueHint: 'step' },
      out: { type: 'string', description: 'Report directory (default: ./kindlab-repro-<lab>-<time>)', valueHint: 'dir' },
      keep: { type: 'boolean', description: 'Keep the clusters afterwards' },
      yes: { type: 'boolean', description: 'Do not ask before creating clusters (required when not in a terminal)' },
      'skip-doctor': { type: 'boolean', description: 'Do not run the preflight checks first' },
      verbose: { type: 'boolean', description: "Show every command's output" },
      ...jsonOption,
      istio: { ...versionOptions.istio, description: `${versionOptions.istio.description}, or a comma-separated list (e.g. 1.30.4,${PINS.istio}) for a version matrix`, valueHint: 'versions' },
      k8s: { ...versionOptions.k8s, description: `${versionOptions.k8s.description}, or a comma-separated list for a version matrix`, valueHint: 'versions' },
      kind: versionOptions.kind,
      kubectl: versionOptions.kubectl,
      helm: versionOptions.helm,
      'registry-mirror': versionOptions['registry-mirror'],
    },
    async run({ args, rawArgs }) {
      const lab = await loadLabForRun(args.lab, args);
      const { resolvePins } = await import('../../platform/tools/versions.js');
      const istio = listArg(args.istio);
      const k8s = listArg(args.k8s);
      const base = overridesFrom({ ...args, istio: undefined, k8s: undefined });
      // Every version is checked before anything is created: a typo in the third version should not cost two runs.
      for (const v of istio ?? []) resolvePins({ istio: v });
      for (const v of k8s ?? []) resolvePins({ k8s: v });
      if (args.until) (await import('../../engine/unattended.js')).stepIndexOf(lab, args.until);

      if (!args.yes) {
        if (!cli.term.interactive) throw new KindlabError('usage', 'repro creates clusters; it needs --yes when not in a terminal', { fix: `Run: kindlab repro ${args.lab} --yes` });
        const prompter = await cli.prompter({ yes: false });
        if (!(await prompter.confirm(`Reproduce ${lab.meta.id} on new local kind clusters?`, true))) return ExitCode.ok;
      }
      if (!args['skip-doctor']) await preflight(cli, lab);

      const [{ reproduce, reproduceMatrix }, deps, platform] = await Promise.all([
        import('../../repro/run.js'),
        cli.engineDeps(),
        cli.platform(),
      ]);
      const registryMirrors = await registryMirrorsFor(cli, rawArgs);
      const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
      const outDir = resolve(typeof args.out === 'string' && args.out ? args.out : join('.', `kindlab-repro-${lab.meta.id}-${stamp}`));
      const common = {
        lab,
        deps,
        platform,
        stateDir: cli.labDir(lab.meta.id),
        registryMirrors,
        keep: Boolean(args.keep),
        ...(args.until ? { until: args.until } : {}),
        kindlabVersion: cli.version,
        command: ['kindlab', 'repro', ...rawArgs].join(' '),
        status: (m: string) => cli.status(m),
        onEvent: (e: RunEvent) => showEvent(cli, e, cli.verbose || Boolean(args.verbose)),
      };

      const axes = [
        ...(istio && istio.length > 1 ? [{ key: 'istio' as const, values: istio }] : []),
        ...(k8s && k8s.length > 1 ? [{ key: 'k8s' as const, values: k8s }] : []),
      ];
      const single = { ...base, ...(istio?.length === 1 ? { istio: istio[0] } : {}), ...(k8s?.length === 1 ? { k8s: k8s[0] } : {}) };
      if (axes.length === 0) {
        const r = await reproduce({ ...common, overrides: single, pins: resolvePins(single), outDir });
        cli.status(`Report written to ${r.dir} (summary.md is ready to paste into an issue)`);
        cli.term.out(args.json ? JSON.stringify({ dir: r.dir, outcome: r.report.outcome, report: r.report }, null, 2) + '\n' : r.summary + '\n');
        return r.report.outcome === 'passed' ? ExitCode.ok : ExitCode.checkFailed;
      }
      const { renderMatrixText } = await import('../../repro/matrix.js');
      const m = await reproduceMatrix(common, axes, outDir, single, (o) => resolvePins(o));
      cli.term.err('\n' + renderMatrixText(m.matrix, cli.term.color));
      cli.status(`Reports written to ${outDir} (matrix.md is ready to paste into an issue)`);
      cli.term.out(args.json ? JSON.stringify({ dir: outDir, matrix: m.matrix }, null, 2) + '\n' : m.markdown);
      return m.runs.every((r) => r.report.outcome === 'passed') ? ExitCode.ok : ExitCode.checkFailed;
    },
  });

function showEvent(cli: Cli, e: RunEvent, verbose: boolean): void {
  if (e.type === 'step-start') cli.term.err(`\nStep ${e.index}: ${e.title}\n`);
  else if (e.type === 'command') cli.term.err(renderCommand(e.script, cli.term.color));
  else if (e.type === 'output' && verbose) cli.term.err(e.chunk);
  else if (e.type === 'check') cli.term.err(renderCheckResult(e.result, cli.term.color, { forAuthor: true }));
}
export default command;
