import { defineCommand } from 'citty';
import { ExitCode } from '../../core/errors.js';
import type { Command } from '../main.js';
import { ansi } from '../terminal.js';
import { jsonOption, loadLab, overridesFrom, versionOptions } from './_shared.js';

const command: Command = (cli) =>
  defineCommand({
    meta: { name: 'doctor', description: 'Check this machine for the labs: Docker, memory/CPUs, inotify, disk, ports, tools, registries, leftovers' },
    args: {
      labs: { type: 'positional', description: 'Lab ids to check the machine against (or --lab)', required: false },
      lab: { type: 'string', description: 'A lab to check against (repeatable)', valueHint: 'id' },
      all: { type: 'boolean', description: 'Check against every lab and say which this machine can run' },
      upstream: { type: 'boolean', description: 'Instead: resolve every pinned image and download URL upstream and list what drifted (exit 1) or could not be checked (exit 3)' },
      ...jsonOption,
      istio: versionOptions.istio,
      k8s: versionOptions.k8s,
      kind: versionOptions.kind,
      kubectl: versionOptions.kubectl,
      helm: versionOptions.helm,
    },
    async run({ args, rawArgs }) {
      const [{ blockingFindings, renderFindings }, { checkLabs }] = await Promise.all([import('../../platform/doctor/index.js'), import('../../platform/doctor/preflight.js')]);
      const { listLabs } = await import('../../lab/catalog.js');
      const ids = new Set<string>(args._);
      rawArgs.forEach((a, i) => {
        if (a === '--lab' && rawArgs[i + 1]) ids.add(rawArgs[i + 1] as string);
        else if (a.startsWith('--lab=')) ids.add(a.slice(6));
      });
      if (args.all) for (const l of await listLabs()) ids.add(l.id);
      if (args.upstream) {
        const { upstreamDoctor } = await import('../../offline/upstream/index.js');
        const json = Boolean(args.json);
        return upstreamDoctor({ labIds: [...ids], overrides: overridesFrom(args), json, color: cli.term.color, env: cli.env, cacheDir: cli.paths.cache, out: (t) => cli.term.out(t), status: (m) => cli.status(m) });
      }
      const labs = [];
      for (const id of ids) labs.push(await loadLab(id));
      const deps = await cli.engineDeps();
      // Without a lab named, memory and CPUs are judged against every lab's front matter `requires`.
      const catalog = labs.length ? [] : (await listLabs()).map((l) => ({ id: l.id, requires: l.requires }));
      const context = { runner: deps.runner, env: cli.env, paths: cli.paths, ...(catalog.length ? { labs: catalog } : {}) };
      const overrides = overridesFrom(args);
      // The same verdict per lab as the preflight of start (src/platform/doctor/preflight.ts).
      const { machine: general, labs: verdicts } = await checkLabs(
        // With its steps: the tools a lab needs follow its commands (labTools).
        labs.map((l) => ({ ...l.meta, steps: l.steps })),
        { context, overrides },
      );
      const [{ offlineFinding }, { resolvePins }] = await Promise.all([import('../../offline/readiness.js'), import('../../platform/tools/versions.js')]);
      const offlineDeps = { runner: deps.runner, docker: cli.env.KINDLAB_DOCKER || 'docker', env: cli.env, cacheDir: cli.paths.cache, stateDir: cli.paths.state };
      const perLab: Array<{ lab: string; ready: boolean; offline: boolean; findings: typeof general }> = [];
      for (const [i, lab] of labs.entries()) {
        const verdict = verdicts[i] as (typeof verdicts)[number];
        // Offline readiness only informs (a warning at most): the lab can still start with a network.
        const offline = await offlineFinding(lab, resolvePins(overrides), offlineDeps);
        perLab.push({ lab: lab.meta.id, ready: verdict.ready, offline: offline.status === 'ok', findings: [...verdict.lab, offline] });
      }
      const ready = blockingFindings(general).length === 0 && perLab.every((l) => l.ready);
      if (args.json) {
        const summary = {
          canRun: perLab.filter((l) => l.ready).map((l) => l.lab),
          notReady: perLab.filter((l) => !l.ready).map((l) => l.lab),
          offline: perLab.filter((l) => l.ready && l.offline).map((l) => l.lab),
        };
        cli.term.out(JSON.stringify({ ready, findings: general, labs: perLab, ...(perLab.length ? { summary } : {}) }, null, 2) + '\n');
      } else {
        const c = ansi(cli.term.color);
        cli.term.out(renderFindings(general, { color: cli.term.color, json: false }));
        for (const l of perLab) {
          cli.term.out(`\n${c.bold(l.lab)}\n` + renderFindings(l.findings, { color: cli.term.color, json: false }));
        }
        if (perLab.length) {
          const can = perLab.filter((l) => l.ready).map((l) => l.lab);
          const cannot = perLab.filter((l) => !l.ready).map((l) => l.lab);
          const offline = perLab.filter((l) => l.ready && l.offline).map((l) => l.lab);
          cli.term.out(
            `\nThis machine can run: ${can.length ? can.join(', ') : 'none of them'}${cannot.length ? `; not ready for: ${cannot.join(', ')}` : ''}` +
              `; without internet: ${offline.length ? offline.join(', ') : 'none'}\n`,
          );
        }
      }
      return ready ? ExitCode.ok : ExitCode.environment;
    },
  });
export default command;
