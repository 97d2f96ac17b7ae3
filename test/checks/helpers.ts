/** Building checks and contexts for tests, and reading recorded inputs from fixtures/checks/. */
import { readFileSync } from 'node:fs';
import type { KubeObject } from '../../src/core/seams.js';
import { checkKinds, commonCheckOptions, type CheckKind, type CheckSpec } from '../../src/model/check-schema.js';
import type { CheckContext } from '../../src/checks/types.js';
import { FakeKube } from './fake-kube.js';
import { FakeRunner } from './fake-runner.js';
import { fastClock } from './test-clock.js';
import { isSamplerCommand, simulateSamplerScript, type SimRequest, type SimResponse } from './sampler-sim.js';

const fixturesDir = new URL('../../fixtures/checks/', import.meta.url);

export const fixture = (name: string): string => readFileSync(new URL(name, fixturesDir), 'utf8');
export const fixtureJson = <T = unknown>(name: string): T => JSON.parse(fixture(name)) as T;
export const fixtureObjects = (name: string): KubeObject[] => {
  const v = fixtureJson<KubeObject | KubeObject[] | { items: KubeObject[] }>(name);
  if (Array.isArray(v)) return v;
  return 'items' in v ? (v as { items: KubeObject[] }).items : [v as KubeObject];
};

/** A check as the lab parser produces it: the kind's schema and the common options applied. */
export function makeCheck<K extends CheckKind>(kind: K, spec: unknown, options: Record<string, unknown> = {}, line = 10): CheckSpec {
  return { kind, spec: checkKinds[kind].parse(spec), options: commonCheckOptions.parse(options), line } as CheckSpec;
}

export interface TestContext extends CheckContext {
  fake: FakeKube;
  fakeRunner: FakeRunner;
}

export function makeCtx(opts: { kube?: FakeKube; runner?: FakeRunner; vars?: Record<string, string>; labDir?: string; factor?: number; clusters?: CheckContext['clusters']; kubes?: Record<string, FakeKube> } = {}): TestContext {
  const fake = opts.kube ?? new FakeKube();
  const fakeRunner = opts.runner ?? new FakeRunner();
  return {
    fake,
    fakeRunner,
    kube: (name?: string) => (name !== undefined && opts.kubes?.[name]) || fake,
    clusters: opts.clusters ?? [{ name: '', kindName: 'kindlab-lab1', context: 'kind-kindlab-lab1' }],
    runner: fakeRunner,
    clock: fastClock(opts.factor ?? 200),
    env: { PATH: '/usr/bin:/bin', KUBECONFIG: '/tmp/kubeconfig' },
    vars: opts.vars ?? {},
    labDir: opts.labDir ?? '/tmp',
    baseline: new Map(),
    stepStartedAt: Date.parse('2026-11-21T09:59:00Z'),
  };
}

/** A runner that answers request scripts sent with docker exec from a respond function. */
export function samplingRunner(respond: (req: SimRequest, container: string) => SimResponse, other?: (command: string, args: string[]) => { stdout?: string; stderr?: string; exitCode?: number }): FakeRunner {
  return new FakeRunner((command, args) => {
    if (command === 'docker' && args[0] === 'exec' && isSamplerCommand(args)) return simulateSamplerScript(args, (req) => respond(req, args[1] as string));
    if (other) return other(command, args);
    return { exitCode: 127, stderr: `unexpected command ${command} ${args.slice(0, 3).join(' ')}` };
  });
}

export { seededRandom as prng } from '../support/random.js';

/** Picks a class by shares with a uniform random number. */
export function draw(shares: Record<string, number>, u: number): string {
  let acc = 0;
  const entries = Object.entries(shares);
  for (const [name, p] of entries) {
    acc += p;
    if (u < acc) return name;
  }
  return (entries.at(-1) as [string, number])[0];
}
