/**
 * How fast a resource/rollout checkpoint notices that its condition became true (issue: checks,
 * target ≤ 200 ms). The real KubeClient and check implementations run against the simulated API
 * server; the benchmark flips a Deployment to ready at a random moment and measures the time from
 * that write until the check resolves. Run with `npm run bench:checks` (Node transforms the TypeScript itself).
 */
import './lib/register-ts.mjs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { startSimCluster } = await import('../test/sim/apiserver.js');
const { createKubeClientFactory } = await import('../src/platform/kube.js');
const { runCheck } = await import('../src/checks/run.js');
const { createProcessRunner } = await import('../src/platform/exec.js');
const { systemClock } = await import('../src/cli/context.js');

const runs = Number(process.env.BENCH_RUNS ?? 21);
const sim = await startSimCluster();
const kubeconfig = join(await mkdtemp(join(tmpdir(), 'kl-bench-')), 'kubeconfig');
await sim.writeKubeconfig(kubeconfig, 'kind-bench');
const kube = createKubeClientFactory()(kubeconfig, 'kind-bench');
const cluster = sim.cluster();

function ctx() {
  return {
    kube: () => kube,
    clusters: [{ name: '', kindName: 'bench', context: 'kind-bench' }],
    runner: createProcessRunner(),
    clock: systemClock,
    env: {},
    vars: {},
    labDir: process.cwd(),
    baseline: new Map(),
    stepStartedAt: Date.now(),
  };
}

function deployment(name: string, ready: number) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', labels: { app: name }, generation: 1 },
    spec: { replicas: 2, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx:1.29.1-alpine' }] } } },
    status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: ready, availableReplicas: ready, conditions: [{ type: 'Available', status: ready === 2 ? 'True' : 'False' }] },
  };
}

async function measure(kind: 'rollout' | 'resource', i: number): Promise<number> {
  const name = `bench-${kind}-${i}`;
  const created = cluster.create(deployment(name, 0));
  cluster.updateStatus({ ...created, status: deployment(name, 0).status });
  const check =
    kind === 'rollout'
      ? { kind: 'rollout' as const, spec: { kind: 'Deployment' as const, name, namespace: 'default' }, options: { consecutive: 1, timeout: '20s' }, line: 1 }
      : { kind: 'resource' as const, spec: { kind: 'Deployment', name, namespace: 'default', absent: false, match: { status: { readyReplicas: 2 } } }, options: { consecutive: 1, timeout: '20s' }, line: 1 };
  // Pods the rollout check looks at: Running and Ready once the Deployment is.
  const pending = runCheck(check as never, ctx() as never);
  await new Promise((r) => setTimeout(r, 150 + Math.random() * 200));
  for (let p = 0; p < 2; p++) {
    // Like a real API server, the sim ignores status on create: it is written through /status.
    const pod = cluster.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${name}-${p}`, namespace: 'default', labels: { app: name } },
      spec: { nodeName: 'bench-worker', containers: [{ name: 'c', image: 'nginx:1.29.1-alpine' }] },
    });
    cluster.updateStatus({ ...pod, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'c', ready: true }] } });
  }
  const flipped = performance.now();
  const current = cluster.get('apps/v1', 'Deployment', name, 'default');
  cluster.updateStatus({ ...current!, status: deployment(name, 2).status });
  const result = await pending;
  const ms = performance.now() - flipped;
  if (result.status !== 'pass') throw new Error(`${kind} check did not pass: ${result.found}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
for (const kind of ['rollout', 'resource'] as const) {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await measure(kind, i));
  console.log(`${kind.padEnd(8)} reaction: median ${median(times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms over ${runs} runs (target ≤ 200 ms)`);
}
await sim.stop();
process.exit(0);
