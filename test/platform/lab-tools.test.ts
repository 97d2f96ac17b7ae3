/**
 * labTools decides, in one place, which pinned tools a lab gets: provisioning, doctor, prefetch
 * and export all ask it. A lab gets what its addons install with and what its own commands run.
 */
import { describe, expect, it } from 'vitest';
import { findLab } from '../../src/lab/catalog.js';
import type { CheckSpec } from '../../src/model/check-schema.js';
import type { AddonSpec } from '../../src/model/frontmatter-schema.js';
import type { Step } from '../../src/model/lab.js';
import { labTools } from '../../src/platform/lab-tools.js';

function lab(addons: AddonSpec[], step: Partial<Pick<Step, 'commands' | 'cleanup' | 'before' | 'checks'>>) {
  return { meta: { addons }, steps: [{ commands: [], cleanup: [], before: [], checks: [], ...step }] };
}
const sh = (...codes: string[]) => codes.map((code, i) => ({ code, line: 10 * (i + 1) }));
const commandCheck = (run: string, on: 'host' | { node: string } = 'host'): CheckSpec => ({
  kind: 'command',
  spec: { run, on, exitCode: 0 },
  options: { consecutive: 1 },
  line: 30,
});

describe('labTools on the shipped labs', () => {
  it('ingress-ha installs ingress-nginx with helm in its steps: helm, and no istioctl', async () => {
    expect(labTools(await findLab('ingress-ha'))).toEqual(['kind', 'kubectl', 'helm']);
  });

  it('an Istio lab gets istioctl (and its release)', async () => {
    expect(labTools(await findLab('istio-bookinfo'))).toEqual(['kind', 'kubectl', 'istioctl']);
    expect(labTools(await findLab('mesh-expansion'))).toContain('istioctl');
  });

  it('a lab that uses neither gets only kind and kubectl', async () => {
    expect(labTools(await findLab('canary-l4'))).toEqual(['kind', 'kubectl']);
    expect(labTools(await findLab('cluster-bootstrap'))).toEqual(['kind', 'kubectl']);
  });
});

describe('labTools', () => {
  it('adds what the addons install with', () => {
    expect(labTools(lab(['istio', 'cloud-provider-kind'], {}))).toEqual(['kind', 'kubectl', 'istioctl']);
    expect(labTools(lab([{ 'ingress-nginx': { kind: 'DaemonSet' } }], {}))).toEqual(['kind', 'kubectl', 'helm']);
    expect(labTools(lab(['metallb', 'metrics-server', 'gateway-api'], {}))).toEqual(['kind', 'kubectl']);
  });

  it('reads the programs of commands and cleanup, also inside command substitutions', () => {
    expect(labTools(lab([], { commands: sh('GATEWAY="$(istioctl x precheck 2>&1)"; echo "$GATEWAY"') }))).toEqual(['kind', 'kubectl', 'istioctl']);
    expect(labTools(lab([], { cleanup: sh('sudo helm uninstall web || true') }))).toEqual(['kind', 'kubectl', 'helm']);
    expect(labTools(lab([], { commands: sh('kubectl apply -f "$ISTIO_HOME/samples/httpbin/httpbin.yaml"') }))).toEqual(['kind', 'kubectl', 'istioctl']);
  });

  it('does not mistake words, comments or heredoc text for commands', () => {
    const code = ['# helm would also do', "echo 'istioctl is not needed here'", 'cat <<EOF', 'helm install x', 'EOF', 'kubectl get pods'].join('\n');
    expect(labTools(lab([], { commands: sh(code) }))).toEqual(['kind', 'kubectl']);
  });

  it('counts command checkpoints run on the host, not those run in a node', () => {
    expect(labTools(lab([], { checks: [commandCheck('istioctl version')] }))).toEqual(['kind', 'kubectl', 'istioctl']);
    expect(labTools(lab([], { before: [commandCheck('helm list -A')] }))).toEqual(['kind', 'kubectl', 'helm']);
    expect(labTools(lab([], { checks: [commandCheck('helm list -A', { node: 'control-plane' })] }))).toEqual(['kind', 'kubectl']);
  });
});
