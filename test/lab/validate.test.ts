import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../support/requirements.js';
import type { ProcessRunner, RunOptions, RunResult } from '../../src/core/seams.js';
import { loadLab } from '../../src/lab/parse.js';
import { validateLab, validateLabs } from '../../src/lab/validate.js';
import { createProcessRunner } from '../../src/platform/exec.js';

const fixtures = 'test/fixtures/labs';

/** A runner standing in for shellcheck: answers with `reply` and records what it was asked. */
function fakeShellcheck(reply: (files: string[], cwd: string) => Partial<RunResult>) {
  const calls: Array<{ command: string; args: string[]; opts?: RunOptions }> = [];
  const runner: ProcessRunner = {
    async run(command, args, opts) {
      calls.push({ command, args, ...(opts ? { opts } : {}) });
      const files = args.filter((a) => a.endsWith('.sh'));
      return { argv: [command, ...args], exitCode: 0, stdout: '[]', stderr: '', durationMs: 1, ...reply(files, opts?.cwd ?? '') };
    },
    async runScript() {
      throw new Error('validation never runs scripts');
    },
  };
  return { runner, calls };
}
const clean = () => fakeShellcheck(() => ({ stdout: '[]' })).runner;

const temp = mkdtempSync(join(tmpdir(), 'kindlab-validate-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** Writes a lab into a temporary collection (<temp>/<name>/labs/<id>/lab.md) and loads it; `front` adds front matter lines. */
async function tempLab(name: string, body: string, files: Record<string, string> = {}, id = 'temp-lab', extraFront = '') {
  const root = join(temp, name);
  const dir = join(root, 'labs', id);
  mkdirSync(dir, { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  const front = `---\nid: ${id}\ntitle: A temporary lab\nsummary: Written by a test of validateLab.\nsource: { title: test }\nduration: 5m\nrequires: { memoryGiB: 1, cpus: 1 }\nclusters:\n  - contextVar: CTX_ONE\nenv:\n  APP: web\n${extraFront}---\n`;
  writeFileSync(join(dir, 'lab.md'), front + body);
  return loadLab(dir);
}
/** Line of the first body line of tempLab documents. */
const body = 13;
const brief = (issues: Array<{ line: number; message: string; severity: string }>) => issues.map((i) => [i.severity, i.line, i.message]);

describe('validateLab on the fixtures', () => {
  it.each(['valid-minimal', 'valid-full', 'sample-nginx'])('finds nothing wrong with %s', async (name) => {
    const lab = await loadLab(join(fixtures, name));
    expect(await validateLab(lab, { runner: clean() })).toEqual([]);
  });

  const lab = (name: string) => `test/fixtures/labs/${name}/lab.md`;
  const cases: Array<[string, Array<[file: string, line: number, severity: string, message: string]>]> = [
    [
      'invalid-missing-manifest',
      [
        [lab('invalid-missing-manifest'), 15, 'error', "file not found: $LAB_DIR/manifests/missing.yaml (the lab's folder)"],
        [
          lab('invalid-missing-manifest'),
          16,
          'error',
          'file not found: manifests/app.yaml (commands run in test/fixtures, the folder holding labs/); it exists beside lab.md: write $LAB_DIR/manifests/app.yaml',
        ],
      ],
    ],
    ['invalid-empty-step', [[lab('invalid-empty-step'), 18, 'error', 'step "unchecked" has no checkpoint: add a ```check block that shows the step worked']]],
    [
      'invalid-bad-manifest',
      [
        [lab('invalid-bad-manifest'), 23, 'error', 'Service "web": spec.ports[0].port: expected integer, found "eighty"'],
        [`${fixtures}/invalid-bad-manifest/manifests/bad.yaml`, 6, 'error', `Deployment "web": spec.replicas: expected integer, found "two" (applied at ${lab('invalid-bad-manifest')}:15)`],
        [`${fixtures}/invalid-bad-manifest/manifests/bad.yaml`, 16, 'error', `Deployment "web": spec.template.spec.containers[0]: missing field "name" (applied at ${lab('invalid-bad-manifest')}:15)`],
        [`${fixtures}/invalid-bad-manifest/manifests/bad.yaml`, 23, 'error', `a Kubernetes object needs string fields apiVersion and kind (applied at ${lab('invalid-bad-manifest')}:15)`],
        [
          lab('invalid-bad-manifest'),
          29,
          'warning',
          'check "http": ${WEB_IP} is not a known variable: use the front matter env, a capture of an earlier check, or a built-in one',
        ],
        [`${fixtures}/invalid-bad-manifest/manifests/bad.yaml`, 19, 'warning', `Widget "w": no schema known for example.com/v1 Widget, so it was not validated (applied at ${lab('invalid-bad-manifest')}:15)`],
      ],
    ],
  ];

  it.each(cases)('reports what is wrong with %s at file:line', async (name, expected) => {
    const issues = await validateLab(await loadLab(join(fixtures, name)), { runner: clean() });
    expect(issues.map((i) => [i.file, i.line, i.severity, i.message])).toEqual(expected);
  });
});

describe('validateLab content checks', () => {
  it('resolves relative paths in the collection root, $REPO_DIR there too, $LAB_DIR beside lab.md', async () => {
    const deployment = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n';
    const lab = await tempLab(
      'paths',
      '\n## S\n\n```sh\nkubectl apply -f manifests/temp-lab/app.yaml\nkubectl apply -f "$REPO_DIR/manifests/temp-lab/app.yaml" -f "${LAB_DIR}/local.yaml"\nkubectl apply -k kustomize/\n```\n\n```check\n- nodes: {}\n```\n',
      { 'manifests/temp-lab/app.yaml': deployment, 'labs/temp-lab/local.yaml': deployment, 'kustomize/README': '' },
    );
    expect(brief(await validateLab(lab, { runner: clean() }))).toEqual([['error', body + 6, 'kustomize/ has no kustomization.yaml']]);
  });

  it('checks the variables that checks use', async () => {
    const lab = await tempLab(
      'vars',
      [
        '',
        '## One',
        '',
        '```check',
        '- http: { url: "http://${APP}.${KINDLAB_CLUSTER}/${LATER}" }',
        '  cluster: ${CTX_ONE}',
        '- resource: { kind: Service, name: web }',
        '  capture: { LB_IP: status.loadBalancer.ingress.0.ip }',
        '- http: { url: "http://${LB_IP}/$${LITERAL}" }',
        '- command: { run: "n=$(kubectl get pods -o name | wc -l); LOCAL=1; test ${n} -gt ${LOCAL}" }',
        '```',
        '',
        '## Two',
        '',
        '```check',
        '- resource: { kind: Service, name: web }',
        '  capture: { LATER: metadata.uid }',
        '- http: { url: "http://${LB_IPP}/" }',
        '```',
        '',
      ].join('\n'),
    );
    expect(brief(await validateLab(lab, { runner: clean() }))).toEqual([
      ['warning', body + 4, 'check "http": ${LATER} is not a known variable: use the front matter env, a capture of an earlier check, or a built-in one'],
      ['warning', body + 17, 'check "http": ${LB_IPP} is not a known variable (did you mean ${LB_IP}?): use the front matter env, a capture of an earlier check, or a built-in one'],
    ]);
  });

  it('warns where an explicit sample size could never fail a statistical check', async () => {
    const lab = await tempLab(
      'samples',
      [
        '',
        '## One',
        '',
        '```check',
        '- traffic: { url: "http://web/", requests: 10, classify: { classes: { a: "^a", b: "^b" } }, expect: { a: 0.5, b: 0.5 } }',
        '- traffic: { url: "http://web/", classify: { classes: { a: "^a", b: "^b" } }, expect: { a: 0.5, b: 0.5 } }',
        '- errors: { url: "http://web/", requests: 400, share: 0.5 }',
        '```',
        '',
      ].join('\n'),
    );
    const issues = brief(await validateLab(lab, { runner: clean() }));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.slice(0, 2)).toEqual(['warning', body + 4]);
    expect(issues[0]?.[2]).toMatch(/^traffic check with requests: 10 accepts every count \(0–10 of 10\); it needs at least \d+ requests/);
  });

  it('checks custom modules, cluster names, and that the id matches the folder', async () => {
    const lab = await tempLab(
      'custom',
      '\n## S\n\n```check\n- custom: { module: check.ts }\n- custom: { module: present.ts }\n- nodes: {}\n  cluster: east\n```\n',
      { 'labs/other-name/present.ts': '' },
      'other-name',
    );
    const renamed = { ...lab, meta: { ...lab.meta, id: 'renamed' } };
    expect(brief(await validateLab(renamed, { runner: clean() }))).toEqual([
      ['error', 2, 'id "renamed" differs from the lab\'s folder name "other-name": rename one of them'],
      ['error', body + 4, 'check "custom": module check.ts not found beside lab.md'],
      ['error', body + 6, 'check "nodes": cluster "east" is not a cluster of this lab (the lab has one cluster without a name)'],
    ]);
  });

  it('passes the parse warnings on', async () => {
    const lab = await tempLab('warnings', '\n## S\n\n```shh\nls\n```\n\n```check\n- nodes: {}\n```\n');
    expect(brief(await validateLab(lab, { runner: clean() }))).toEqual([
      ['warning', body + 3, 'code block type "shh" is not one kindlab runs: it is shown as it is and never run (did you mean "sh"?)'],
    ]);
  });
});

describe('validateLab and retired registries', () => {
  const bookinfo = '"$ISTIO_HOME/samples/bookinfo/platform/kube/bookinfo.yaml"';
  const rewrite = "sed 's#registry\\.istio\\.io/release/#docker.io/istio/#'";
  const step = (lines: string[]) => ['', '## S', '', '```sh', ...lines, '```', '', '```check', '- nodes: {}', '```', ''].join('\n');
  const use = 'use docker.io/istio/examples-bookinfo-details-v1:1.20.3';

  it('flags front matter images on a retired registry with the replacement; a frozen one is a warning; comments aside', async () => {
    const extra = [
      'images:',
      '  - registry.istio.io/release/examples-bookinfo-details-v1:1.20.3',
      '  - docker.io/istio/examples-bookinfo-ratings-v1:1.20.3',
      '  - k8s.gcr.io/pause:3.9',
      '  # was gcr.io/istio-release/pilot:1.30.0',
      '  - "gcr.io/istio-release/pilot:1.30.0"',
      '',
    ].join('\n');
    const lab = await tempLab('retired-front', step(['kubectl get pods']), {}, 'temp-lab', extra);
    // The extra front matter starts at line 12.
    expect(brief(await validateLab(lab, { shellcheck: false }))).toEqual([
      ['error', 13, `front matter: registry.istio.io/release/examples-bookinfo-details-v1:1.20.3 is on registry.istio.io/release, shut down (Istio, December 2026): ${use}`],
      ['error', 17, 'front matter: gcr.io/istio-release/pilot:1.30.0 is on gcr.io/istio-release, shut down (Istio, December 2026): use docker.io/istio/pilot:1.30.0'],
      ['warning', 15, 'front matter: k8s.gcr.io/pause:3.9 is on k8s.gcr.io, frozen (Kubernetes, April 2023): use registry.k8s.io/pause:3.9'],
    ]);
  });

  it('flags shell blocks and the manifests they apply at file:line, comments aside', async () => {
    const manifest = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    # registry.istio.io/release/old\n    - name: c\n      image: registry.istio.io/release/examples-bookinfo-details-v1:1.20.3\n';
    const lab = await tempLab(
      'retired-shell',
      step([
        '# helm repo add istio https://istio-release.storage.googleapis.com/charts',
        'helm repo add istio https://istio-release.storage.googleapis.com/charts',
        'helm install base oci://gcr.io/istio-release/charts/base',
        'kubectl apply -f manifests/temp-lab/pod.yaml',
        'kubectl run x --image=registry.istio.io/testing/app:latest',
      ]),
      { 'manifests/temp-lab/pod.yaml': manifest },
    );
    expect(brief(await validateLab(lab, { shellcheck: false }))).toEqual([
      ['error', body + 5, 'istio-release.storage.googleapis.com/charts is on istio-release.storage.googleapis.com, shut down (Istio, December 2026): use blob.istio.io/istio-release/charts'],
      ['error', body + 6, 'gcr.io/istio-release/charts/base is on gcr.io/istio-release/charts, shut down (Istio, December 2026): use ghcr.io/istio/release/charts/base'],
      ['error', body + 8, 'registry.istio.io/testing/app:latest is on registry.istio.io, shut down (Istio, December 2026): no replacement was announced; use another image'],
      ['error', 9, `registry.istio.io/release/examples-bookinfo-details-v1:1.20.3 is on registry.istio.io/release, shut down (Istio, December 2026): ${use} (applied at ${lab.file.replace(process.cwd() + '/', '')}:${body + 7})`],
    ]);
    expect((await validateLab(lab, { shellcheck: false })).at(-1)?.file).toMatch(/manifests\/temp-lab\/pod\.yaml$/);
  });

  it('flags an Istio sample with retired images applied as it is, not one applied through the rewrite', async () => {
    const lab = await tempLab(
      'retired-samples',
      step([
        `kubectl apply -f ${bookinfo}`,
        `kubectl --context "$CTX_ONE" apply -n bookinfo -l 'app!=details' -f "\${ISTIO_HOME}/samples/helloworld/helloworld.yaml"`,
        `${rewrite} ${bookinfo} \\`,
        `  | kubectl --context "$CTX_ONE" apply -n bookinfo -f - -l 'app!=details'`,
        `sed 's#registry.istio.io/release/#docker.io/istio/#' ${bookinfo} | kubectl apply -f -`,
        `cat ${bookinfo} | kubectl apply -f -`,
        `kubectl delete -f ${bookinfo} --ignore-not-found`,
        'kubectl apply -f "$ISTIO_HOME/samples/bookinfo/networking/bookinfo-gateway.yaml"',
        'kubectl apply -f "$ISTIO_HOME/samples/jwt-server/jwt-server.yaml"',
      ]),
    );
    const sed = (rel: string) => `rewrite them on the way in: sed 's#registry\\.istio\\.io/release/#docker.io/istio/#' "$ISTIO_HOME/${rel}" | kubectl apply -f - (see "Images on retired registries" in labs/README.md)`;
    const because = 'but its images are on registry.istio.io/release, shut down (Istio, December 2026)';
    expect(brief(await validateLab(lab, { shellcheck: false }))).toEqual([
      ['error', body + 4, `$ISTIO_HOME/samples/bookinfo/platform/kube/bookinfo.yaml is applied as it is, ${because}: ${sed('samples/bookinfo/platform/kube/bookinfo.yaml')}`],
      ['error', body + 5, `$ISTIO_HOME/samples/helloworld/helloworld.yaml is applied as it is, ${because}: ${sed('samples/helloworld/helloworld.yaml')}`],
      ['error', body + 9, `$ISTIO_HOME/samples/bookinfo/platform/kube/bookinfo.yaml is piped into kubectl apply without rewriting its images, ${because}: ${sed('samples/bookinfo/platform/kube/bookinfo.yaml')}`],
      ['error', body + 12, '$ISTIO_HOME/samples/jwt-server/jwt-server.yaml is applied as it is, but its images are on registry.istio.io/testing, shut down (Istio, December 2026): no replacement was announced; use another sample'],
    ]);
  });
});

describe('validateLab with shellcheck', () => {
  const script = '\n## S\n\n```sh\nkubectl get pods\necho $X\n```\n\n```sh norun\nwatch kubectl get pods\n```\n\n```check\n- nodes: {}\n```\n';

  it('writes every sh block with the run header and maps findings back to lab.md', async () => {
    const lab = await tempLab('sc', script);
    const { runner, calls } = fakeShellcheck(() => ({
      exitCode: 1,
      stdout: JSON.stringify([
        { file: 'block0.sh', line: 4, column: 6, level: 'info', code: 2086, message: 'Double quote to prevent globbing and word splitting.' },
        { file: 'block1.sh', line: 3, column: 1, level: 'error', code: 1000, message: 'Made up.' },
      ]),
    }));
    expect(brief(await validateLab(lab, { runner }))).toEqual([
      ['error', body + 9, 'shellcheck SC1000: Made up.'],
      ['warning', body + 5, 'shellcheck SC2086: Double quote to prevent globbing and word splitting.'],
    ]);
    expect(calls).toEqual([{ command: 'shellcheck', args: ['--format=json', '--shell=bash', 'block0.sh', 'block1.sh'], opts: { cwd: expect.any(String) } }]);
  });

  it('says so when shellcheck is not installed, instead of passing silently', async () => {
    const lab = await tempLab('sc-missing', script);
    const { runner } = fakeShellcheck(() => ({ exitCode: 127, stdout: '', stderr: 'bash: shellcheck: command not found' }));
    expect(brief(await validateLab(lab, { runner }))).toEqual([
      ['warning', 1, 'shell blocks were not checked: shellcheck is not installed (apt-get install shellcheck, brew install shellcheck)'],
    ]);
    expect(brief(await validateLab(lab))).toEqual([['warning', 1, 'shell blocks were not checked: no process runner to start shellcheck with']]);
    expect(await validateLab(lab, { shellcheck: false })).toEqual([]);
  });

  it('reports shellcheck failing as an error', async () => {
    const lab = await tempLab('sc-broken', script);
    const { runner } = fakeShellcheck(() => ({ exitCode: 3, stdout: '', stderr: 'shellcheck: internal error\nmore' }));
    expect(brief(await validateLab(lab, { runner }))).toEqual([['error', 1, 'shellcheck failed: shellcheck: internal error']]);
  });

  it('runs one shellcheck for several labs and gives each lab its findings', async () => {
    const a = await tempLab('sc-a', script);
    const b = await tempLab('sc-b', script);
    const { runner, calls } = fakeShellcheck((files) => ({
      exitCode: 1,
      stdout: JSON.stringify(files.filter((f) => f === 'block2.sh').map((file) => ({ file, line: 3, column: 1, level: 'warning', code: 2034, message: 'x' }))),
    }));
    const [issuesA, issuesB] = await validateLabs([a, b], { runner });
    expect(calls).toHaveLength(1);
    expect(brief(issuesA ?? [])).toEqual([]);
    expect(brief(issuesB ?? [])).toEqual([['error', body + 4, 'shellcheck SC2034: x']]);
  });

  let installed = true;
  try {
    execFileSync('shellcheck', ['--version'], { stdio: 'ignore' });
  } catch {
    installed = false;
  }
  it.skipIf(skipWithout({ name: 'shellcheck', available: installed, install: 'apt-get install shellcheck' }))('finds real problems with the real shellcheck', async () => {
    const lab = await tempLab('sc-real', '\n## S\n\n```sh\nkubectl get pods\nif [ -n "$X" ]; then\n  echo yes\n```\n\n```check\n- nodes: {}\n```\n');
    const issues = await validateLab(lab, { runner: createProcessRunner() });
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.every((i) => i.message.startsWith('shellcheck SC'))).toBe(true);
    // The unclosed `if` is reported within the block (lab.md lines 17 to 19).
    expect(issues.some((i) => i.severity === 'error' && i.line >= body + 4 && i.line <= body + 6)).toBe(true);
  });
});
