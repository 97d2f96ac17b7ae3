import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/checks/run.js';
import { createProcessRunner } from '../../src/platform/exec.js';
import { FakeKube } from './fake-kube.js';
import { FakeRunner } from './fake-runner.js';
import { fixtureObjects, makeCheck, makeCtx } from './helpers.js';

describe('command', () => {
  it('runs on the host with the lab environment, in the lab folder', async () => {
    const runner = new FakeRunner(() => ({ exitCode: 0, stdout: 'NAME STATUS\nkindlab-lab1-control-plane   Ready\n' }));
    const ctx = makeCtx({ runner, labDir: '/labs/canary-l4', vars: { NODE: 'kindlab-lab1-control-plane' } });
    const r = await runCheck(makeCheck('command', { run: 'kubectl get node ${NODE} | grep -c Ready; for i in 1 2; do echo ${i}; done', stdout: '^kindlab-lab1-control-plane\\s+Ready$' }, { capture: { OUT: 'stdout' } }), ctx);
    expect(r.status).toBe('pass');
    expect(runner.calls[0]?.command).toBe('bash');
    // The shell expands ${NODE} from the environment; kindlab never pastes the value into the script.
    expect(runner.calls[0]?.args[1]).toBe('set -euo pipefail\nkubectl get node ${NODE} | grep -c Ready; for i in 1 2; do echo ${i}; done');
    expect(runner.calls[0]?.opts).toMatchObject({ cwd: '/labs/canary-l4', env: { KUBECONFIG: '/tmp/kubeconfig', NODE: 'kindlab-lab1-control-plane' } });
    expect(r.captured?.OUT).toBe('NAME STATUS\nkindlab-lab1-control-plane   Ready');
  });

  it('runs in a node or a container and reports exit code and output', async () => {
    const runner = new FakeRunner((_c, args) => (args[1] === 'vm1' ? { exitCode: 1, stdout: '', stderr: 'mysql: Access denied' } : { exitCode: 0, stdout: 'ok\n' }));
    const ctx = makeCtx({ runner });
    const onNode = await runCheck(makeCheck('command', { run: 'ping -c1 10.244.1.5 >/dev/null && echo ok', on: { node: 'worker' }, stdout: '^ok$' }), ctx);
    expect(onNode.status).toBe('pass');
    expect(runner.calls[0]?.args).toEqual(['exec', 'kindlab-lab1-worker', 'sh', '-c', 'ping -c1 10.244.1.5 >/dev/null && echo ok']);
    const inVm = await runCheck(makeCheck('command', { run: 'mysql -e "select 1"', on: { container: 'vm1' }, stdoutNot: 'ERROR' }, { timeout: '2s' }), ctx);
    expect(inVm).toMatchObject({ status: 'fail', found: 'exit 1; stderr: mysql: Access denied' });
    expect(inVm.details?.[0]).toBe('exit code 1, expected 0');
  });
});

describe('command with hostile captured values (a real shell)', () => {
  const hostile = ["it's", '$(touch PWNED)', '`touch PWNED`', 'a; touch PWNED', 'two\nlines; touch PWNED', "'; touch PWNED; echo '"];

  it.each(hostile)('keeps %j a value on the host: printed as it is, never run', async (value) => {
    const labDir = mkdtempSync(join(tmpdir(), 'kindlab-quote-'));
    // The test clock runs 200 times fast: 30m of it is 9 s of real time for bash to start.
    const ctx = { ...makeCtx({ labDir, vars: { EVIL: value } }), runner: createProcessRunner() };
    const r = await runCheck(makeCheck('command', { run: 'printf %s "${EVIL}"; echo; echo ${EVIL}' }, { capture: { OUT: 'stdout' }, timeout: '30m' }), ctx);
    expect(r.status).toBe('pass');
    expect(r.captured?.OUT?.split('\n')[0]).toBe(value.split('\n')[0]);
    expect(readdirSync(labDir)).toEqual([]);
  });

  it('passes the values a container script names as docker exec -e, not as script text', async () => {
    const runner = new FakeRunner(() => ({ exitCode: 0, stdout: 'ok\n' }));
    const ctx = makeCtx({ runner, vars: { EVIL: '$(touch PWNED); x' } });
    await runCheck(makeCheck('command', { run: 'echo "$EVIL" ${EVIL} ${UNSET:-}', on: { node: 'worker' } }), ctx);
    expect(runner.calls[0]?.args).toEqual(['exec', '-e', 'EVIL=$(touch PWNED); x', 'kindlab-lab1-worker', 'sh', '-c', 'echo "$EVIL" ${EVIL} ${UNSET:-}']);
  });
});

describe('custom', () => {
  const labDir = mkdtempSync(join(tmpdir(), 'kindlab-lab-'));
  mkdirSync(join(labDir, 'checks'));
  const typesUrl = pathToFileURL(join(process.cwd(), 'src/checks/types.ts')).href;
  writeFileSync(
    join(labDir, 'checks/workload-entries.ts'),
    `import type { CustomCheck } from '${typesUrl}';

interface Args { namespace: string; min: number }

export const entries: CustomCheck<Args> = async (args, ctx) => {
  const list = await ctx.kube().list({ apiVersion: 'networking.istio.io/v1', kind: 'WorkloadEntry', namespace: args.namespace });
  const n: number = list.length;
  return { ok: n >= args.min, title: 'VM registered', expected: \`at least \${args.min} WorkloadEntry\`, found: \`\${n} entries\`, data: { n } };
};

export default (() => { throw new Error('the VM has no istio-proxy running'); }) satisfies CustomCheck;
`,
  );

  it('runs a typed check from the lab folder, retrying until it passes', async () => {
    const kube = new FakeKube();
    const ctx = makeCtx({ kube, labDir });
    const pending = runCheck(makeCheck('custom', { module: 'checks/workload-entries.ts', export: 'entries', args: { namespace: 'vm', min: 1 } }, { capture: { ENTRIES: 'n' }, timeout: '5m' }), ctx);
    setTimeout(() => kube.set({ apiVersion: 'networking.istio.io/v1', kind: 'WorkloadEntry', metadata: { name: 'details-172.18.0.5', namespace: 'vm' } }), 20);
    const r = await pending;
    expect(r).toMatchObject({ status: 'pass', title: 'VM registered', found: '1 entries', captured: { ENTRIES: '1' } });
  });

  it('turns what the check throws into an error result', async () => {
    const r = await runCheck(makeCheck('custom', { module: 'checks/workload-entries.ts' }, { timeout: '2s' }), makeCtx({ labDir }));
    expect(r).toMatchObject({ status: 'error', title: 'custom check checks/workload-entries.ts', found: 'error: the VM has no istio-proxy running' });
  });

  it('names a missing export, and refuses modules outside the lab', async () => {
    const r = await runCheck(makeCheck('custom', { module: 'checks/workload-entries.ts', export: 'vm' }), makeCtx({ labDir }));
    expect(r.found).toBe('error: checks/workload-entries.ts has no function export "vm" (exports: default, entries)');
    const outside = await runCheck(makeCheck('custom', { module: '../elsewhere.ts' }), makeCtx({ labDir }));
    expect(outside.found).toBe('error: custom check module ../elsewhere.ts is outside the lab folder');
  });

  it('loads in plain Node 24, which strips the types itself', async () => {
    const program = `const m = await import(${JSON.stringify(pathToFileURL(join(labDir, 'checks/workload-entries.ts')).href)});
const ctx = { kube: () => ({ list: async () => [{}, {}] }) };
console.log(JSON.stringify(await m.entries({ namespace: 'vm', min: 3 }, ctx)));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', program]);
    expect(JSON.parse(stdout)).toEqual({ ok: false, title: 'VM registered', expected: 'at least 3 WorkloadEntry', found: '2 entries', data: { n: 2 } });
  });
});

describe('vantage points', () => {
  it('uses the first Running and Ready pod by name, skipping terminating ones', async () => {
    const pods = fixtureObjects('pods-canary-l4.json');
    const first = pods[0]!;
    first.metadata.deletionTimestamp = '2026-11-21T10:00:00Z';
    const kube = new FakeKube(pods);
    kube.execHandler = () => ({ stdout: 'ok', stderr: '', exitCode: 0 });
    const r = await runCheck(makeCheck('http', { from: { pod: { selector: 'run=new-nginx', container: 'nginx' } }, url: 'http://x/' }, { attempts: 1 }), makeCtx({ kube }));
    expect(kube.execCalls[0]?.pod).toEqual({ namespace: 'default', name: 'new-nginx-6d8f7b9c54-8hjw4', container: 'nginx' });
    expect(r.found).toMatch(/^error: no response records from pod default\/new-nginx-6d8f7b9c54-8hjw4 \(nginx\) \(exit 0\)/);
  });

  it('lists the pods it found when none is ready', async () => {
    const kube = new FakeKube(fixtureObjects('pods-canary-l4.json').filter((p) => p.metadata.name.endsWith('c5tzr')));
    const r = await runCheck(makeCheck('http', { from: { pod: { selector: 'run=new-nginx' } }, url: 'http://x/' }, { timeout: '1s' }), makeCtx({ kube }));
    expect(r.found).toBe('error: no Running and Ready pod among pods matching run=new-nginx in default (found new-nginx-6d8f7b9c54-c5tzr Pending)');
  });
});
