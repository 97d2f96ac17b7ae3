import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { normalizeNewlines, splitFrontMatter } from '../../src/lab/front-matter.js';
import { parseSimpleYaml } from '../../src/lab/simple-yaml.js';

const accepted = [
  'id: canary-l4\ntitle: Layer-4 canary\n',
  'a: 1\nb: -2.5\nc: 1e3\nd: .5\ne: +7\nf: 012\n',
  'a: true\nb: False\nc: ~\nd: null\ne:\n',
  "a: 'it''s quoted'\nb: \"double: quoted\"\nc: plain text:with a colon\n",
  'a: value # a comment\n# a whole-line comment\nb: c#not-a-comment\n',
  'tags: [a, b, 3, true]\nempty: []\nmap: { memoryGiB: 4, cpus: 2 }\nnone: {}\n',
  'requires:\n  memoryGiB: 4\n  cpus: 2\nnext: x\n',
  'clusters:\n  - workers: 2\n    name: east\n  - name: west\n    nodes:\n      - role: control-plane\n      - role: worker\n        labels: { zone: b }\n',
  'clusters:\n- workers: 1\n- {}\nafter: 1\n',
  'list:\n  - a\n  - b\n  -\n  - c\n',
  'a: {b: 1}\n',
  'list:\n  -\n    a: 1\n    b: 2\n',
  'deep:\n  a:\n    b:\n      c: d\n',
  'url: https://example.com/a#b\ntime: 1h30m\nversion: 1.2.3\n',
  'source:\n  title: A tutorial\n  url: https://example.com\n',
  'summary: >-\n  Folded text, with "quotes" # and no comment,\n  over two lines.\n\n  A second paragraph.\nnext: 1\n',
  'summary: >\n  clipped\n  text\n\n\nnext: 1\n',
  'a:\n  note: |-\n    line one\n\n    line: three\n  b: 2\n',
  'a: |\n  literal\n',
  'a: >-\nb: 1\n',
  'summary: > # comment\n  text\n',
  '- note: >-\n    in a list\n    item\n  b: 1\n',
];

const declined = [
  'summary: >-\n  folded\n    more indented\n',
  'summary: |+\n  keep\n',
  'summary: >2\n  explicit\n',
  'list:\n  - >-\n    block in a list\n',
  'a: &x 1\nb: *x\n',
  'a: !!str 1\n',
  "a: 'x' # comment with a quote\n",
  'a: "escaped \\" quote"\n',
  'a: first line\n  continued\n',
  'a: b: c\n',
  'a: 1\na: 2\n',
  'a: [x, [y]]\n',
  'a: 0x1F\n',
  'a: .inf\n',
  '\ta: 1\n',
  'a:\n    b: 1\n  c: 2\n',
  '"quoted key": 1\n',
  'list:\n  - - nested\n',
];

describe('parseSimpleYaml', () => {
  it.each(accepted)('reads %j like the yaml package', (text) => {
    const simple = parseSimpleYaml(text);
    expect(simple).not.toBeUndefined();
    expect(simple).toEqual(parse(text));
  });

  it.each(declined)('leaves %j to the yaml package', (text) => {
    expect(parseSimpleYaml(text)).toBeUndefined();
  });

  it('reads an empty document as null', () => {
    expect(parseSimpleYaml('# nothing\n\n')).toBeNull();
  });

  it('agrees with the yaml package on the front matter of every lab and fixture it accepts', () => {
    const dirs = ['labs', 'test/fixtures/labs'].flatMap((root) =>
      existsSync(root) ? readdirSync(root).map((d) => join(root, d, 'lab.md')).filter((f) => existsSync(f)) : [],
    );
    let read = 0;
    for (const file of dirs) {
      const split = splitFrontMatter(normalizeNewlines(readFileSync(file, 'utf8')));
      if (!split.ok) continue;
      let expected: unknown;
      try {
        expected = parse(split.doc.yaml);
      } catch {
        continue;
      }
      const simple = parseSimpleYaml(split.doc.yaml);
      if (simple === undefined) continue;
      read++;
      expect(simple, file).toEqual(expected);
    }
    // Most front matter is plain YAML: if the reader declined all of it, `kindlab list` would be slow.
    expect(read).toBeGreaterThan(5);
  });
});
