import { defineCommand } from 'citty';
import { KindlabError } from '../../core/errors.js';
import { DASHBOARDS, type DashboardName } from '../../platform/istio/dashboard.js';
import type { Command } from '../main.js';
import { attachStarted, labOption, startedLab } from './_shared.js';

/** One list for the help, the check and the error: the dashboards the platform knows how to open. */
const names = Object.keys(DASHBOARDS) as DashboardName[];

const command: Command = (cli) =>
  defineCommand({
    meta: { name: 'open', description: 'Port-forward a dashboard of a started lab on 127.0.0.1 and print its URL (Ctrl-C stops it)' },
    args: {
      dashboard: { type: 'positional', description: names.join(' | '), required: true },
      ...labOption,
      port: { type: 'string', description: 'Local port (default: the usual one if free, else any free port)', valueHint: 'port' },
      cluster: { type: 'string', description: 'Lab cluster name (default: the first)', valueHint: 'name' },
    },
    async run({ args }) {
      const name = args.dashboard as DashboardName;
      if (!names.includes(name)) throw new KindlabError('usage', `unknown dashboard "${args.dashboard}"`, { fix: `Choose one of: ${names.join(', ')}.` });
      const port = args.port === undefined ? undefined : Number(args.port);
      if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw new KindlabError('usage', `--port ${args.port} is not a port number`);
      // A lab that was never started has nothing to forward: say so before attaching or downloading.
      const { lab, progress } = await startedLab(cli, args.lab);
      const [deps, { openDashboard }] = await Promise.all([cli.engineDeps(), import('../../platform/istio/dashboard.js')]);
      const env = await attachStarted(cli, lab, progress.context);
      const cluster = args.cluster ? env.clusters.find((c) => c.name === args.cluster) : env.clusters[0];
      if (!cluster) throw new KindlabError('usage', `lab "${lab.meta.id}" has no cluster "${args.cluster}"`);
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      const opened = await openDashboard(name, {
        runner: deps.runner,
        kubectl: 'kubectl',
        access: { kubeconfig: env.kubeconfig, context: cluster.context },
        env: { ...cli.env, ...env.env },
        signal: controller.signal,
        ...(port !== undefined ? { localPort: port } : {}),
      });
      cli.term.out(opened.url + '\n');
      cli.status(`Forwarding ${name} on ${opened.url} (bound to 127.0.0.1 only). Press Ctrl-C to stop.`);
      await opened.done;
      return 0;
    },
  });
export default command;
