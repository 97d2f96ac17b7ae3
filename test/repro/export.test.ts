/**
 * `kindlab export`: the script for every shipped lab passes shellcheck, holds the lab's commands in
 * order, stops at --until, and carries the pinned versions, the kind config and Istio's checksum.
 * Then one script is run end to end with fake docker/kind/kubectl on PATH that record their calls.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { commandWorks, skipWithout, type Requirement } from '../support/requirements.js';
import { findLab, listLabs } from '../../src/lab/catalog.js';
import type { Lab } from '../../src/model/lab.js';
import { captureJsonPath } from '../../src/repro/export/captures.js';
import { renderExportScript } from '../../src/repro/export/script.js';
import { sh } from '../../src/repro/export/shell.js';
import { PINS } from '../../src/platform/tools/pins.js';
import { resolvePins } from '../../src/platform/tools/versions.js';

const run = promisify(execFile);
const pins = resolvePins({});
const now = new Date('2026-11-21T00:00:00Z');

let labs: Lab[];
beforeAll(async () => {
  labs = await Promise.all((await listLabs()).map((l) => findLab(l.id)));
});
const shellcheck: Requirement = { name: 'shellcheck', available: commandWorks('shellcheck'), install: 'apt-get install shellcheck' };

describe('kindlab export', () => {
  it('every lab\'s script holds its commands in order', async () => {
    for (const lab of labs) {
      const script = await renderExportScript(lab, { pins, kindlabVersion: '0.0.0', now });
      expect(script.startsWith('#!/usr/bin/env bash\n')).toBe(true);
      expect(script).toContain('\nset -euo pipefail\n');
      let at = 0;
      for (const step of lab.steps) {
        for (const block of step.commands) {
          const i = script.indexOf(block.code.replace(/\n+$/, ''), at);
          expect(i, `${lab.meta.id} step ${step.id}, lab.md:${block.line} in order`).toBeGreaterThan(at);
          at = i;
        }
      }
    }
  });

  it.skipIf(skipWithout(shellcheck))('every lab\'s script passes shellcheck (all severities)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kl-export-'));
    for (const lab of labs) {
      const file = join(dir, `${lab.meta.id}.sh`);
      await writeFile(file, await renderExportScript(lab, { pins, kindlabVersion: '0.0.0', now }));
      // Judged by exit status as well as output: a shellcheck that crashes prints nothing to stdout.
      const r = await run('shellcheck', ['--shell=bash', '--severity=style', file]).then(
        (ok) => ({ code: 0, out: ok.stdout }),
        (e: { code?: number | string; stdout?: string; stderr?: string }) => ({ code: e.code ?? 'failed to start', out: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
      );
      expect(r, `${lab.meta.id}: shellcheck`).toEqual({ code: 0, out: '' });
    }
  });

  it('--until stops after the named step; the rest of the lab is not in the script', async () => {
    const lab = await findLab('istio-bookinfo');
    const script = await renderExportScript(lab, { pins, until: 'gateway', kindlabVersion: '0.0.0', now });
    expect(script).toContain('up to step 3 (gateway)');
    expect(script).toContain('bookinfo-gateway.yaml');
    expect(script).not.toContain('virtual-service-reviews-test-v2.yaml');
    expect(script).not.toContain('# ---------------------------------------------------------------- step 4');
  });

  it('pins versions, renders kindlab\'s kind config, and verifies the Istio download', async () => {
    const lab = await findLab('istio-traffic');
    const sum = 'f'.repeat(64);
    const script = await renderExportScript(lab, { pins, kindlabVersion: '0.0.0', now, istioChecksums: { 'linux-amd64': sum } });
    expect(script).toContain(`KIND_VERSION=${PINS.kind}`);
    expect(script).toContain('check_version kind "$KIND_VERSION" "$(kind version)"');
    expect(script).toContain(`ISTIO_VERSION=${pins.istio}`);
    expect(script).toContain(`  linux-amd64) ISTIO_SHA256=${sum} ;;`);
    expect(script).toContain('https://github.com/istio/istio/releases/download/$ISTIO_VERSION/$archive');
    expect(script).toMatch(/\[ "\$actual" = "\$ISTIO_SHA256" \] \|\| die "checksum mismatch/);
    expect(script).toContain(`image: ${pins.nodeImage}`);
    expect(script).toContain('kind create cluster --name kindlab-istio-traffic --config "$WORK/kind-kindlab-istio-traffic.yaml" --kubeconfig "$KUBECONFIG" --wait 0s');
    // The platform's own install: istioctl with the demo profile, then the rollouts and the webhook's CA bundle.
    expect(script).toContain('istioctl install --kubeconfig "$KUBECONFIG" --context kind-kindlab-istio-traffic --skip-confirmation --set profile=demo');
    expect(script).toContain('kubectl --context kind-kindlab-istio-traffic -n istio-system rollout status deployment/istio-egressgateway --timeout=600s');
    expect(script).toContain('mutatingwebhookconfiguration istio-sidecar-injector');
    expect(script).toContain(`registry.k8s.io/cloud-provider-kind/cloud-controller-manager:${PINS.cloudProviderKind}`);
    // Like kindlab, no host port for LoadBalancers on any platform (they would bind 0.0.0.0).
    expect(script).not.toContain('--enable-lb-port-mapping');
    expect(script).toContain('export KUBECONFIG="$WORK/kubeconfig"');
    expect(script).toContain('export KINDLAB_CLUSTER=kindlab-istio-traffic');
  });

  it('multicluster: pod routes between the clusters are added after they are created, before the first step', async () => {
    const script = await renderExportScript(await findLab('multicluster'), { pins, kindlabVersion: '0.0.0', now });
    const routes = script.indexOf('ip route replace "$cidr" via "$ip"');
    expect(routes).toBeGreaterThan(script.lastIndexOf('kind create cluster'));
    expect(routes).toBeLessThan(script.indexOf('step 1: '));
    expect(script).toContain("for ctx in kind-kindlab-multicluster-c1 kind-kindlab-multicluster-c2; do");
  });

  it('mesh-expansion: the VM gets kindlab ownership labels and `down` removes it', async () => {
    const script = await renderExportScript(await findLab('mesh-expansion'), { pins, kindlabVersion: '0.0.0', now });
    expect(script).toContain("export KINDLAB_OWNER_LABELS='--label dev.kindlab.owned=true --label dev.kindlab.lab=mesh-expansion'");
    const down = script.slice(script.indexOf('if [ "${1:-}" = down ]'), script.indexOf('mkdir -p "$WORK"'));
    expect(down).toContain('docker ps -aq --filter label=dev.kindlab.lab=mesh-expansion | xargs -r docker rm -f');
  });

  it('values captured by checkpoints for later steps are read with kubectl', async () => {
    const script = await renderExportScript(await findLab('canary-l4'), { pins, kindlabVersion: '0.0.0', now });
    expect(script).toMatch(/LB_IP="\$\(wait_for_value --context kind-kindlab-canary-l4 get service\/\S+ -n default -o 'jsonpath=\{\.status\.loadBalancer\.ingress\[0\]\.ip\}'\)"/);
    expect(captureJsonPath('status.addresses.0.value')).toBe('{.status.addresses[0].value}');
    expect(sh("it's")).toBe(`'it'\\''s'`);
  });

  it('runs: tools checked, cluster created from the rendered config, steps in order, `down` deletes it (fake tools)', async () => {
    const lab = await findLab('canary-l4');
    const dir = await mkdtemp(join(tmpdir(), 'kl-export-run-'));
    const bin = join(dir, 'bin');
    const log = join(dir, 'calls.log');
    const fake = (body: string) => `#!/usr/bin/env bash\necho "$(basename "$0") $*" >> ${sh(log)}\n${body}\n`;
    const tools: Record<string, string> = {
      kind: `case "$1" in version) echo "kind ${PINS.kind} go1.25 linux/amd64";; get) echo "";; create) touch "$KUBECONFIG";; esac`,
      kubectl: `case "$*" in *"version --client"*) echo "Client Version: ${pins.kubectl}";; *jsonpath*) echo 172.18.0.100;; esac`,
      docker: `case "$1" in info) echo ok;; inspect) echo false;; esac`,
    };
    await run('mkdir', ['-p', bin]);
    for (const [name, body] of Object.entries(tools)) {
      await writeFile(join(bin, name), fake(body));
      await chmod(join(bin, name), 0o755);
    }
    const file = join(dir, 'repro.sh');
    await writeFile(file, await renderExportScript(lab, { pins, kindlabVersion: '0.0.0', now, until: '1' }));
    await chmod(file, 0o755);
    const env = { PATH: `${bin}:/usr/bin:/bin`, HOME: dir };
    const r = await run(file, [], { env, cwd: dir }).catch((e: { stdout: string; stderr: string; code: number }) => e);
    expect((r as { stderr: string }).stderr).toContain('==> Step 1:');
    const calls = (await readFile(log, 'utf8')).trim().split('\n');
    const create = calls.findIndex((c) => c.startsWith('kind create cluster --name kindlab-canary-l4'));
    const apply = calls.findIndex((c) => c.includes('apply -f manifests/canary-l4/old-nginx.yaml'));
    expect(calls[0]).toBe('docker info');
    expect(create).toBeGreaterThan(0);
    expect(apply).toBeGreaterThan(create);
    expect(await readFile(join(dir, 'canary-l4-work', 'manifests', 'canary-l4', 'old-nginx.yaml'), 'utf8')).toBe(
      await readFile(join(lab.dir, '..', '..', 'manifests', 'canary-l4', 'old-nginx.yaml'), 'utf8'),
    );
    await run(file, ['down'], { env, cwd: dir });
    expect(await readFile(log, 'utf8')).toContain('kind delete cluster --name kindlab-canary-l4');
  });

  it("keeps quotes, $(...), ; and newlines in titles and env values inert in the generated bash", async () => {
    const base = await findLab('canary-l4');
    const evil = "it's $(touch PWNED); `touch PWNED` \n touch PWNED";
    const [first, ...rest] = base.steps;
    const lab: Lab = {
      ...base,
      meta: { ...base.meta, title: `${base.meta.title} ${evil}`, env: { ...base.meta.env, WEIRD: `a'b"c \\ ${evil} \${KINDLAB_LAB}` } },
      steps: [{ ...(first as Lab['steps'][number]), title: evil, commands: [{ code: 'printf %s "$WEIRD" > "$HOME/env-value"', line: 1 }] }, ...rest],
    };
    const dir = await mkdtemp(join(tmpdir(), 'kl-export-quote-'));
    const bin = join(dir, 'bin');
    await run('mkdir', ['-p', bin]);
    const tools: Record<string, string> = {
      kind: `case "$1" in version) echo "kind ${PINS.kind} go1.25 linux/amd64";; get) echo "";; create) touch "$KUBECONFIG";; esac`,
      kubectl: `case "$*" in *"version --client"*) echo "Client Version: ${pins.kubectl}";; *jsonpath*) echo 172.18.0.100;; esac`,
      docker: `case "$1" in info) echo ok;; inspect) echo false;; esac`,
    };
    for (const [name, body] of Object.entries(tools)) {
      await writeFile(join(bin, name), `#!/usr/bin/env bash\n${body}\n`);
      await chmod(join(bin, name), 0o755);
    }
    const file = join(dir, 'repro.sh');
    await writeFile(file, await renderExportScript(lab, { pins, kindlabVersion: '0.0.0', now, until: '1' }));
    const r = await run('bash', [file], { env: { PATH: `${bin}:/usr/bin:/bin`, HOME: dir }, cwd: dir }).catch((e: { stdout: string; stderr: string }) => e);
    expect(r.stderr).toContain(`==> Step 1: ${evil}`);
    expect(await readFile(join(dir, 'env-value'), 'utf8')).toBe(`a'b"c \\ ${evil} canary-l4`);
    expect((await run('find', [dir, '-name', 'PWNED'])).stdout).toBe('');
  });

  it('a wrong kind version stops the script before anything is created', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kl-export-ver-'));
    await run('mkdir', ['-p', join(dir, 'bin')]);
    await writeFile(join(dir, 'bin', 'kind'), '#!/usr/bin/env bash\necho "kind v0.20.0 go1.21 linux/amd64"\n');
    await writeFile(join(dir, 'bin', 'docker'), '#!/usr/bin/env bash\nexit 0\n');
    await chmod(join(dir, 'bin', 'kind'), 0o755);
    await chmod(join(dir, 'bin', 'docker'), 0o755);
    const file = join(dir, 'repro.sh');
    await writeFile(file, await renderExportScript(await findLab('canary-l4'), { pins, kindlabVersion: '0.0.0', now }));
    await chmod(file, 0o755);
    const r = await run(file, [], { env: { PATH: `${join(dir, 'bin')}:/usr/bin:/bin` } }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: kind ${PINS.kind} expected, found: kind v0.20.0`);
  });
});
