/**
 * `--context NAME`: run a lab against a cluster the user already has, named explicitly. kindlab
 * copies just that context into the lab's own kubeconfig (the user's file is only read), so every
 * lab command still sees a kubeconfig with exactly one cluster and cannot wander to another.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KindlabError } from '../core/errors.js';
import type { ProcessRunner } from '../core/seams.js';
import type { ProvisionedLab } from './types.js';

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
  return {
    clusters: [{ name: '', kindName: context.replace(/^kind-/, ''), context }],
    kubeconfig,
    env: { KUBECONFIG: kubeconfig },
    versions: {},
  };
}
