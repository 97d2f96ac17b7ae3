/**
 * The doctor's lab-relevant probes, run before `start` and `run` create anything: a machine that
 * cannot run the lab stops here with exit code 3 and the fix, instead of failing ten minutes into
 * provisioning with an unrelated-looking error.
 */
import { KindlabError } from '../../core/errors.js';
import type { Lab } from '../../model/lab.js';
import type { Cli } from '../context.js';

/** Probes that can block a start; registry reachability and leftovers only warn, so `doctor` shows them. */
const preflightProbeIds = new Set(['docker', 'docker.resources', 'docker.runtime', 'arch', 'inotify', 'disk', 'ports']);

export async function preflight(cli: Cli, lab: Lab): Promise<void> {
  const { runDoctor, defaultProbes, blockingFindings, renderFindings } = await import('../../platform/doctor/index.js');
  const deps = await cli.engineDeps();
  const findings = await runDoctor({
    lab: lab.meta,
    probes: defaultProbes.filter((p) => preflightProbeIds.has(p.id)),
    context: { runner: deps.runner, env: cli.env, paths: cli.paths },
  });
  const blocking = blockingFindings(findings);
  const warnings = findings.filter((f) => f.status === 'warn');
  if (warnings.length) cli.term.err(renderFindings(warnings, { color: cli.term.color, json: false }));
  if (blocking.length) {
    throw new KindlabError('environment', `this machine is not ready for lab "${lab.meta.id}"`, {
      details: renderFindings(blocking, { color: cli.term.color, json: false }).trimEnd().split('\n'),
      fix: 'Fix the problems above and run the command again (`kindlab doctor --lab ' + lab.meta.id + '` re-checks; --skip-doctor skips this).',
    });
  }
}
