import { defineCommand } from 'citty';
import { KindlabError } from '../../core/errors.js';
import type { Command } from '../main.js';
import { jsonOption } from './_shared.js';

const command: Command = (cli) =>
  defineCommand({
    meta: { name: 'down', description: 'Delete the clusters and containers kindlab created for a lab (or --all), and nothing else' },
    args: {
      lab: { type: 'positional', description: 'Lab id (default: the lab last started)', required: false },
      all: { type: 'boolean', description: 'Every lab kindlab created' },
      ...jsonOption,
    },
    async run({ args }) {
      const target = args.all ? 'all' : (args.lab ?? (await cli.currentLab()));
      if (!target) throw new KindlabError('usage', 'name a lab to tear down, or --all', { fix: 'Example: kindlab down canary-l4' });
      const platform = await cli.platform();
      const result = await platform.down(target, { status: (m) => cli.status(m) });
      if (args.json) cli.term.out(JSON.stringify(result, null, 2) + '\n');
      else if (!result.removedClusters.length && !result.removedContainers.length) cli.term.err('Nothing to remove.\n');
      else cli.term.err(`Removed ${result.removedClusters.length} cluster(s) and ${result.removedContainers.length} container(s).\n`);
      // Progress stays: after `down`, `start` brings the lab back and replays the passed steps.
      const { ProgressStore } = await import('../../engine/progress.js');
      const ids = target === 'all' ? [] : [target];
      for (const id of ids) {
        const store = new ProgressStore(cli.labDir(id), { labId: id });
        const p = await store.load().catch(() => undefined);
        if (p?.provisioned) await store.update(id, (q) => void (q.provisioned = false));
      }
      return 0;
    },
  });
export default command;
