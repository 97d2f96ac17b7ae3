import { existsSync } from 'node:fs';
import { defineCommand } from 'citty';
import { KindlabError } from '../../core/errors.js';
import type { Command } from '../main.js';
import { jsonOption, loadLab } from './_shared.js';

const command: Command = (cli) =>
  defineCommand({
    meta: { name: 'down', description: 'Delete the clusters and containers kindlab created for a lab (or --all), and nothing else: never a cluster you named with --context' },
    args: {
      lab: { type: 'positional', description: 'Lab id (default: the lab last started)', required: false },
      all: { type: 'boolean', description: 'Every lab kindlab created' },
      ...jsonOption,
    },
    async run({ args }) {
      const target = args.all ? 'all' : (args.lab ?? (await cli.currentLab()));
      if (!target) throw new KindlabError('usage', 'name a lab to tear down, or --all', { fix: 'Example: kindlab down canary-l4' });
      // A typo must not read as "nothing to remove": an id that is no lab and has no state of its
      // own is a usage error naming the nearest lab (a lab removed from the path since it was
      // started still has its state directory, so it can still be torn down).
      if (target !== 'all' && !existsSync(cli.labDir(target))) await loadLab(target);
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
