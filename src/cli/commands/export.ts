import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defineCommand } from 'citty';
import { ExitCode } from '../../core/errors.js';
import type { Command } from '../main.js';
import { loadLab, overridesFrom, versionOptions } from './_shared.js';

/** SHA-256 of Istio archives kindlab downloaded and verified, keyed by the release's platform suffix. */
async function cachedIstioChecksums(cacheDir: string, version: string): Promise<Record<string, string>> {
  const base = join(cacheDir, 'tools', 'istioctl', version);
  const sums: Record<string, string> = {};
  const platforms = await readdir(base).catch(() => [] as string[]);
  for (const p of platforms) {
    for (const name of await readdir(join(base, p)).catch(() => [] as string[])) {
      const m = new RegExp(`^istio-${version.replace(/\./g, '\\.')}-(.+)\\.tar\\.gz$`).exec(name);
      if (!m) continue;
      const hash = createHash('sha256');
      for await (const chunk of createReadStream(join(base, p, name))) hash.update(chunk as Buffer);
      sums[m[1] as string] = hash.digest('hex');
    }
  }
  return sums;
}

const command: Command = (cli) =>
  defineCommand({
    meta: { name: 'export', description: 'Write a standalone bash script that reproduces a lab with plain kind, kubectl and istioctl at the pinned versions (no kindlab needed)' },
    args: {
      lab: { type: 'positional', description: 'Lab id', required: true },
      until: { type: 'string', description: 'Stop after this step (number or id)', valueHint: 'step' },
      out: { type: 'string', description: 'Write the script to this file (default: stdout)', valueHint: 'file' },
      istio: versionOptions.istio,
      k8s: versionOptions.k8s,
      kind: versionOptions.kind,
      kubectl: versionOptions.kubectl,
      helm: versionOptions.helm,
    },
    async run({ args }) {
      const lab = await loadLab(args.lab);
      const [{ renderExportScript }, { resolvePins }] = await Promise.all([import('../../repro/export/script.js'), import('../../platform/tools/versions.js')]);
      const pins = resolvePins(overridesFrom(args));
      const script = await renderExportScript(lab, {
        pins,
        ...(args.until ? { until: args.until } : {}),
        kindlabVersion: cli.version,
        istioChecksums: await cachedIstioChecksums(cli.paths.cache, pins.istio),
      });
      if (typeof args.out === 'string' && args.out) {
        await writeFile(args.out, script);
        await chmod(args.out, 0o755);
        cli.status(`Wrote ${args.out}; run it with: ${/^\.?\//.test(args.out) ? args.out : `./${args.out}`}`);
      } else {
        cli.term.out(script);
      }
      return ExitCode.ok;
    },
  });
export default command;
