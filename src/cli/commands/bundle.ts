import { resolve } from 'node:path';
import { defineCommand } from 'citty';
import { ExitCode } from '../../core/errors.js';
import type { Command } from '../main.js';
import { offlineDeps } from './_offline.js';
import { jsonOption } from './_shared.js';

const command: Command = (cli) =>
  defineCommand({
    meta: { name: 'bundle', description: 'Write what `kindlab prefetch` gathered (images and tools) as one archive to copy to attendee machines' },
    args: {
      file: { type: 'positional', description: 'Archive to write (default: kindlab-bundle.tar)', required: false },
      ...jsonOption,
    },
    async run({ args }) {
      const { bundle } = await import('../../offline/bundle.js');
      const file = resolve(typeof args.file === 'string' && args.file ? args.file : 'kindlab-bundle.tar');
      const r = await bundle(file, await offlineDeps(cli));
      if (args.json) cli.term.out(JSON.stringify(r, null, 2) + '\n');
      else cli.term.out(`${r.file}: ${(r.bytes / 1024 ** 3).toFixed(2)} GiB, ${r.images} images, ${r.toolFiles.length} tool files.\nOn each machine: kindlab import ${r.file}\n`);
      return ExitCode.ok;
    },
  });
export default command;
