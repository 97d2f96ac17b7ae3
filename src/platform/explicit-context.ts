/**
 * `--context NAME`: run a lab against a cluster the user already has, named explicitly. kindlab
 * copies just that context into the lab's own kubeconfig (the user's file is only read), so every
 * lab command still sees a kubeconfig with exactly one cluster and cannot wander to another.
 *
 * The API server is asked for /version before anything else: a context whose server is down or
 * unreachable (a stopped cluster, a VPN not connected) otherwise sent the learner into step 1,
 * where every checkpoint failed after its full timeout with errors that did not say why.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { KindlabError } from '../core/errors.js';
import type { ProcessRunner } from '../core/seams.js';
import type { ProvisionedLab } from './types.js';

/** Long enough for a server across a VPN, short enough that a dead one is noticed at once. */
export const REACHABLE_TIMEOUT = '5s';

/** The server URL of the (single) cluster in a minified kubeconfig, for messages. */
function serverOf(kubeconfig: string): string | undefined {
  try {
    const doc = parse(kubeconfig) as { clusters?: Array<{ cluster?: { server?: string } }> } | null;
    return doc?.clusters?.[0]?.cluster?.server;
  } catch {
    return undefined;
  }
}

/**
 * kubectl asks, not a request of kindlab's own: it honours everything the user's kubeconfig may
 * rely on (exec credential plugins, proxy-url, HTTPS_PROXY, client certificates).
 */
async function ensureReachable(context: string, kubeconfig: string, server: string, runner: ProcessRunner, env: Record<string, string | undefined>): Promise<void> {
  const r = await runner.run('kubectl', ['get', '--raw', '/version', '--request-timeout', REACHABLE_TIMEOUT, '--kubeconfig', kubeconfig, '--context', context], {
    env: { ...env, KUBECONFIG: kubeconfig },
    timeoutMs: 20_000,
  });
  if (r.exitCode === 0) return;
  const said = (r.stderr || r.stdout).trim().split('\n').slice(-3);
  if (/unauthorized|forbidden|must be logged in|credentials/i.test(said.join(' '))) {
    throw new KindlabError('environment', `the API server of context "${context}" (${server}) answered but did not accept your credentials`, {
      details: said,
      fix: `Log in again the way your cluster expects, then check with \`kubectl --context ${context} get --raw /version\`.`,
    });
  }
  throw new KindlabError('environment', `the API server of context "${context}" (${server}) could not be reached`, {
    details: r.timedOut && said.length === 0 ? ['kubectl did not finish within 20s'] : said,
    fix: `Start the cluster, or connect to its network (VPN, proxy), then check with \`kubectl --context ${context} get --raw /version\`.`,
  });
}

export async function attachExplicitContext(
  context: string,
  stateDir: string,
  runner: ProcessRunner,
  env: Record<string, string | undefined>,
): Promise<ProvisionedLab> {
  const r = await runner.run('kubectl', ['config', 'view', '--raw', '--minify', '--flatten', '--context', context], { env });
  if (r.exitCode !== 0 || !r.stdout.includes('clusters:')) {
    throw new KindlabError('usage', `the kube context "${context}" could not be read`, {
      fix: 'Check the name with `kubectl config get-contexts`.',
      details: [(r.stderr || r.stdout).trim()].filter(Boolean),
    });
  }
  await mkdir(stateDir, { recursive: true });
  const kubeconfig = join(stateDir, 'kubeconfig');
  await writeFile(kubeconfig, r.stdout, { mode: 0o600 });
  await ensureReachable(context, kubeconfig, serverOf(r.stdout) ?? 'server unknown', runner, env);
  return {
    clusters: [{ name: '', kindName: context.replace(/^kind-/, ''), context }],
    kubeconfig,
    env: { KUBECONFIG: kubeconfig },
    versions: {},
  };
}
