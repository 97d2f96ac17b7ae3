/** Small builders for engine tests: a lab model without parsing, a fake platform, scripted checks. */
import type { CheckSpec } from '../../src/model/check-schema.js';
import type { CheckResult } from '../../src/checks/types.js';
import type { Clock } from '../../src/core/seams.js';
import type { EngineDeps } from '../../src/engine/runtime.js';
import type { Lab, Step } from '../../src/model/lab.js';
import { createProcessRunner } from '../../src/platform/exec.js';
import type { Platform, ProvisionedLab } from '../../src/platform/types.js';

export function makeStep(index: number, over: Partial<Step> = {}): Step {
  return {
    id: `step-${index}`,
    title: `Step number ${index}`,
    index,
    line: index * 10,
    markdown: `Do thing ${index}.`,
    commands: [],
    cleanup: [],
    before: [],
    checks: [],
    hints: [],
    ...over,
  };
}

export function commandCheck(run: string, line = 1): CheckSpec {
  return { kind: 'command', spec: { run, on: 'host', exitCode: 0 }, options: { consecutive: 1 }, line } as CheckSpec;
}

export function makeLab(dir: string, steps: Step[]): Lab {
  return {
    meta: {
      id: 'demo',
      title: 'Demo lab',
      summary: 'A lab used by the engine tests',
      source: { title: 'tests' },
      duration: '5m',
      difficulty: 'beginner',
      tags: [],
      requires: { memoryGiB: 1, cpus: 1 },
      clusters: [{ workers: 1 }],
      addons: [],
      env: { GREETING: 'hello-${NAME}' },
      images: [],
    },
    dir: `${dir}/labs/demo`,
    file: `${dir}/labs/demo/lab.md`,
    intro: 'intro',
    steps,
  };
}

export const provisioned = (kubeconfig = '/nonexistent/kubeconfig'): ProvisionedLab => ({
  clusters: [{ name: '', kindName: 'kindlab-demo', context: 'kind-kindlab-demo' }],
  kubeconfig,
  env: { KUBECONFIG: kubeconfig },
  versions: { kind: 'v0.33.0' },
});

export function fakePlatform(calls: string[], opts: { failUp?: Error } = {}): Platform {
  return {
    async up(lab) {
      calls.push(`up ${lab.meta.id}`);
      if (opts.failUp) throw opts.failUp;
      return provisioned();
    },
    async attach(lab) {
      calls.push(`attach ${lab.meta.id}`);
      return provisioned();
    },
    async down(id) {
      calls.push(`down ${id}`);
      return { removedClusters: [`kindlab-${id}`], removedContainers: [] };
    },
  };
}

/** A clock that advances only when told, so durations in reports are exact. */
export function manualClock(start = 1_700_000_000_000): Clock & { advance(ms: number): void } {
  let t = start;
  return { now: () => t, sleep: async (ms) => void (t += ms), advance: (ms) => void (t += ms) };
}

/**
 * Checks of kind "command" really run their command with bash in the lab environment (exit code 0
 * passes), so these tests observe the environment the engine builds, not a canned answer.
 */
export function engineDeps(clock: Clock = manualClock()): EngineDeps {
  const runner = createProcessRunner();
  return {
    runner,
    kube: () => {
      throw new Error('no cluster in engine tests');
    },
    clock,
    baseEnv: { PATH: process.env.PATH, HOME: process.env.HOME, KUBECONFIG: '/home/user/.kube/config', NAME: 'world' },
    async runCheck(check, ctx): Promise<CheckResult> {
      if (check.kind !== 'command') throw new Error('engine tests only use command checks');
      const r = await runner.runScript(check.spec.run, { env: ctx.env });
      const ok = r.exitCode === check.spec.exitCode;
      return {
        kind: 'command',
        title: check.options.name ?? check.spec.run,
        status: ok ? 'pass' : 'fail',
        expected: `exit code ${check.spec.exitCode}`,
        found: `exit code ${r.exitCode}: ${r.stdout.trim()}`,
        durationMs: 0,
        line: check.line,
        data: { stdout: r.stdout.trim() },
        ...(!ok && check.options.hint ? { hint: check.options.hint } : {}),
        ...(ok && check.options.capture ? { captured: Object.fromEntries(Object.keys(check.options.capture).map((k) => [k, r.stdout.trim()])) } : {}),
      };
    },
  };
}
