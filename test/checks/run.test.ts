import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baselineOf, runCheck, runChecks } from '../../src/checks/run.js';
import { FakeKube } from './fake-kube.js';
import { FakeRunner } from './fake-runner.js';
import { fixture, fixtureObjects, makeCheck, makeCtx, samplingRunner } from './helpers.js';
import type { SimRequest, SimResponse } from './sampler-sim.js';

/** Answers from a list, one per request, repeating the last. */
function script(...answers: SimResponse[]) {
  let i = 0;
  return samplingRunner(() => answers[Math.min(i++, answers.length - 1)] as SimResponse);
}

describe('runCheck', () => {
  it('retries a poll kind until it passes (http passes on the 3rd attempt)', async () => {
    const runner = script({ status: 503, body: 'no healthy upstream' }, { exit: 7, error: 'curl: (7) Failed to connect' }, { status: 200, body: '<title>Simple Bookstore App</title>' });
    const ctx = makeCtx({ runner });
    const r = await runCheck(makeCheck('http', { url: 'http://172.18.0.20/productpage', expect: { status: 200, body: 'Simple Bookstore App' } }), ctx);
    expect(r).toMatchObject({ status: 'pass', kind: 'http', line: 10, found: expect.stringMatching(/^HTTP 200 in \d+ms$/) });
    expect(runner.calls).toHaveLength(3);
    expect(r.title).toBe('GET http://172.18.0.20/productpage from node kindlab-lab1-control-plane');
    expect(r.hint).toBeUndefined();
  });

  it('gives up at the timeout with the last observation, the attempts and both hints', async () => {
    const runner = script({ status: 503, body: 'no healthy upstream' });
    const r = await runCheck(makeCheck('http', { url: 'http://gw/', expect: { status: 200 } }, { timeout: '10s', hint: 'Is the Gateway programmed?' }), makeCtx({ runner }));
    expect(r.status).toBe('fail');
    expect(r.found).toBe(`HTTP 503 in 1ms; body: "no healthy upstream"`);
    expect(r.details).toContain('status 503, expected 200');
    expect(r.details?.at(-1)).toMatch(/^gave up after 10s \(\d+ attempts in \d+(\.\d)?s\)$/);
    expect(runner.calls.length).toBeGreaterThan(3);
    expect(r.hint?.split('\n')[0]).toBe('Is the Gateway programmed?');
    expect(r.hint).toMatch(/try: docker exec kindlab-lab1-control-plane curl --max-time 10 http:\/\/gw\/ -i$/);
    expect(r.durationMs).toBeGreaterThanOrEqual(10_000);
  });

  it('needs `consecutive` passes in a row', async () => {
    const runner = script({ status: 200 }, { status: 500 }, { status: 200 }, { status: 200 }, { status: 200 }, { status: 500 });
    const r = await runCheck(makeCheck('http', { url: 'http://gw/' }, { consecutive: 3 }), makeCtx({ runner }));
    expect(r.status).toBe('pass');
    expect(runner.calls).toHaveLength(5);
  });

  it('stops after `attempts`', async () => {
    const runner = script({ status: 500 });
    const r = await runCheck(makeCheck('http', { url: 'http://gw/' }, { attempts: 2 }), makeCtx({ runner }));
    expect(r.status).toBe('fail');
    expect(runner.calls).toHaveLength(2);
    expect(r.details?.at(-1)).toMatch(/^gave up after 2 attempts in /);
  });

  it('samples a statistical kind at most twice by default', async () => {
    const runner = samplingRunner(() => ({ status: 200, body: 'old' }));
    const r = await runCheck(makeCheck('traffic', { url: 'http://lb/', requests: 50, classify: { classes: { old: 'old', new: 'new' } }, expect: { old: 0.5, new: 0.5 } }), makeCtx({ runner }));
    expect(r.status).toBe('fail');
    expect(runner.calls).toHaveLength(2);
  });

  it('interpolates ${VAR} and names an unknown variable without running anything', async () => {
    const runner = script({ status: 200 });
    const ok = await runCheck(makeCheck('http', { url: 'http://${GATEWAY_IP}/productpage' }, { name: 'page via ${GATEWAY_IP}' }), makeCtx({ runner, vars: { GATEWAY_IP: '172.18.0.20' } }));
    expect(ok.status).toBe('pass');
    expect(ok.title).toBe('page via 172.18.0.20');
    expect(runner.calls[0]?.args.at(-1)).toContain("'http://172.18.0.20/productpage'");

    const bad = await runCheck(makeCheck('http', { url: 'http://${GATEWAY}/productpage', headers: { Host: '${HOST}' } }), makeCtx({ runner }));
    expect(bad).toMatchObject({ status: 'error', found: 'error: unknown variables ${GATEWAY}, ${HOST} in url, headers.Host' });
    expect(runner.calls).toHaveLength(1);
  });

  it('keeps hints meant for lab authors, and the lab hint about a wrong state, away from an error the learner cannot fix that way', async () => {
    const runner = script({ status: 200 });
    const hint = 'An external IP stuck at <pending> means no load-balancer implementation is running.';
    const r = await runCheck(makeCheck('http', { url: 'http://${LB_IP}/' }, { hint }), makeCtx({ runner }));
    expect(r.status).toBe('error');
    // The learner hears what to do; the front matter is the author's business.
    expect(r.hint).toMatch(/earlier step/);
    expect(r.hint).not.toMatch(/front matter/);
    expect(r.hint).not.toContain(hint);
    expect(r.authorNote).toMatch(/front matter env/);

    // The same lab hint still comes with a wrong state the cluster was observed in.
    const wrong = await runCheck(makeCheck('http', { url: 'http://gw/', expect: { status: 200 } }, { hint, attempts: 1 }), makeCtx({ runner: script({ status: 503 }) }));
    expect(wrong.status).toBe('fail');
    expect(wrong.hint?.split('\n')[0]).toBe(hint);
    expect(wrong.authorNote).toBeUndefined();
  });

  it('captures values from the observed data, and says what exists when a path is wrong', async () => {
    const body = fixture('bookinfo-reviews-v2.json');
    const good = await runCheck(makeCheck('http', { url: 'http://gw/api/v1/products/0/reviews' }, { capture: { REVIEWS_POD: 'json.podname', STATUS: 'status' } }), makeCtx({ runner: script({ status: 200, body }) }));
    expect(good.captured).toEqual({ REVIEWS_POD: 'reviews-v2-6f8c4b9d7-pl3nd', STATUS: '200' });
    const bad = await runCheck(makeCheck('http', { url: 'http://gw/api/v1/products/0/reviews' }, { capture: { POD: 'json.pod' } }), makeCtx({ runner: script({ status: 200, body }) }));
    expect(bad.status).toBe('error');
    expect(bad.details).toEqual(['capture POD: nothing at "json.pod" in the observed data (under json: id, podname, clustername, reviews)']);
  });

  it('turns a thrown error into an error result with its message', async () => {
    const ctx = makeCtx({ kube: new FakeKube() });
    const r = await runCheck(makeCheck('http', { url: 'http://httpbin:8000/get', from: { pod: { namespace: 'default', selector: 'app=curl' } } }, { timeout: '3s' }), ctx);
    expect(r.status).toBe('error');
    expect(r.found).toBe('error: no Running and Ready pod among pods matching app=curl in default (none found)');
    expect(r.details?.at(-1)).toMatch(/^gave up after 3.0s/);
  });

  it('keeps the last complete observation when the deadline cuts an attempt short', async () => {
    let n = 0;
    const runner = new FakeRunner((_command, _args, opts) => {
      if (++n === 1) return { exitCode: 0, stdout: 'v2 received 0 copies of 20 requests\n' };
      // Later attempts outlast the deadline and are killed at the time limit.
      return new Promise((resolve) => opts.signal?.addEventListener('abort', () => resolve({ exitCode: 124, timedOut: true }), { once: true }));
    });
    const r = await runCheck(makeCheck('command', { run: 'count-copies', stdout: 'received 20 copies' }, { timeout: '10s' }), makeCtx({ runner }));
    expect(r.status).toBe('fail');
    expect(r.found).toBe('exit 0; stdout: v2 received 0 copies of 20 requests');
    expect(runner.calls.length).toBeGreaterThan(1);

    // The same when the cut attempt throws (requests stopped at the time limit).
    let m = 0;
    const throwing = new FakeRunner((_command, _args, opts) => {
      if (++m === 1) return { exitCode: 0, stdout: 'v2 received 0 copies of 20 requests\n' };
      return new Promise((_resolve, reject) => opts.signal?.addEventListener('abort', () => reject(new Error('requests were stopped after 0 of 1 (time limit)')), { once: true }));
    });
    const t = await runCheck(makeCheck('command', { run: 'count-copies', stdout: 'received 20 copies' }, { timeout: '10s' }), makeCtx({ runner: throwing }));
    expect(t).toMatchObject({ status: 'fail', found: 'exit 0; stdout: v2 received 0 copies of 20 requests' });
  });

  it('reports an interrupt as an error, not a failure', async () => {
    const controller = new AbortController();
    const ctx = makeCtx({ runner: script({ status: 500 }) });
    ctx.signal = controller.signal;
    setTimeout(() => controller.abort(), 20);
    const r = await runCheck(makeCheck('http', { url: 'http://gw/' }, { timeout: '1h' }), ctx);
    expect(r.status).toBe('error');
    expect(r.details?.at(-1)).toMatch(/^interrupted before a verdict/);
  });

  it('a watch kind waits for its object and fails with what it last saw', async () => {
    const kube = new FakeKube();
    const ctx = makeCtx({ kube });
    const pending = runCheck(makeCheck('resource', { kind: 'Service', name: 'nginx', match: { spec: { type: 'LoadBalancer' } } }, { timeout: '5m' }), ctx);
    setTimeout(() => kube.set(fixtureObjects('service-nginx-lb.json')[0] as never), 20);
    expect(await pending).toMatchObject({ status: 'pass', found: 'present and matching' });
    expect(kube.calls.watch).toBe(1);

    const missing = await runCheck(makeCheck('resource', { kind: 'Service', name: 'ghost' }, { timeout: '5s' }), makeCtx({ kube }));
    expect(missing).toMatchObject({ status: 'fail', found: 'not found', hint: 'kubectl get service ghost -n default -o yaml' });
    expect(kube.listeners.size).toBe(0);
  });

  it('targets the cluster named by the `cluster` option', async () => {
    const east = new FakeKube();
    const west = new FakeKube(fixtureObjects('service-nginx-lb.json'));
    const clusters = [
      { name: 'east', kindName: 'kindlab-mc-east', context: 'kind-kindlab-mc-east' },
      { name: 'west', kindName: 'kindlab-mc-west', context: 'kind-kindlab-mc-west' },
    ];
    const runner = script({ status: 200 });
    const ctx = makeCtx({ kube: east, kubes: { east, west }, clusters, runner });
    expect((await runCheck(makeCheck('resource', { kind: 'Service', name: 'nginx' }, { cluster: 'west', timeout: '2s' }), ctx)).status).toBe('pass');
    expect((await runCheck(makeCheck('resource', { kind: 'Service', name: 'nginx' }, { timeout: '2s' }), ctx)).status).toBe('fail');
    await runCheck(makeCheck('http', { url: 'http://x/' }, { cluster: 'west' }), ctx);
    expect(runner.calls[0]?.args[1]).toBe('kindlab-mc-west-control-plane');
    expect((await runCheck(makeCheck('http', { url: 'http://x/' }, { cluster: 'north' }), ctx)).found).toBe('error: no cluster named "north" in this lab (clusters: east, west)');
  });

  it('does not pile listeners on the deadline signal over many retries', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    const ctx = makeCtx({ runner: script({ status: 500 }) });
    const fast = ctx.clock;
    // Like a clock whose sleep leaves its abort listener behind when it ends normally.
    ctx.clock = {
      now: fast.now,
      sleep: (ms, signal) =>
        new Promise<void>((resolve, reject) => {
          const t = setTimeout(resolve, ms / 200);
          signal?.addEventListener('abort', () => (clearTimeout(t), reject(new Error('aborted'))), { once: true });
        }),
    };
    const r = await runCheck(makeCheck('http', { url: 'http://gw/' }, { timeout: '2m' }), ctx);
    await new Promise((resolve) => setTimeout(resolve, 20));
    process.off('warning', onWarning);
    expect(r.status).toBe('fail');
    expect(ctx.fakeRunner.calls.length).toBeGreaterThan(12);
    expect(warnings).toEqual([]);
  });

  it('rejects an outcome that is not one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kindlab-custom-'));
    writeFileSync(join(dir, 'bad.mjs'), 'export default () => ({ ok: "yes" });\n');
    const r = await runCheck(makeCheck('custom', { module: 'bad.mjs' }, { attempts: 1 }), makeCtx({ labDir: dir }));
    expect(r).toMatchObject({ status: 'error', found: 'error: the check returned an outcome without a boolean `ok`' });
  });
});

describe('runChecks', () => {
  it('runs in order, hands captured values to later checks, and records baselines', async () => {
    const seen: SimRequest[] = [];
    const runner = samplingRunner((req) => {
      seen.push(req);
      return req.url.endsWith('/ip') ? { status: 200, body: '{"ip":"172.18.0.20"}' } : { status: 200, body: 'ok' };
    });
    const ctx = makeCtx({ runner });
    const results = await runChecks(
      [
        makeCheck('http', { url: 'http://meta/ip' }, { capture: { GATEWAY_IP: 'json.ip' } }, 3),
        makeCheck('http', { url: 'http://${GATEWAY_IP}/productpage' }, {}, 4),
      ],
      (captured) => ({ ...ctx, vars: { ...ctx.vars, ...captured } }),
    );
    expect(results.map((r) => r.status)).toEqual(['pass', 'pass']);
    expect(seen[1]?.url).toBe('http://172.18.0.20/productpage');
    expect(ctx.vars).toEqual({});
    expect((baselineOf(results).get('line:3') as { json: unknown }).json).toEqual({ ip: '172.18.0.20' });
  });
});
