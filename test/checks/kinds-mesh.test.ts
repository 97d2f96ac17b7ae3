import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/seams.js';
import { runCheck } from '../../src/checks/run.js';
import { parseFortio } from '../../src/checks/kinds/load.js';
import { parseEnvoyStats } from '../../src/checks/kinds/envoyStat.js';
import { FakeKube } from './fake-kube.js';
import { fixture, makeCheck, makeCtx, samplingRunner } from './helpers.js';
import type { SimRequest, SimResponse } from './sampler-sim.js';

const fortioPod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'fortio-deploy-6cf68cc4c-tq8dn', namespace: 'default', labels: { app: 'fortio' }, annotations: { 'kubectl.kubernetes.io/default-container': 'fortio' } },
  spec: { containers: [{ name: 'fortio' }, { name: 'istio-proxy' }] },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
};
const fortioDeployment: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'fortio-deploy', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'fortio' } } } };

function meshKube(answer: (container: string | undefined, command: string[]) => { stdout?: string; stderr?: string; exitCode?: number }) {
  const kube = new FakeKube([fortioPod, fortioDeployment]);
  kube.execHandler = (pod, command) => ({ stdout: '', stderr: '', exitCode: 0, ...answer(pod.container, command) });
  return kube;
}

describe('envoyStat', () => {
  const stats = fixture('envoy-stats-fortio-sidecar.txt');
  const kube = () => meshKube((container, command) => (container === 'istio-proxy' && command.join(' ') === 'pilot-agent request GET stats' ? { stdout: stats } : { exitCode: 1, stderr: 'wrong container' }));
  const overflow = 'cluster.outbound|8000||httpbin.default.svc.cluster.local.upstream_rq_pending_overflow';

  it('parses counters and skips histograms', () => {
    const parsed = parseEnvoyStats(stats);
    expect(parsed.get(overflow)).toBe(41);
    expect(parsed.has('cluster.outbound|8000||httpbin.default.svc.cluster.local.upstream_rq_time')).toBe(false);
  });

  it('reads one stat by exact name from the sidecar of a workload', async () => {
    const r = await runCheck(makeCheck('envoyStat', { pod: { workload: 'deployment/fortio-deploy' }, stat: overflow, expect: { gt: 0 } }), makeCtx({ kube: kube() }));
    expect(r).toMatchObject({ status: 'pass', found: `${overflow} = 41`, expected: 'value > 0' });
    expect(r.data).toEqual({ value: 41, stats: { [overflow]: 41 } });
  });

  it('sums every stat a /regex/ matches', async () => {
    const r = await runCheck(makeCheck('envoyStat', { pod: { selector: 'app=fortio' }, stat: '/^cluster\\.outbound.*upstream_rq_pending_overflow$/', expect: { eq: 44 } }), makeCtx({ kube: kube() }));
    expect(r).toMatchObject({ status: 'pass', found: 'sum of 2 stats = 44' });
    expect(r.details).toEqual([`${overflow}: 41`, 'cluster.outbound|9080||reviews.default.svc.cluster.local.upstream_rq_pending_overflow: 3']);
  });

  it('a sticky or global /regex/ flag skips no stat', async () => {
    for (const flags of ['y', 'g', 'gy']) {
      const r = await runCheck(makeCheck('envoyStat', { pod: { selector: 'app=fortio' }, stat: `/upstream_rq_pending_overflow$/${flags}`, expect: { eq: 44 } }), makeCtx({ kube: kube() }));
      expect(r, `flags ${flags}`).toMatchObject({ status: 'pass', found: 'sum of 3 stats = 44' });
    }
  });

  it('fails on a wrong value or a missing stat', async () => {
    const low = await runCheck(makeCheck('envoyStat', { pod: { selector: 'app=fortio' }, stat: overflow, expect: { eq: 0 } }, { timeout: '2s' }), makeCtx({ kube: kube() }));
    expect(low).toMatchObject({ status: 'fail', found: `${overflow} = 41` });
    const none = await runCheck(makeCheck('envoyStat', { pod: { selector: 'app=fortio' }, stat: 'cluster.outbound|8000||httpbin.default.svc.cluster.local.upstream_rq_retry', expect: { gte: 0 } }, { timeout: '2s' }), makeCtx({ kube: kube() }));
    expect(none.found).toBe('no stat named cluster.outbound|8000||httpbin.default.svc.cluster.local.upstream_rq_retry among 26 stats');
  });
});

describe('load', () => {
  it('parses fortio summaries', () => {
    expect(parseFortio(fixture('fortio-circuit-breaker.txt'))).toEqual({ calls: 100, done: 100, codes: { '200': 59, '503': 41 }, avgMs: 3.297, qps: 843.7 });
    expect(parseFortio(fixture('fortio-one-connection.txt'))).toMatchObject({ calls: 20, codes: { '200': 20 } });
    expect(parseFortio('Code -1 : 3 (3.0 %)\nCode 200 : 97 (97.0 %)')).toEqual({ calls: 100, codes: { '-1': 3, '200': 97 } });
    expect(parseFortio('error: unknown flag')).toBeUndefined();
  });

  it('asserts counts and shares of a circuit-breaking run', async () => {
    const calls: string[][] = [];
    const kube = meshKube((container, command) => (calls.push([container ?? '', ...command]), { stdout: fixture('fortio-circuit-breaker.txt') }));
    const r = await runCheck(
      makeCheck('load', { pod: { workload: 'deployment/fortio-deploy' }, url: 'http://httpbin:8000/get', connections: 3, requests: 100, codes: { '503': { gt: 0 } }, codeShares: { '200': { min: 0.3 } } }),
      makeCtx({ kube }),
    );
    expect(r).toMatchObject({ status: 'pass', found: '100 calls: 200×59, 503×41; 843.7 qps', expected: 'code 503 count > 0; code 200 share at least 30%' });
    expect(calls[0]).toEqual(['fortio', 'fortio', 'load', '-c', '3', '-qps', '0', '-n', '100', '-loglevel', 'Warning', 'http://httpbin:8000/get']);
  });

  it('an output cut short is an error, not a count', async () => {
    const full = fixture('fortio-circuit-breaker.txt');
    // The stream ended after the first Code line: 59 calls counted where fortio made 100.
    const truncated = full.slice(0, full.indexOf('Code 503'));
    const lostCodeLine = full.replace(/^Code 503 .*\n/m, '');
    const spec = { pod: { selector: 'app=fortio' }, url: 'http://httpbin:8000/get', connections: 3, requests: 100, codeShares: { '200': { min: 0.3 } } };
    for (const [output, why] of [
      [truncated, /ends before its "All done N calls" summary \(59 calls counted\)/],
      [lostCodeLine, /Code lines add up to 59 calls but its summary says 100/],
    ] as const) {
      const r = await runCheck(makeCheck('load', spec, { timeout: '2s' }), makeCtx({ kube: meshKube(() => ({ stdout: output })) }));
      expect(r.status).toBe('error');
      expect(r.found).toMatch(why);
    }
  });

  it('fails when the breaker does not trip, and explains a missing fortio', async () => {
    const calm = await runCheck(
      makeCheck('load', { pod: { selector: 'app=fortio' }, url: 'http://httpbin:8000/get', requests: 20, codes: { '503': { gt: 0 } } }),
      makeCtx({ kube: meshKube(() => ({ stdout: fixture('fortio-one-connection.txt') })) }),
    );
    expect(calm.status).toBe('fail');
    expect(calm.details).toEqual(['code 503: 0 calls, expected > 0', expect.stringMatching(/^gave up after 2 attempts/)]);
    const missing = await runCheck(
      makeCheck('load', { pod: { selector: 'app=fortio', container: 'istio-proxy' }, url: 'http://httpbin:8000/get' }),
      makeCtx({ kube: meshKube(() => ({ exitCode: 126, stderr: 'exec: "fortio": executable file not found in $PATH' })) }),
    );
    expect(missing.status).toBe('error');
    expect(missing.found).toMatch(/^error: fortio printed no status codes \(exit 126: is fortio in this container\?\): exec: "fortio"/);
  });
});

const service = (name: string, namespace: string, clusterIP: string): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { clusterIP, ports: [{ port: 9090 }] } });

function apiServer(routes: (req: SimRequest) => SimResponse | undefined) {
  const seen: SimRequest[] = [];
  const runner = samplingRunner((req) => (seen.push(req), routes(req) ?? { status: 404, body: '404 page not found' }));
  const kube = new FakeKube([service('prometheus', 'istio-system', '10.96.200.10'), service('tracing', 'istio-system', '10.96.200.20')]);
  return { seen, ctx: makeCtx({ kube, runner }) };
}

describe('metrics', () => {
  const query = 'sum by (response_code) (istio_requests_total{destination_service_name="productpage"})';
  const prometheus = (file: string, status = 200) => apiServer((req) => (req.url.startsWith('http://10.96.200.10:9090/api/v1/query?query=') ? { status, body: fixture(file) } : undefined));

  it('queries Prometheus at its cluster IP from the control-plane node', async () => {
    const { seen, ctx } = prometheus('prometheus-vector.json');
    const r = await runCheck(makeCheck('metrics', { query, value: { gt: 0 } }), ctx);
    expect(r.status).toBe('pass');
    expect(new URL(seen[0]?.url as string).searchParams.get('query')).toBe(query);
    expect(r.found).toBe(
      '2 series: istio_requests_total{destination_service_name="productpage",response_code="200",reporter="destination"} = 42; istio_requests_total{destination_service_name="productpage",response_code="503",reporter="destination"} = 3',
    );
    expect(ctx.fakeRunner.calls[0]?.args[1]).toBe('kindlab-lab1-control-plane');
  });

  it('compares every value and the series count', async () => {
    const r = await runCheck(makeCheck('metrics', { query, series: { eq: 2 }, value: { gt: 10 } }, { timeout: '2s' }), prometheus('prometheus-vector.json').ctx);
    expect(r.status).toBe('fail');
    expect(r.details?.[0]).toBe('istio_requests_total{destination_service_name="productpage",response_code="503",reporter="destination"} = 3, expected > 10');
  });

  it('takes the last sample of a range vector, and fails on no series', async () => {
    const m = await runCheck(makeCheck('metrics', { query: 'x[5m]', value: { eq: 12.5 } }, { capture: { V2: 'values[0]' } }), prometheus('prometheus-matrix.json').ctx);
    expect(m).toMatchObject({ status: 'pass', found: '1 series: {destination_version="v2"} = 12.5', captured: { V2: '12.5' } });
    const empty = await runCheck(makeCheck('metrics', { query }, { timeout: '2s' }), prometheus('prometheus-empty.json').ctx);
    expect(empty).toMatchObject({ status: 'fail', found: 'no series', expected: 'at least one series' });
  });

  it('reports a query Prometheus rejects at once', async () => {
    const r = await runCheck(makeCheck('metrics', { query: 'sum(x{' }), prometheus('prometheus-bad-query.json', 400).ctx);
    expect(r.status).toBe('error');
    expect(r.found).toMatch(/^error: Prometheus rejects the query: invalid parameter "query"/);
    expect(r.durationMs).toBeLessThan(120_000);
  });

  it('says when the addon is missing', async () => {
    const r = await runCheck(makeCheck('metrics', { query, prometheus: { namespace: 'monitoring', service: 'prometheus', port: 9090 } }, { timeout: '1s' }), prometheus('prometheus-vector.json').ctx);
    expect(r.found).toBe('error: Service monitoring/prometheus does not exist (is the addon installed?)');
  });
});

describe('traces', () => {
  const covers = ['istio-ingressgateway', 'productpage', 'details', 'reviews', 'ratings'];

  it('finds a Jaeger trace whose spans cover the services', async () => {
    const { seen, ctx } = apiServer((req) => (req.url.includes('/jaeger/api/traces?') ? { status: 200, body: fixture('jaeger-traces-productpage.json') } : undefined));
    const r = await runCheck(makeCheck('traces', { service: 'productpage.default', covers, minSpans: 8 }, { capture: { TRACE: 'best.traceId' } }), ctx);
    expect(r.status).toBe('pass');
    expect(r.found).toBe('3 traces for productpage.default; trace 9a3c5e7f1b2d4c6e has 8 spans from details.default, istio-ingressgateway.istio-system, productpage.default, ratings.default, reviews.default');
    expect(r.captured).toEqual({ TRACE: '9a3c5e7f1b2d4c6e8f0a1b2c3d4e5f60' });
    expect(seen[0]?.url).toMatch(/^http:\/\/10\.96\.200\.20:80\/jaeger\/api\/traces\?/);
    const url = new URL(seen[0]?.url as string);
    expect(url.searchParams.get('service')).toBe('productpage.default');
    expect(Number(url.searchParams.get('end')) - Number(url.searchParams.get('start'))).toBe(3_600_000_000);
  });

  it('reads a Jaeger answer far larger than an HTTP check keeps (50 traces of Bookinfo)', async () => {
    const one = JSON.parse(fixture('jaeger-traces-productpage.json')) as { data: unknown[] };
    const big = JSON.stringify({ ...one, data: Array.from({ length: 50 }, () => one.data).flat() });
    expect(big.length).toBeGreaterThan(65_536);
    const { ctx } = apiServer(() => ({ status: 200, body: big }));
    const r = await runCheck(makeCheck('traces', { service: 'productpage.default', covers, minSpans: 8 }, { timeout: '2s' }), ctx);
    expect(r.status).toBe('pass');
    expect(r.found).toMatch(/^150 traces for productpage\.default; trace /);
  });

  it('names the services missing when headers were not propagated', async () => {
    const { ctx } = apiServer(() => ({ status: 200, body: fixture('jaeger-traces-broken.json') }));
    const r = await runCheck(makeCheck('traces', { service: 'productpage.default', covers }, { timeout: '2s' }), ctx);
    expect(r.status).toBe('fail');
    expect(r.found).toBe('1 trace for productpage.default; best trace 4bf92f3577b34da6 has 2 spans from istio-ingressgateway.istio-system, productpage.default; missing details, reviews, ratings');
  });

  it('asks for more spans than the best trace has', async () => {
    const { ctx } = apiServer(() => ({ status: 200, body: fixture('jaeger-traces-productpage.json') }));
    const r = await runCheck(makeCheck('traces', { service: 'productpage.default', covers: ['productpage', 'reviews'], minSpans: 9 }, { timeout: '2s' }), ctx);
    expect(r.status).toBe('fail');
    expect(r.found).toMatch(/; fewer than 9 spans$/);
  });

  it('reads Zipkin traces', async () => {
    const { seen, ctx } = apiServer((req) => (req.url.includes('/api/v2/traces?') ? { status: 200, body: fixture('zipkin-traces-productpage.json') } : undefined));
    const r = await runCheck(makeCheck('traces', { backend: 'zipkin', service: 'productpage.default', covers: ['productpage', 'details', 'reviews', 'ratings'] }), ctx);
    expect(r.status).toBe('pass');
    expect(new URL(seen[0]?.url as string).searchParams.get('lookback')).toBe('3600000');
  });

  it('reports a wrong base path as the 404 it is', async () => {
    const { ctx } = apiServer(() => undefined);
    const r = await runCheck(makeCheck('traces', { service: 'productpage.default', covers, api: { namespace: 'istio-system', service: 'tracing', port: 80, basePath: '' } }, { timeout: '1s' }), ctx);
    expect(r.status).toBe('error');
    expect(r.found).toMatch(/^error: Jaeger at http:\/\/10\.96\.200\.20:80\/api\/traces\?.* answered HTTP 404 with a body that is not JSON: "404 page not found"$/);
  });
});
