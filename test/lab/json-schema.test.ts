import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkKindNames } from '../../src/model/check-schema.js';
import { generateSchemas } from '../../src/lab/json-schema.js';

describe('the published JSON Schemas', () => {
  const generated = generateSchemas();

  it.each(Object.keys(generated))('schema/%s is up to date (regenerate with `npx node scripts/gen-schema.ts`)', (name) => {
    expect(readFileSync(`schema/${name}`, 'utf8')).toBe(generated[name]);
  });

  it('describe the front matter with its required fields', () => {
    const schema = JSON.parse(generated['lab-frontmatter.json'] as string);
    expect(schema.required).toEqual(['id', 'title', 'summary', 'source', 'duration', 'requires', 'clusters']);
    expect(schema.additionalProperties).toBe(false);
  });

  it('describe a check block as a list of items with one kind each', () => {
    const schema = JSON.parse(generated['check-block.json'] as string);
    expect(schema.type).toBe('array');
    const item = schema.$defs[schema.items.$ref.replace('#/$defs/', '')];
    expect(item.anyOf.map((b: { required: string[] }) => b.required)).toEqual(checkKindNames.map((k) => [k]));
  });
});
