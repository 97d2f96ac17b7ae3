import { resolve } from 'node:path';
import { defineCommand } from 'citty';
import { ExitCode } from '../../core/errors.js';
import type { Command } from '../main.js';
import { offlineDeps } from './_offline.js';
import { jsonOption } from './_shared.js';

const command: Command = (cli) =>
  defineCommand({
    meta: { name: 'import', description: 'Load a bundle from `kindlab bundle`: images into Docker and a local registry the kind nodes use as a mirror, tools into the cache' },
    args: {
      file: { type: 'positional', description: 'The bundle archive', required: true },
      ...jsonOption,
    },
    async run({ args }) {
      const [{ importBundle }, { containerRegistry }, { REGISTRY_IMAGE }, { registryStorageDir }] = await Promise.all([
        import('../../offline/import.js'),
        import('../../offline/registry.js'),
        import('../../offline/platform-images.js'),
        import('../../offline/state.js'),
      ]);
      const deps = await offlineDeps(cli);
      const registry = containerRegistry(deps, { image: REGISTRY_IMAGE, storageDir: registryStorageDir(deps.cacheDir) });
      const r = await importBundle(resolve(args.file), deps, registry);
      const notServed = r.state.images.filter((i) => i.place === 'cluster' && i.served !== 'yes');
      if (args.json) cli.term.out(JSON.stringify(r, null, 2) + '\n');
      else {
        const lines = [
          `Imported ${r.loaded} images (${r.pushed} served to kind nodes by ${r.state.registry.pushHost}) and ${r.toolFiles} tools for ${r.state.labs.join(', ')}.`,
          ...notServed.map((i) => `  not served offline: ${i.ref}${i.note ? ` (${i.note})` : ''}`),
          `Check with: kindlab doctor --lab ${r.state.labs[0] ?? '<lab>'}`,
        ];
        cli.term.out(lines.join('\n') + '\n');
      }
      return notServed.length ? ExitCode.environment : ExitCode.ok;
    },
  });
export default command;
