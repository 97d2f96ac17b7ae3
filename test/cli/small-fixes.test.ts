/** The smaller first-contact fixes: each one a misleading answer a newcomer or a script got. */
import { describe, expect, it } from 'vitest';
import { DASHBOARDS } from '../../src/platform/istio/dashboard.js';
import { registriesProbe } from '../../src/platform/doctor/probes/registries.js';
import { fakeContext } from '../platform/doctor/fakes.js';
import { runInProcess } from './in-process.js';
import { isolatedEnv } from './run-cli.js';

describe('first contact, smaller things', () => {
  it('`status --json` with no lab in progress answers {"lab": null}', async () => {
    const r = await runInProcess(['status', '--json'], await isolatedEnv());
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ lab: null });
  });

  it('`down` of an unknown lab is a usage error with the nearest id, not "Nothing to remove"', async () => {
    const r = await runInProcess(['down', 'canary-l5'], await isolatedEnv());
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown lab "canary-l5"');
    expect(r.err).toContain('canary-l4');
    expect(r.err).not.toContain('Nothing to remove');
  });

  it('`down --context` is refused: down never touches a cluster kindlab did not create', async () => {
    const r = await runInProcess(['down', 'canary-l4', '--context', 'prod'], await isolatedEnv());
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown option --context');
  });

  it('`open` for a lab never started says so (exit 2), before attaching or downloading anything', async () => {
    const env = await isolatedEnv();
    const r = await runInProcess(['open', 'kiali', '--lab', 'istio-bookinfo'], env);
    expect(r.code).toBe(2);
    expect(r.err).toContain('lab "istio-bookinfo" has not been started');
    expect(r.err).not.toMatch(/Download/);
  });

  it('`open` lists the same dashboards in its help and in its error: the ones it can open', async () => {
    const env = await isolatedEnv();
    const help = (await runInProcess(['open', '--help'], env)).out;
    const error = (await runInProcess(['open', 'kibana'], env)).err;
    for (const name of Object.keys(DASHBOARDS)) {
      expect(help).toContain(name);
      expect(error).toContain(name);
    }
    expect(error).toContain(`Choose one of: ${Object.keys(DASHBOARDS).join(', ')}.`);
  });

  it('`list` rows fit 100 columns in a pipe; long titles wrap under the title column', async () => {
    const r = await runInProcess(['list'], await isolatedEnv());
    const lines = r.out.trimEnd().split('\n');
    expect(lines.filter((l) => l.length > 100)).toEqual([]);
    const titleAt = (lines[0] as string).indexOf('TITLE');
    for (const l of lines.slice(1)) expect(l.slice(0, titleAt).trim() === '' || /^\S/.test(l)).toBe(true);
  });

  it('doctor suggests a mirror for the registry that failed, not a docker.io mirror for all', async () => {
    const findings = await registriesProbe.run(fakeContext('linux-16gib'));
    for (const f of findings) {
      const registry = f.id.replace(/^registry\./, '');
      expect(f.fix).toContain(`--registry-mirror ${registry}=`);
    }
    expect(findings.find((f) => f.id === 'registry.gcr.io')?.fix).not.toContain('docker.io');
  });
});
