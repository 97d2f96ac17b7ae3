/**
 * Istio and its samples, behaving, in a sim harness:
 *
 *   const h = await createSimHarness();
 *   const mesh = await installIstioBehaviour(h, { misbehave: { ignoreMirror: true } });
 *   ... kindlab run istio-traffic ...
 *   await mesh.stop(); await h.cleanup();
 *
 * It takes over sim.onExec (HTTP from nodes and pods, fortio, pilot-agent, promtool, curl/sh/python
 * in pods) and sim.onLogs (access logs, httpbin's log), and makes the fake kubectl's port-forward
 * carry requests into the pod (KINDLAB_FAKE_PORT_FORWARD=exec in h.env). What answers follows
 * from the objects in the sim's store: see mesh.ts for the data path, routing.ts for the rules,
 * apps/ for Bookinfo, helloworld, httpbin and the addons. `misbehave` switches on one fault of the
 * mesh at a time, to prove a checkpoint notices it.
 */
import { join } from 'node:path';
import type { SimHarness } from '../../harness.js';
import { addonApps } from './apps/addons.js';
import { bookinfoApps } from './apps/bookinfo.js';
import { fortioServerApp, helloworldApp, httpbinApp } from './apps/samples.js';
import { istioExecHandler } from './exec.js';
import { Mesh, type Misbehaviour } from './mesh.js';
import { ProcessRunner } from './processes.js';
import { seededRandom } from './random.js';

export type { Misbehaviour } from './mesh.js';

export interface IstioBehaviourOptions {
  /** Seed of the generator behind weights, fault percentages and endpoint choice (default 1). */
  seed?: number;
  misbehave?: Misbehaviour;
  /** The mesh's time (lab-clock.ts; default the wall clock). */
  clock?: () => number;
}

export interface IstioBehaviour {
  mesh: Mesh;
  stop(): Promise<void>;
}

export async function installIstioBehaviour(h: SimHarness, opts: IstioBehaviourOptions = {}): Promise<IstioBehaviour> {
  const mesh = new Mesh(h.sim, {
    random: seededRandom(opts.seed ?? 1),
    ...(opts.misbehave ? { misbehave: opts.misbehave } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
    apps: [...bookinfoApps, helloworldApp, httpbinApp, fortioServerApp, ...addonApps],
  });
  const fakes = h.binDir;
  const systemPath = (h.env.PATH ?? '').split(':').filter((d) => d !== fakes).join(':');
  const processes = new ProcessRunner(mesh, join(h.dir, 'mesh-processes'), systemPath);
  await processes.start();
  const fallback = h.sim.onExec;
  h.sim.onExec = istioExecHandler(mesh, processes, fallback);
  h.sim.onLogs = mesh.logs.handler(h.sim.onLogs);
  h.env.KINDLAB_FAKE_PORT_FORWARD = 'exec';
  return {
    mesh,
    stop: async () => {
      mesh.stop();
      await processes.stop();
    },
  };
}
