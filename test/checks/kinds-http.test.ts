import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/checks/run.js';
import { FakeKube } from './fake-kube.js';
import { draw, fixture, fixtureObjects, makeCheck, makeCtx, prng, samplingRunner } from './helpers.js';
import { isSamplerCommand, simulateSamplerScript, type SimRequest, type SimResponse } from './sampler-sim.js';

const productpage = fixture('bookinfo-productpage.html');
const reviews = {
  v1: fixture('bookinfo-reviews-v1.json'),
  v2: fixture('bookinfo-reviews-v2.json'),
  v3: fixture('bookinfo-reviews-v3.json'),
  error: fixture('bookinfo-reviews-ratings-unavailable.json'),
};

/** Bookinfo behind a gateway: POST /login sets a session; jason's requests go to reviews v2. */
function bookinfo(req: SimRequest): SimResponse {
  if (req.url.endsWith('/login')) {
    const user = new URLSearchParams(req.body ?? '').get('username');
    return { status: 302, headers: { 'set-cookie': `session=${user}; Path=/`, location: '/productpage' } };
  }
  const jason = req.headers.cookie === 'session=jason';
  if (req.url.endsWith('/api/v1/products/0/reviews')) return { status: 200, body: jason ? reviews.v2 : reviews.v1, headers: { 'content-type': 'application/json' } };
  if (req.url.endsWith('/productpage')) return { status: 200, body: productpage, headers: { 'content-type': 'text/html; charset=utf-8' }, timeMs: 40 };
  return { status: 404, body: 'not found' };
}

describe('http', () => {
  it('logs in as jason and sees reviews v2 (black stars)', async () => {
    const seen: SimRequest[] = [];
    const runner = samplingRunner((req) => (seen.push(req), bookinfo(req)));
    const check = makeCheck('http', {
      url: 'http://${GATEWAY_IP}/api/v1/products/0/reviews',
      login: { url: 'http://${GATEWAY_IP}/login', form: { username: 'jason', passwd: 'jason' } },
      expect: { status: 200, json: { reviews: [{ rating: { color: 'black' } }], podname: '/^reviews-v2-/' }, headers: { 'Content-Type': 'json' } },
    });
    const r = await runCheck(check, makeCtx({ runner, vars: { GATEWAY_IP: '172.18.0.20' } }));
    expect(r.status).toBe('pass');
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['POST http://172.18.0.20/login', 'GET http://172.18.0.20/api/v1/products/0/reviews']);
    expect(r.title).toBe('GET http://172.18.0.20/api/v1/products/0/reviews (logged in) from node kindlab-lab1-control-plane');
    expect(r.expected).toBe('HTTP 200, header Content-Type matching /json/, JSON reviews = [{"rating":{"color":"black"}}], JSON podname = "/^reviews-v2-/"');
  });

  it('shows JSON differences, header and timing problems', async () => {
    const runner = samplingRunner((req) => ({ ...bookinfo({ ...req, headers: {} }), timeMs: 1200 }) as SimResponse);
    const r = await runCheck(
      makeCheck('http', { url: 'http://gw/api/v1/products/0/reviews', expect: { json: { 'reviews[0].rating': { color: 'black' } }, headers: { 'x-envoy-upstream-service-time': '.' }, maxTime: '1s' } }, { attempts: 1 }),
      makeCtx({ runner }),
    );
    expect(r.status).toBe('fail');
    expect(r.details).toEqual([
      'no x-envoy-upstream-service-time header',
      'took 1.20s, more than 1s',
      'reviews[0].rating: expected {"color":"black"}, found nothing',
      expect.stringMatching(/^gave up after 1 attempt in /),
    ]);
  });

  it('matches the page body and reports a missing response', async () => {
    const ok = await runCheck(makeCheck('http', { url: 'http://gw/productpage', expect: { body: '<title>Simple Bookstore App</title>', bodyNot: 'reviews are currently unavailable' } }), makeCtx({ runner: samplingRunner(bookinfo) }));
    expect(ok.status).toBe('pass');
    const down = await runCheck(makeCheck('http', { url: 'http://gw/productpage' }, { attempts: 1 }), makeCtx({ runner: samplingRunner(() => ({ exit: 7, error: 'curl: (7) Failed to connect to gw port 80' })) }));
    expect(down.found).toBe('no response (curl: (7) Failed to connect to gw port 80)');
  });

  it('sends from a pod chosen by selector, in its default container', async () => {
    const kube = new FakeKube(fixtureObjects('pods-bookinfo.json'));
    kube.execHandler = (_pod, command) => (isSamplerCommand(command) ? simulateSamplerScript(command, bookinfo) : { stdout: '', stderr: 'unexpected', exitCode: 1 });
    const r = await runCheck(makeCheck('http', { from: { pod: { namespace: 'default', selector: 'app=ratings' } }, url: 'http://productpage:9080/productpage', expect: { body: 'Simple Bookstore App' } }), makeCtx({ kube }));
    expect(r.status).toBe('pass');
    expect(kube.execCalls[0]?.pod).toEqual({ namespace: 'default', name: 'ratings-v1-85c74b6cb4-r7d2j', container: 'ratings' });
    expect(r.title).toMatch(/from pod default\/ratings-v1-85c74b6cb4-r7d2j \(ratings\)$/);
  });
});

/** A load-balanced backend: each request lands on a version with the true shares. */
function split(truth: Record<string, number>, seed: number, body: (version: string) => SimResponse = (v) => ({ status: 200, body: `${v}\n` })) {
  const rand = prng(seed);
  return samplingRunner(() => body(draw(truth, rand())));
}

const canary = (expect: Record<string, number>, more: Record<string, unknown> = {}) =>
  makeCheck('traffic', { url: 'http://${LB_IP}/', classify: { classes: { old: '^old', new: '^new' } }, expect, ...more }, { attempts: 1 });

describe('traffic', () => {
  it('passes a matching split and shows the observed table', async () => {
    const r = await runCheck(canary({ old: 0.2, new: 0.8 }), makeCtx({ runner: split({ old: 0.2, new: 0.8 }, 11), vars: { LB_IP: '172.18.0.9' } }));
    expect(r.status).toBe('pass');
    expect(r.expected).toBe('shares old 20% / new 80% (chi-square goodness-of-fit, 99.9% confidence, n=196)');
    const counts = r.data as { n: number; counts: Record<string, number> };
    expect(counts.n).toBe(196);
    expect(r.found).toBe(`old ${((100 * (counts.counts.old ?? 0)) / 196).toFixed(1)}% (${counts.counts.old}) / new ${((100 * (counts.counts.new ?? 0)) / 196).toFixed(1)}% (${counts.counts.new})`);
    expect(r.details?.[0]).toBe('class  expected  observed  share');
    expect(r.details?.[1]).toMatch(/^old\s+20%\s+\d+\s+[\d.]+%$/);
    expect(r.details?.[3]).toMatch(/^X²=[\d.]+ \(df 1\), p=[\d.e-]+; the split is rejected above X²=10\.83$/);
    expect(r.details?.at(-1)).toBe('n=196 chosen to detect a share off by 15% with 95% power');
  });

  it('fails a 50/50 split when 80/20 is expected', async () => {
    const r = await runCheck(canary({ old: 0.2, new: 0.8 }), makeCtx({ runner: split({ old: 0.5, new: 0.5 }, 12), vars: { LB_IP: 'x' } }));
    expect(r.status).toBe('fail');
    expect(r.details?.[3]).toMatch(/^X²=\d+\.\d\d \(df 1\), p=.*rejected above X²=10\.83$/);
  });

  it('judges 100% exactly and shows what did not fit', async () => {
    const exact = canary({ old: 0, new: 1 });
    expect((await runCheck(exact, makeCtx({ runner: split({ new: 1 }, 13), vars: { LB_IP: 'x' } }))).status).toBe('pass');
    let i = 0;
    const runner = samplingRunner(() => (++i === 7 ? { status: 503, body: 'no healthy upstream' } : i === 9 ? { status: 200, body: 'old\n' } : { status: 200, body: 'new\n' }));
    const r = await runCheck(exact, makeCtx({ runner, vars: { LB_IP: 'x' } }));
    expect(r.status).toBe('fail');
    expect(r.expected).toBe('shares old 0% / new 100% (exact, n=19)');
    expect(r.found).toBe('old 5.3% (1) / new 89.5% (17) / (unclassified) 5.3% (1)');
    expect(r.details).toEqual([
      'class           expected  observed  share',
      'old                   0%         1   5.3%',
      'new                 100%        17  89.5%',
      '(unclassified)        0%         1   5.3%',
      'old: expected no responses, got 1',
      '(unclassified): expected no responses, got 1',
      '1× HTTP 503 "no healthy upstream"',
      'n=19 chosen to detect a share off by 15% with 95% power',
      expect.stringMatching(/^gave up after 1 attempt in /),
    ]);
  });

  it('classifies by a JSON field (Bookinfo reviews: no rating = v1, black = v2, red = v3)', async () => {
    const rand = prng(21);
    const runner = samplingRunner(() => ({ status: 200, body: rand() < 0.5 ? reviews.v1 : reviews.v3 }));
    const check = makeCheck('traffic', {
      url: 'http://gw/api/v1/products/0/reviews',
      requests: 100,
      classify: { source: 'json:reviews[0].rating.color', classes: { v1: '^$', v2: '^black$', v3: '^red$' } },
      expect: { v1: 0.5, v3: 0.5 },
    });
    const r = await runCheck(check, makeCtx({ runner }));
    expect(r.status).toBe('pass');
    expect(r.expected).toBe('shares v1 50% / v3 50% (chi-square goodness-of-fit, 99.9% confidence, n=100)');
  });

  it('classifies by a header and counts requests without a response', async () => {
    const rand = prng(22);
    const runner = samplingRunner(() => (rand() < 0.02 ? { exit: 28, error: 'curl: (28) Operation timed out' } : { status: 200, headers: { 'X-Version': rand() < 0.5 ? 'v1' : 'v2' } }));
    const r = await runCheck(makeCheck('traffic', { url: 'http://gw/hello', requests: 200, classify: { source: 'header:x-version', classes: { v1: 'v1', v2: 'v2' } }, expect: { v1: 0.5, v2: 0.5 } }), makeCtx({ runner }));
    expect(r.status).toBe('fail');
    expect(r.found).toMatch(/ \/ \(no response\) [\d.]+% \(\d+\)$/);
    expect(r.details?.find((d) => d.includes('Operation timed out'))).toMatch(/^\d+× no response \(curl: \(28\) Operation timed out\)$/);
  });

  // The statistics end to end: sampler script, parser, classifier and test, with seeded samples.
  it('passes a correct split in at least 99% of 2000 trials and rejects 50/50 for 80/20 in at least 99%', async () => {
    const mod = await import('../../src/checks/kinds/traffic.js');
    const spec = canary({ old: 0.2, new: 0.8 }).spec as Parameters<typeof mod.default.attempt>[0];
    const signal = new AbortController().signal;
    const rate = async (truth: Record<string, number>, seed: number, trials: number) => {
      const ctx = makeCtx({ runner: split(truth, seed), vars: { LB_IP: 'x' } });
      const concrete = { ...spec, url: 'http://lb/' };
      let passes = 0;
      for (let t = 0; t < trials; t++) if ((await mod.default.attempt(concrete, ctx, signal)).ok) passes++;
      return passes / trials;
    };
    expect(await rate({ old: 0.2, new: 0.8 }, 31, 2000)).toBeGreaterThanOrEqual(0.99);
    expect(await rate({ old: 0.5, new: 0.5 }, 32, 2000)).toBeLessThanOrEqual(0.01);
  });
});

describe('latency', () => {
  const delayed = (seed: number, share: number) => {
    const rand = prng(seed);
    return samplingRunner(() => (rand() < share ? { status: 200, body: 'ok', timeMs: 7000 + rand() * 50 } : { status: 200, body: 'ok', timeMs: 20 + rand() * 30 }));
  };

  it('judges the share of slow responses', async () => {
    const r = await runCheck(makeCheck('latency', { url: 'http://gw/hello', requests: 20, threshold: '5s', slowShare: 0.5 }), makeCtx({ runner: delayed(41, 0.5) }));
    expect(r.status).toBe('pass');
    expect(r.expected).toBe('share slower than 5s: about 50% (two-sided binomial test at 99.9% confidence: 3–17 of 20 pass)');
    expect(r.found).toMatch(/^\d+ of 20 slower than 5s \(\d+(\.\d)?%\) \(p=[\d.]+\); median [\d.]+m?s, p90 7\.0\ds, max 7\.0\ds$/);
    const none = await runCheck(makeCheck('latency', { url: 'http://gw/hello', requests: 20, threshold: '5s', slowShare: 0 }, { attempts: 1 }), makeCtx({ runner: delayed(42, 0.5) }));
    expect(none.status).toBe('fail');
  });

  it('counts timeouts as slow and leaves other failures out', async () => {
    let i = 0;
    const runner = samplingRunner(() => (++i % 4 === 0 ? { exit: 28, error: 'curl: (28) timed out', timeMs: 3000 } : i % 4 === 1 ? { exit: 7, error: 'refused' } : { status: 200, timeMs: 10 }));
    const r = await runCheck(makeCheck('latency', { url: 'http://gw/', requests: 8, threshold: '5s', requestTimeout: '3s', slowShare: { min: 0.3 } }), makeCtx({ runner }));
    expect(r.status).toBe('pass');
    expect(r.found).toMatch(/^2 of 6 slower than 5s \(33.3%\)/);
    expect(r.details).toEqual([
      'times: median 10ms, p90 3.00s, max 3.00s',
      '2 requests hit the 3s request timeout (counted as slow)',
      '2 requests got no response and are not counted',
      'requestTimeout 3s is not above the threshold: raise it to measure slow responses',
    ]);
  });
});

describe('errors', () => {
  it('counts fault-injected aborts by status and body', async () => {
    const rand = prng(51);
    const runner = samplingRunner(() => (rand() < 0.5 ? { status: 503, body: 'fault filter abort' } : { status: 200, body: 'Hello version: v1' }));
    const r = await runCheck(makeCheck('errors', { url: 'http://gw/hello', codes: [503], body: 'fault filter abort', share: 0.5 }), makeCtx({ runner }));
    expect(r.status).toBe('pass');
    expect(r.expected).toBe('share of errors (status 503 with body matching /fault filter abort/): about 50% (two-sided binomial test at 99.9% confidence: 34–66 of 100 pass)');
    expect(r.found).toMatch(/^\d+ of 100 errors \(\d+%\) \(p=[\d.]+\); responses: 200×\d+, 503×\d+$/);
  });

  it('counts requests without a response as errors against a bound', async () => {
    let i = 0;
    const runner = samplingRunner(() => (++i <= 8 ? { exit: 7, error: 'curl: (7) Connection refused' } : { status: 200 }));
    const r = await runCheck(makeCheck('errors', { url: 'http://lb/', requests: 100, share: { max: 0.05 } }, { attempts: 1 }), makeCtx({ runner }));
    expect(r.status).toBe('fail');
    expect(r.found).toBe('8 of 100 errors (8%); responses: 200×92, no response×8');
    expect(r.expected).toBe('share of errors (status 500/502/503/504 or no response): at most 5%');
  });
});
