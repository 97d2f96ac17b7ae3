/**
 * The published JSON Schemas (schema/*.json), generated from the zod schemas so editors can
 * complete and check front matter and check blocks. `scripts/gen-schema.ts` writes them; a test
 * keeps the committed files equal to what this produces.
 */
import { z } from 'zod';
import { checkKindNames, checkKinds, commonCheckOptions } from '../model/check-schema.js';
import { frontMatterSchema } from '../model/frontmatter-schema.js';

/** One check-block item: exactly one kind key plus the common options. */
export function checkItemSchema() {
  return z.union(checkKindNames.map((kind) => commonCheckOptions.extend({ [kind]: checkKinds[kind] })));
}

/** File name under schema/ → file content. */
export function generateSchemas(): Record<string, string> {
  // io 'input': fields with defaults are optional to the author.
  const frontMatter = z.toJSONSchema(frontMatterSchema, { io: 'input' });
  // reused 'ref': pieces every kind shares (common options, request fields) are written once.
  const checkBlock = z.toJSONSchema(z.array(checkItemSchema()).min(1), { io: 'input', reused: 'ref' });
  const out = (title: string, schema: object) => JSON.stringify({ title, ...schema }, null, 2) + '\n';
  return {
    'lab-frontmatter.json': out('kindlab lab.md front matter', frontMatter),
    'check-block.json': out('kindlab check block (a YAML list of checks)', checkBlock),
  };
}
