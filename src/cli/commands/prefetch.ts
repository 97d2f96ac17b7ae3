import { defineCommand } from 'citty';
import { ExitCode, KindlabError } from '../../core/errors.js';
import type { Lab } from '../../model/lab.js';
import type { Command } from '../main.js';
import { listArg, offlineDeps } from './_offline.js';
import { jsonOption, loadLab, overridesFrom, versionOptions } from './_shared.js';

const command: Command = (cli) =>
  defineCommand({
    meta: { name: 'prefetch', description: 'Download every tool and pull every image a set of labs needs, for `kindlab bundle` and offline starts' },
    args: {
      labs: { type: 'positional', description: 'Lab ids (or --all)', required: false },
      all: { type: 'boolean', description: 'Every lab' },
      platforms: { type: 'string', description: 'Also fetch tools for these systems, e.g. darwin-arm64,linux-amd64 (attendees on other machines)', valueHint: 'os-arch,…' },
      ...jsonOption,
      istio: versionOptions.istio,
      k8s: versionOptions.k8s,
      kind: versionOptions.kind,
      kubectl: versionOptions.kubectl,
      helm: versionOptions.helm,
    },
    async run({ args }) {
      const { listLabs } = await import('../../lab/catalog.js');
      const ids = args.all ? (await listLabs()).map((l) => l.id) : args._;
      if (ids.length === 0) throw new KindlabError('usage', 'name the labs to prefetch, or --all', { fix: 'Example: kindlab prefetch istio-bookinfo canary-l4' });
      const labs: Lab[] = [];
      for (const id of ids) labs.push(await loadLab(id));
      const extraPlatforms = (listArg(args.platforms) ?? []).map((p) => {
        const m = /^(linux|darwin|windows)[-/](amd64|arm64)$/.exec(p);
        if (!m) throw new KindlabError('usage', `--platforms ${p}: expected <os>-<arch> such as darwin-arm64 or linux-amd64`);
        return { os: m[1] as 'linux' | 'darwin' | 'windows', arch: m[2] as 'amd64' | 'arm64' };
      });
      const [{ prefetch }, { resolvePins }] = await Promise.all([import('../../offline/prefetch.js'), import('../../platform/tools/versions.js')]);
      const result = await prefetch(labs, await offlineDeps(cli), { pins: resolvePins(overridesFrom(args)), extraPlatforms });
      const failed = result.pulls.filter((p) => p.outcome === 'failed');
      if (args.json) cli.term.out(JSON.stringify(result, null, 2) + '\n');
      else {
        const m = result.manifest;
        const lines = [
          `Prefetched for ${m.labs.join(', ')} (${m.platform}):`,
          `  tools: ${[...new Set(m.tools.map((t) => `${t.tool} ${t.version}`))].join(', ')} for ${[...new Set(m.tools.map((t) => t.platform))].join(', ')}`,
          `  images: ${m.images.length} (${result.pulls.filter((p) => p.outcome === 'pulled').length} pulled, ${result.pulls.filter((p) => p.outcome === 'present').length} already here, ${failed.length} failed)`,
          ...failed.map((f) => `    FAILED ${f.ref}: ${f.error ?? ''}`),
          ...m.unresolved.map((u) => `  not derived (${u.lab}): ${u.ref}: ${u.why}`),
          failed.length ? '' : 'Next: kindlab bundle <file>, copy it to each machine, then kindlab import <file> there.',
        ];
        cli.term.out(lines.join('\n') + '\n');
      }
      return failed.length ? ExitCode.environment : ExitCode.ok;
    },
  });
export default command;
