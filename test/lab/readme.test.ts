/** The authoring guide's examples are checked like lab content, so the guide cannot drift from the format. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkKindNames } from '../../src/model/check-schema.js';
import { parseCheckBlock } from '../../src/lab/check-block.js';
import { frontMatterSchema } from '../../src/model/frontmatter-schema.js';
import { IssueList } from '../../src/lab/issues.js';

const guide = readFileSync('labs/README.md', 'utf8');
const yamlBlocks = [...guide.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);

describe('labs/README.md', () => {
  it('has a section for every check kind', () => {
    for (const kind of checkKindNames) expect(guide).toContain(`### ${kind}\n`);
  });

  it('shows front matter that the schema accepts', () => {
    const example = yamlBlocks.find((b) => b.startsWith('---\nid:')) ?? '';
    const result = frontMatterSchema.safeParse(parse(example.replace(/^---\n|---\n$/g, '')));
    expect(result.error?.issues ?? []).toEqual([]);
  });

  it('shows check examples that parse without problems, one per kind at least', () => {
    const seen = new Set<string>();
    for (const block of yamlBlocks.filter((b) => b.startsWith('- '))) {
      const issues = new IssueList('README');
      const checks = parseCheckBlock(block, 1, issues);
      expect(issues.items, block).toEqual([]);
      for (const c of checks) seen.add(c.kind);
    }
    expect([...seen].sort()).toEqual([...checkKindNames].sort());
  });
});
