/** Running the real `kindlab` CLI against the simulated cluster, shared by the integration tests. */
import { join, resolve } from 'node:path';
import { createProcessRunner } from '../../src/platform/exec.js';
import type { SimHarness } from '../sim/harness.js';
import { isSamplerCommand, simulateSamplerScript } from '../checks/sampler-sim.js';

const repo = resolve(import.meta.dirname, '../..');
export const bin = join(repo, 'bin/kindlab.js');
export const fixtures = join(repo, 'test/fixtures/labs');

/** `kindlab <args>` with the sim's fake tools first on PATH; labs from `labsPath` (default: the fixtures). */
export async function runKindlab(harness: SimHarness, args: string[], labsPath = fixtures) {
  return createProcessRunner().run(process.execPath, [bin, ...args], {
    env: { ...harness.env, KINDLAB_LABS_PATH: labsPath, NO_COLOR: '1' },
    cwd: harness.dir,
    timeoutMs: 120_000,
  });
}

/** nginx behind the load balancer: answers at the LB IP the sim assigned, refuses anything else. */
export function serveNginx(harness: SimHarness, body = '<title>Welcome to nginx!</title>') {
  harness.sim.onExec = ({ command }) => {
    if (!isSamplerCommand(command)) return { stdout: '', stderr: `unexpected exec: ${command.join(' ')}`, exitCode: 1 };
    return simulateSamplerScript(command, (req) =>
      /^http:\/\/\d+\.\d+\.\d+\.\d+\/$/.test(req.url) ? { status: 200, body, timeMs: 3 } : { exit: 7, error: 'Failed to connect' },
    );
  };
}
