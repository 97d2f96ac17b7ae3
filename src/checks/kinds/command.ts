/**
 * command: the escape hatch — a script's exit code and output patterns. On the host it runs with
 * the lab's environment (kubeconfig, pinned tools) in the lab folder; on a node or container with sh.
 */
import type { CheckSpecOf } from '../../model/check-schema.js';
import type { CheckImplementation } from '../types.js';
import { excerpt, regex } from '../format.js';
import { execAt, nodeContainer } from '../vantage.js';

type Spec = CheckSpecOf<'command'>;

function where(spec: Spec): string {
  if (spec.on === 'host') return 'host';
  return 'node' in spec.on ? `node ${spec.on.node}` : `container ${spec.on.container}`;
}

function describe(spec: Spec): string {
  return `command on ${where(spec)}: ${excerpt(spec.run, 60)}`;
}

/** The lab variables a script names ($X or ${X}): a container starts without the lab's environment. */
function referencedVars(script: string, ctx: Parameters<CheckImplementation<'command'>['attempt']>[1]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of script.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) {
    const name = m[1] as string;
    const value = Object.hasOwn(ctx.vars, name) ? ctx.vars[name] : ctx.env[name];
    // Not PATH, HOME and the like: the container has its own.
    if (value !== undefined && !/^(PATH|HOME|PWD|USER|SHELL|TERM|HOSTNAME|KUBECONFIG)$/.test(name)) out[name] = value;
  }
  return out;
}

const command: CheckImplementation<'command'> = {
  kind: 'command',
  defaultTimeoutMs: 30_000,
  strategy: 'poll',
  describe,
  async attempt(spec, ctx, signal) {
    let r: { exitCode: number; stdout: string; stderr: string; timedOut?: boolean };
    // ${VAR} in the script is expanded by the shell from its environment, never pasted in by
    // kindlab: a value captured from the cluster holding `$(...)` or `;` stays a value.
    if (spec.on === 'host') {
      r = await ctx.runner.runScript(spec.run, { env: { ...ctx.env, ...ctx.vars }, cwd: ctx.labDir, signal });
    } else {
      const container = 'node' in spec.on ? nodeContainer(ctx, spec.on.node) : spec.on.container;
      r = await execAt({ type: 'docker', container, label: container }, ['sh', '-c', spec.run], ctx, { signal, env: referencedVars(spec.run, ctx) });
    }
    const problems: string[] = [];
    if (r.exitCode !== spec.exitCode) problems.push(`exit code ${r.exitCode}, expected ${spec.exitCode}`);
    // Multi-line mode: ^ and $ match at line boundaries, as they would for grep.
    if (spec.stdout !== undefined && !regex(spec.stdout, 'stdout', 'm').test(r.stdout)) problems.push(`stdout does not match /${spec.stdout}/`);
    if (spec.stdoutNot !== undefined && regex(spec.stdoutNot, 'stdoutNot', 'm').test(r.stdout)) problems.push(`stdout matches /${spec.stdoutNot}/`);
    if (spec.stderr !== undefined && !regex(spec.stderr, 'stderr', 'm').test(r.stderr)) problems.push(`stderr does not match /${spec.stderr}/`);
    const expectedParts = [`exit code ${spec.exitCode}`];
    if (spec.stdout !== undefined) expectedParts.push(`stdout matching /${spec.stdout}/`);
    if (spec.stdoutNot !== undefined) expectedParts.push(`stdout not matching /${spec.stdoutNot}/`);
    if (spec.stderr !== undefined) expectedParts.push(`stderr matching /${spec.stderr}/`);
    const out = excerpt(r.stdout, 160);
    const err = excerpt(r.stderr, 160);
    return {
      ok: problems.length === 0,
      title: describe(spec),
      expected: expectedParts.join(', '),
      found: `exit ${r.exitCode}${r.timedOut ? ' (stopped: time limit)' : ''}${out ? `; stdout: ${out}` : ''}${err && (problems.length || !out) ? `; stderr: ${err}` : ''}`,
      ...(problems.length ? { details: problems } : {}),
      hint: `run it yourself${spec.on === 'host' ? '' : ` in ${where(spec)}`}: ${excerpt(spec.run, 200)}`,
      data: { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr },
    };
  },
};
export default command;
