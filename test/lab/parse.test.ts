import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LabFormatError, type LabIssue } from '../../src/core/errors.js';
import { loadLab, parseLab } from '../../src/lab/parse.js';

const fixtures = 'test/fixtures/labs';
const fixture = (name: string) => readFileSync(join(fixtures, name, 'lab.md'), 'utf8');

/** The issues parseLab throws for a text, or [] when it parses. */
function parseIssues(text: string, file = 'lab.md'): LabIssue[] {
  try {
    parseLab(file, text);
    return [];
  } catch (err) {
    if (err instanceof LabFormatError) return err.issues;
    throw err;
  }
}

const front = `---
id: test-lab
title: A test lab
summary: A lab written inside a test.
source: { title: test }
duration: 5m
requires: { memoryGiB: 1, cpus: 1 }
clusters: [{}]
---
`;
/** Line of the first body line in texts built from `front`. */
const bodyLine = 10;

describe('parseLab on the valid fixtures', () => {
  it('reads every part of valid-full', async () => {
    const lab = await loadLab(join(fixtures, 'valid-full'));
    expect(lab.meta).toMatchObject({
      id: 'valid-full',
      title: 'Every feature of the format',
      summary: "A lab that uses every part of the lab format, for the parser's tests.",
      duration: '1h30m',
      difficulty: 'advanced',
      tags: ['istio', 'fixture'],
      addons: [{ istio: { profile: 'demo' } }, 'metrics-server'],
      env: { APP_NS: 'web' },
      images: [],
    });
    expect(lab.meta.clusters.map((c) => c.name)).toEqual(['east', 'west']);
    expect(lab.file).toMatch(/valid-full\/lab\.md$/);
    expect(lab.dir).toMatch(/valid-full$/);
    expect(lab.intro).toContain('Intro prose before the first step.');
    expect(lab.intro).toContain('```sh\nwatch kubectl get pods -A\n```');
    expect(lab.warnings).toBeUndefined();

    const [deploy, watch] = lab.steps;
    expect(lab.steps).toHaveLength(2);
    expect(deploy).toMatchObject({ id: 'deploy', title: 'Deploy the web app', index: 1, line: 43 });
    expect(deploy?.commands).toEqual([{ code: 'kubectl apply -f "$LAB_DIR/manifests/web.yaml"', line: 47 }]);
    expect(deploy?.cleanup).toEqual([{ code: 'kubectl delete namespace web --ignore-not-found', line: 57 }]);
    expect(deploy?.before).toEqual([
      { kind: 'command', spec: { run: 'kubectl version --client', on: 'host', exitCode: 0 }, options: expect.objectContaining({ name: 'kubectl is installed' }), line: 62 },
    ]);
    expect(deploy?.checks.map((c) => [c.kind, c.line])).toEqual([
      ['rollout', 68],
      ['http', 74],
    ]);
    expect(deploy?.checks[0]).toMatchObject({
      spec: { kind: 'Deployment', name: 'web', namespace: 'web', replicas: 2 },
      options: { capture: { WEB_REPLICAS: 'status.readyReplicas' } },
    });
    // Defaults from the schema are applied.
    expect(deploy?.checks[1]).toMatchObject({ spec: { method: 'GET', expect: { status: 200 } }, options: { cluster: 'east', timeout: '30s' } });
    expect(deploy?.hints).toEqual(['Both Deployments carry `app: web`, the label the Service selects.', 'a second hint.']);

    expect(watch).toMatchObject({ id: 'watch-it-2-replicas', title: 'Watch it: 2 replicas!', index: 2, line: 87 });
    expect(watch?.norun).toEqual([{ code: 'while true; do kubectl get pods -n web; sleep 1; done', line: 89 }]);
    expect(watch?.commands).toEqual([{ code: 'kubectl --context "$CTX_WEST" get nodes', line: 93 }]);
  });

  it("keeps a step's markdown to what the learner reads", async () => {
    const lab = await loadLab(join(fixtures, 'valid-full'));
    const [deploy, watch] = lab.steps;
    expect(deploy?.markdown.startsWith('Apply the manifests.')).toBe(true);
    expect(deploy?.markdown).toContain('```bash\nkubectl apply');
    expect(deploy?.markdown).toContain('```yaml\nkind: Example');
    expect(deploy?.markdown).toContain('> hint: Both Deployments');
    expect(deploy?.markdown).toContain('> A plain quote that is not a hint.');
    expect(deploy?.markdown).not.toContain('```check');
    expect(deploy?.markdown).not.toContain('ignore-not-found');
    expect(deploy?.markdown).not.toContain('## Deploy');
    // A norun block is shown with a plain language name.
    expect(watch?.markdown).toContain('```sh\nwhile true');
    expect(watch?.markdown).not.toContain('norun');
  });

  it('parses the sample lab the end-to-end tests run', async () => {
    const lab = await loadLab(join(fixtures, 'sample-nginx'));
    expect(lab.meta.clusters).toEqual([{ workers: 1 }]);
    expect(lab.steps.map((s) => s.id)).toEqual(['deploy', 'scale', 'expose']);
    expect(lab.steps.map((s) => s.checks.map((c) => c.kind))).toEqual([['rollout', 'resource'], ['rollout', 'resource'], ['resource', 'http']]);
    expect(lab.steps.every((s) => s.commands.length > 0 && s.cleanup.length > 0 && s.hints.length > 0)).toBe(true);
  });

  it('accepts the smallest lab', () => {
    const lab = parseLab('valid-minimal/lab.md', fixture('valid-minimal'));
    expect(lab.steps).toHaveLength(1);
    expect(lab.steps[0]).toMatchObject({ id: 'look-at-the-nodes', title: 'Look at the nodes' });
    expect(lab.meta).toMatchObject({ difficulty: 'intermediate', tags: [], addons: [], env: {}, clusters: [{}] });
  });
});

describe('parseLab reports every problem with its line', () => {
  const cases: Array<{ name: string; expected: Array<[line: number, message: string]> }> = [
    {
      name: 'invalid-no-frontmatter',
      expected: [[1, 'missing front matter: lab.md must begin with a line "---", then the YAML front matter, then another "---"']],
    },
    { name: 'invalid-frontmatter-yaml', expected: [[3, 'front matter: invalid YAML: Missing closing "quote']] },
    {
      name: 'invalid-frontmatter-schema',
      expected: [
        [7, 'front matter: duration: expected a duration like 30s, 5m or 1h, found "soon"'],
        [8, 'front matter: difficulty: expected one of beginner, intermediate, advanced, found "expert"'],
        [9, 'front matter: requires: missing field "cpus" (an integer > 0)'],
        [11, 'front matter: requires: unknown field "cpu" (did you mean "cpus"?)'],
        [13, 'front matter: clusters[0].workers: expected an integer from 0 to 8, found 9'],
        [14, 'front matter: clusters[0].contextVar: expected an upper-case variable name like GATEWAY_URL, found "ctx_one"'],
        [16, 'front matter: addons[0]: expected one of cloud-provider-kind, metallb, ingress-nginx, gateway-api, istio, istio-addons, metrics-server, found "istoi" (did you mean "istio"?)'],
        [17, 'front matter: unknown field "colour" (known fields: id, title, summary, source, duration, difficulty, tags, requires, clusters, addons, env, images, network)'],
      ],
    },
    {
      name: 'invalid-check-field',
      expected: [
        [17, 'check "traffic": requests: expected an integer from 1 to 5000, found "many"'],
        [21, 'check "rollout": expected a string matching /^(deployment|daemonset|statefulset)\\/([a-z0-9.-]+\\/)?[a-z0-9.-]+$/i, found "deploy/web"'],
        [25, 'check "http": unknown option "timout" (did you mean "timeout"?)'],
        [28, 'check "http": "url" is a field of http: indent it under "http:"'],
        [30, 'check "nodes": count: expected an integer ≥ 1, found 0'],
        [31, 'check "nodes": consecutive: expected an integer from 1 to 20, found 50'],
      ],
    },
    {
      name: 'invalid-unknown-kind',
      expected: [
        [16, 'unknown check kind "trafic" (did you mean "traffic"?)'],
        [18, 'a check needs a kind: one of resource, rollout, nodes, sidecar, http, traffic, latency, errors, envoyStat, load, metrics, traces, certificate, command, custom'],
      ],
    },
    {
      name: 'invalid-duplicate-id',
      expected: [
        [18, 'duplicate step id "deploy" (the step at line 12 has it too): give one of them its own id with {#another-id}'],
        [24, 'step id "Not_OK" must be lower-case letters, digits and dashes, e.g. {#scale-out}'],
      ],
    },
    {
      name: 'invalid-empty-check',
      expected: [
        [14, 'empty check block: list at least one check, or remove the block'],
        [18, 'a check block is a YAML list: begin each check with "- ", e.g. "- rollout: deployment/web"'],
      ],
    },
    { name: 'invalid-no-steps', expected: [[11, 'no steps: a lab needs at least one step, a section beginning with "## "']] },
    {
      name: 'invalid-fences',
      expected: [
        [12, 'a check block before the first step never runs: move it into a step (a "## " section)'],
        [18, 'unknown option "clenaup" on a ```sh block (did you mean "cleanup"?): use ```sh, ```sh cleanup or ```sh norun'],
        [26, 'unknown option "after" on a ```check block: use ```check or ```check before'],
      ],
    },
  ];

  it.each(cases)('$name', ({ name, expected }) => {
    const file = `labs/${name}/lab.md`;
    const issues = parseIssues(fixture(name), file);
    expect(issues.map((i) => [i.line, i.message])).toEqual(expected);
    expect(issues.every((i) => i.file === file && i.severity === 'error')).toBe(true);
  });

  it('throws one LabFormatError whose message is the first issue at file:line', () => {
    expect(() => parseLab('labs/x/lab.md', fixture('invalid-check-field'))).toThrow(
      'labs/x/lab.md:17: check "traffic": requests: expected an integer from 1 to 5000, found "many"',
    );
  });

  it('names the lab by its path relative to the working directory when loaded from disk', async () => {
    const err = await loadLab(join(fixtures, 'invalid-unknown-kind')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabFormatError);
    expect((err as LabFormatError).issues[0]?.file).toBe('test/fixtures/labs/invalid-unknown-kind/lab.md');
  });

  it('says so when a directory has no lab.md', async () => {
    await expect(loadLab(fixtures)).rejects.toThrow('no lab.md in test/fixtures/labs');
  });
});

describe('parseLab details', () => {
  it('ignores Windows line endings and a byte-order mark when counting lines', () => {
    const text = '\uFEFF' + `${front}\n## One\n\n\`\`\`check\n- nodes: { count: 0 }\n\`\`\`\n`.replace(/\n/g, '\r\n');
    expect(parseIssues(text).map((i) => i.line)).toEqual([bodyLine + 4]);
  });

  it('reports front matter that is not closed', () => {
    expect(parseIssues('---\nid: x\n\n## Step\n')).toEqual([
      { file: 'lab.md', line: 1, message: 'the front matter is not closed: add a line "---" after it', severity: 'error' },
    ]);
  });

  it('reports front matter that is not a map', () => {
    expect(parseIssues('---\n- a\n- b\n---\n## S\n').map((i) => [i.line, i.message])).toEqual([
      [2, 'front matter: expected a map of fields (id, title, summary, ...), found a list of 2'],
    ]);
  });

  it('requires names for several clusters, and unique ones', () => {
    const text = front.replace('clusters: [{}]', 'clusters:\n  - name: a\n  - workers: 1\n  - name: a') + '\n## S\n';
    expect(parseIssues(text).map((i) => [i.line, i.message])).toEqual([
      [10, 'front matter: clusters[1]: give every cluster a `name` when the lab has more than one'],
      [11, 'front matter: clusters[2].name: cluster name "a" is used twice'],
    ]);
  });

  it('reports body problems even when the front matter is broken', () => {
    const text = front.replace('duration: 5m', 'duration: 5 minutes') + '\n## S\n\n```check\n- trafic: {}\n```\n';
    expect(parseIssues(text).map((i) => i.line)).toEqual([6, bodyLine + 4]);
  });

  it('warns about code blocks of an unknown type inside steps, and shows them', () => {
    const lab = parseLab('lab.md', `${front}\n## S\n\n\`\`\`shh\nkubectl get pods\n\`\`\`\n\n\`\`\`text\nplain\n\`\`\`\n`);
    expect(lab.warnings).toEqual([
      {
        file: 'lab.md',
        line: bodyLine + 3,
        message: 'code block type "shh" is not one kindlab runs: it is shown as it is and never run (did you mean "sh"?)',
        severity: 'warning',
      },
    ]);
    expect(lab.steps[0]?.commands).toEqual([]);
    expect(lab.steps[0]?.markdown).toContain('```shh');
  });

  it('warns about commands before the first step and in lists, which never run', () => {
    const text = `${front}\n\`\`\`sh\necho intro\n\`\`\`\n\n## S\n\n1. Apply:\n\n   \`\`\`sh\n   kubectl apply -f x.yaml\n   \`\`\`\n`;
    const lab = parseLab('lab.md', text);
    expect(lab.warnings?.map((w) => [w.line, w.message.slice(0, 40)])).toEqual([
      [bodyLine + 1, 'commands before the first step are never'],
      [bodyLine + 9, 'a ```sh block inside a list or quote is '],
    ]);
    expect(lab.steps[0]?.commands).toEqual([]);
  });

  it('refuses check blocks inside lists', () => {
    const text = `${front}\n## S\n\n- item\n\n  \`\`\`check\n  - nodes: {}\n  \`\`\`\n`;
    expect(parseIssues(text).map((i) => [i.line, i.message])).toEqual([
      [bodyLine + 5, 'a check block inside a list or quote is not recognised: put it at the top level of the step'],
    ]);
  });

  it('refuses holdsBefore in a `check before` baseline, which always runs before the commands', () => {
    const text = `${front}\n## S\n\n\`\`\`check before\n- nodes: {}\n  holdsBefore: the nodes are up\n\`\`\`\n\n\`\`\`check\n- nodes: {}\n  holdsBefore: the nodes are up\n\`\`\`\n`;
    expect(parseIssues(text).map((i) => [i.line, i.message])).toEqual([
      [bodyLine + 4, 'holdsBefore marks a checkpoint (```check) that holds before its solution; a ```check before baseline always runs before the commands: remove it'],
    ]);
  });

  it('derives ids from titles, and falls back to the position for titles without letters', () => {
    const lab = parseLab('lab.md', `${front}\n## Ünïcode & Friends: café!\n\n## ???\n\n## Explicit {#my-id}\n`);
    expect(lab.steps.map((s) => [s.id, s.title])).toEqual([
      ['unicode-friends-cafe', 'Ünïcode & Friends: café!'],
      ['step-2', '???'],
      ['my-id', 'Explicit'],
    ]);
  });

  it('reads hints: case-insensitive, continued lines, prose before the first hint ignored', () => {
    const lab = parseLab('lab.md', `${front}\n## S\n\n> Note: read this first.\n> HINT: one\n> more\n>\n> still one\n> hint: two\n`);
    expect(lab.steps[0]?.hints).toEqual(['one more\n\nstill one', 'two']);
  });

  it('treats "- nodes:" without settings as all defaults', () => {
    const lab = parseLab('lab.md', `${front}\n## S\n\n\`\`\`check\n- nodes:\n  timeout: 1m\n\`\`\`\n`);
    expect(lab.steps[0]?.checks).toEqual([
      { kind: 'nodes', spec: { ready: true }, options: { consecutive: 1, timeout: '1m' }, line: bodyLine + 4 },
    ]);
  });
});

describe('parseLab on hostile input', () => {
  const step = '\n## S\n\n```check\n- nodes:\n```\n';
  /** Nine times nine times ... "x": 9^6 values from six short lines. */
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]', 'e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]', 'f: [*e, *e, *e, *e, *e, *e, *e, *e, *e]'];
  const withFront = (lines: string[]) => front.replace('clusters: [{}]\n', `clusters: [{}]\n${lines.join('\n')}\n`) + step;

  it.each([
    ['an alias without anchor', ['x: *nope'], [[9, 'front matter: alias *nope has no anchor: define "&nope" on a value before it, or write the value out']]],
    ['an alias inside its own anchor', ['x: &x [1, *x]'], [[9, 'front matter: alias *x is inside the value it refers to, which would make that value contain itself forever']]],
    ['an alias bomb', bomb, [[14, 'front matter: aliases expand this YAML to more than 10000 values (*e alone to 66430): write the values out instead of nesting aliases']]],
    ['nested complex keys', ['? '.repeat(400) + 'x'], [[9, 'front matter: a map key must be a plain value such as a name or a number, not a list or a map']]],
  ])('reports %s in the front matter at its line', (_, lines, expected) => {
    expect(parseIssues(withFront(lines)).map((i) => [i.line, i.message])).toEqual(expected);
  });

  it('reports an alias without anchor in a check block at its line', () => {
    const issues = parseIssues(`${front}\n## S\n\n\`\`\`check\n- nodes:\n- resource: *nope\n\`\`\`\n`);
    expect(issues.map((i) => [i.line, i.message])).toEqual([[bodyLine + 5, 'check block: alias *nope has no anchor: define "&nope" on a value before it, or write the value out']]);
  });

  it('accepts aliases that are used sensibly', () => {
    const lab = parseLab('lab.md', withFront(['env: { A: &ns web, B: *ns }']));
    expect(lab.meta.env).toEqual({ A: 'web', B: 'web' });
  });

  it('refuses a file, front matter or block over its size limit before parsing it, naming the limit', () => {
    const start = performance.now();
    const huge = parseIssues(`${front}${step}${'{'.repeat(1 << 20)}\n`);
    expect(huge.map((i) => [i.line, i.message])).toEqual([[1, "the file is 1.0 MiB, over kindlab's limit of 256 KiB for a lab file (no real lab comes near it): shorten it or split it up"]]);
    const fm = parseIssues(withFront([`x: ${'{'.repeat(20_000)}`]));
    expect(fm.map((i) => [i.line, i.message])).toEqual([[2, "the front matter is 20 KiB, over kindlab's limit of 16 KiB for the front matter (no real lab comes near it): shorten it or split it up"]]);
    const block = parseIssues(`${front}\n## S\n\n\`\`\`check\n- nodes: ${'['.repeat(20_000)}\n\`\`\`\n`);
    expect(block.map((i) => [i.line, i.message])).toEqual([[bodyLine + 3, "this code block is 20 KiB, over kindlab's limit of 16 KiB for a code block (no real lab comes near it): shorten it or split it up"]]);
    const shell = parseIssues(`${front}\n## S\n\n\`\`\`sh\n${'echo x\n'.repeat(3000)}\`\`\`\n\`\`\`check\n- nodes:\n\`\`\`\n`);
    expect(shell.map((i) => i.message)).toEqual([expect.stringMatching(/^this code block is 21 KiB, over kindlab's limit of 16 KiB for a code block/)]);
    expect(performance.now() - start).toBeLessThan(2000);
  });

  it('refuses Markdown nested too deeply instead of overflowing the stack', () => {
    const issues = parseIssues(`${front}${step}\n${'> '.repeat(20_000)}x\n`);
    expect(issues.map((i) => [i.line, i.message])).toEqual([[bodyLine + 7, "this line nests quotes or lists more than 16 levels deep, over kindlab's limit: flatten it"]]);
    expect(parseIssues(`${front}${step}\n${'> - '.repeat(4)}x\n`)).toEqual([]);
  });

  it('does not spend minutes on a paragraph of emphasis markers', () => {
    const start = performance.now();
    expect(parseIssues(`${front}${step}\n${'_a'.repeat(60_000)}\n`)).toEqual([]);
    expect(performance.now() - start).toBeLessThan(2000);
  });
});
