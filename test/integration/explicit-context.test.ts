/**
 * `--context NAME` sessions: one-shot commands from a second terminal attach to the named context
 * as the session does (no kind clusters, no tool downloads), and a server that cannot be reached is
 * reported up front, naming it, instead of as checkpoint failures.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { emptyProgress, ProgressStore } from '../../src/engine/progress.js';
import { runInProcess } from '../cli/in-process.js';
import { createSimHarness, type SimHarness } from '../sim/harness.js';

const fixtures = join(import.meta.dirname, '../fixtures/labs');

let h: SimHarness | undefined;
const servers: Server[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  for (const s of servers.splice(0)) s.close();
  await h?.cleanup();
  h = undefined;
});

/** A TCP server that accepts connections and never answers (a firewall that drops, a hung server). */
async function blackHole(): Promise<number> {
  const server = createServer(() => undefined);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** The user's kubeconfig: the sim as kind-default, plus contexts whose servers are given. */
async function userKubeconfig(extra: Record<string, string>): Promise<string> {
  const path = await h!.kubeconfig('default');
  const config = JSON.parse(await readFile(path, 'utf8')) as { clusters: unknown[]; contexts: unknown[]; users: Array<{ name: string }> };
  const user = config.users[0]?.name;
  for (const [name, server] of Object.entries(extra)) {
    config.clusters.push({ name, cluster: { server, 'insecure-skip-tls-verify': true } });
    config.contexts.push({ name, context: { cluster: name, user } });
  }
  await writeFile(path, JSON.stringify(config));
  return path;
}

async function setup(extra: Record<string, string> = {}) {
  h = await createSimHarness();
  // The lab catalog reads its search path from the process environment.
  vi.stubEnv('KINDLAB_LABS_PATH', fixtures);
  const env = { ...h.env, KINDLAB_LABS_PATH: fixtures, KUBECONFIG: await userKubeconfig(extra) };
  return env;
}

/** What `kindlab start sample-nginx --context <ctx>` leaves behind for other terminals. */
async function startedOn(env: Record<string, string | undefined>, context: string) {
  const store = new ProgressStore(join(env.XDG_STATE_HOME as string, 'kindlab/labs/sample-nginx'));
  await store.save({ ...emptyProgress('sample-nginx', new Date()), provisioned: true, context }, new Date());
}

describe('--context sessions', () => {
  it('`check` from another terminal attaches to the named context: no kind, no downloads', { timeout: 60_000 }, async () => {
    const env = await setup();
    await startedOn(env, 'kind-default');
    const r = await runInProcess(['check', '--lab', 'sample-nginx', '--wait', '1s'], env);
    // Step 1's deployment does not exist yet: the checkpoint runs and fails (1), it does not error out.
    expect(r.err).toMatch(/deployment default\/nginx/);
    expect(r.code).toBe(1);
    expect(h!.calls('kind')).toEqual([]);
    expect(r.err).not.toMatch(/Downloading|not running/);
  });

  it('an unreachable server stops `run --context` before step 1, naming the server (exit 3)', { timeout: 60_000 }, async () => {
    const port = await closedPort();
    const env = await setup({ 'lab-vm': `http://127.0.0.1:${port}` });
    const r = await runInProcess(['run', 'sample-nginx', '--yes', '--context', 'lab-vm'], env);
    expect(r.code).toBe(3);
    expect(r.err).toContain(`the API server of context "lab-vm" (http://127.0.0.1:${port}) could not be reached`);
    expect(r.err).not.toContain('Step 1');
  });

  it('a server that never answers is given up on after a few seconds, not a checkpoint timeout per check', { timeout: 60_000 }, async () => {
    const port = await blackHole();
    const env = await setup({ 'lab-vm': `http://127.0.0.1:${port}` });
    await startedOn(env, 'lab-vm');
    const started = Date.now();
    const r = await runInProcess(['check', '--lab', 'sample-nginx'], env);
    expect(r.code).toBe(3);
    expect(r.err).toContain(`(http://127.0.0.1:${port}) could not be reached`);
    expect(r.err).not.toMatch(/expected:|where to look/);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
