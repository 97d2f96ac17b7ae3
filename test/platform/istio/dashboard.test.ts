import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KindlabError } from '../../../src/core/errors.js';
import { DASHBOARDS, ephemeralPort, openDashboard, pickLocalPort } from '../../../src/platform/istio/dashboard.js';
import { FakeRunner, type Call } from '../kind/fakes.js';

const access = { kubeconfig: '/state/kubeconfig', context: 'kind-kindlab-obs' };

/** kubectl port-forward as seen from outside: prints its banner, then runs until stopped. */
function portForwarder(runner: FakeRunner) {
  return runner.when('port-forward', (call) => {
    const [local] = (call.args.at(-1) as string).split(':');
    call.opts.onOutput?.(`Forwarding from 127.0.0.1:${local} -> 20001\n`, 'stdout');
    return new Promise((resolve) => call.opts.signal?.addEventListener('abort', () => resolve({ exitCode: 0 }), { once: true }));
  });
}

describe('pickLocalPort', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  it('keeps the usual port when 127.0.0.1 can bind it', async () => {
    const free = await ephemeralPort();
    expect(await pickLocalPort(free)).toBe(free);
  });

  it('picks another free port when the usual one is taken', async () => {
    const taken = await new Promise<number>((resolve) => {
      const s = createServer();
      servers.push(s);
      s.listen({ host: '127.0.0.1', port: 0 }, () => resolve((s.address() as { port: number }).port));
    });
    const picked = await pickLocalPort(taken);
    expect(picked).not.toBe(taken);
    expect(picked).toBeGreaterThan(0);
    // And the one picked really is bindable on loopback.
    await new Promise<void>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen({ host: '127.0.0.1', port: picked }, () => s.close(() => resolve()));
    });
  });
});

describe('openDashboard', () => {
  it('port-forwards on 127.0.0.1 only and prints the UI URL', async () => {
    const runner = portForwarder(new FakeRunner());
    const stop = new AbortController();
    const free = await ephemeralPort();
    const open = await openDashboard('kiali', { runner, kubectl: '/t/kubectl', access, localPort: free, signal: stop.signal });
    expect(open.url).toBe(`http://127.0.0.1:${free}/kiali`);
    const call = runner.calls[0] as Call;
    expect(call.args).toEqual([
      '--kubeconfig',
      '/state/kubeconfig',
      '--context',
      'kind-kindlab-obs',
      '--namespace',
      'istio-system',
      'port-forward',
      '--address',
      '127.0.0.1',
      'svc/kiali',
      `${free}:20001`,
    ]);
    stop.abort();
    expect((await open.done).exitCode).toBe(0);
  });

  it('moves to a free port when the usual one is taken, and keeps Jaeger under /jaeger', async () => {
    const blocker = createServer();
    const busy = await new Promise<boolean>((resolve) => {
      blocker.once('error', () => resolve(false));
      blocker.listen({ host: '127.0.0.1', port: DASHBOARDS.jaeger.localPort }, () => resolve(true));
    });
    try {
      const runner = portForwarder(new FakeRunner());
      const stop = new AbortController();
      const open = await openDashboard('jaeger', { runner, kubectl: 'kubectl', access, signal: stop.signal });
      // Either we hold 16686 or something else on this machine does: both mean it is taken.
      expect(open.localPort).not.toBe(16686);
      expect(open.url).toBe(`http://127.0.0.1:${open.localPort}/jaeger`);
      expect((runner.calls[0] as Call).args.slice(-2)).toEqual(['svc/tracing', `${open.localPort}:80`]);
      stop.abort();
      await open.done;
    } finally {
      if (busy) await new Promise((r) => blocker.close(r));
    }
  });

  it('explains a missing addon', async () => {
    const runner = new FakeRunner().when('port-forward', { exitCode: 1, stderr: 'Error from server (NotFound): services "grafana" not found' });
    const err = (await openDashboard('grafana', { runner, kubectl: 'kubectl', access, localPort: await ephemeralPort() }).catch((e: unknown) => e)) as KindlabError;
    expect(err).toBeInstanceOf(KindlabError);
    expect(err.message).toBe('cannot open grafana: kubectl port-forward exited (1)');
    expect(err.fix).toMatch(/grafana addon/);
  });
});
