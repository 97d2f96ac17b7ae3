/**
 * Writes schema/lab-frontmatter.json and schema/check-block.json from the zod schemas.
 * Run with `npx node scripts/gen-schema.ts` (Node strips the types itself).
 */
import './lib/register-ts.mjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const { generateSchemas } = await import('../src/lab/json-schema.js');
const dir = fileURLToPath(new URL('../schema/', import.meta.url));
mkdirSync(dir, { recursive: true });
for (const [name, text] of Object.entries(generateSchemas())) {
  writeFileSync(join(dir, name), text);
  console.log(`wrote schema/${name}`);
}
