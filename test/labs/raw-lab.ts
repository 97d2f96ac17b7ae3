/**
 * A small reader of lab.md for the lab content tests. Independent of src/lab/parse.ts on purpose:
 * two readers that agree are a check on both.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { checkKinds } from '../../src/model/check-schema.js';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface Block {
  info: string;
  code: string;
  line: number;
}
export interface RawStep {
  id: string;
  title: string;
  line: number;
  blocks: Block[];
  hints: string[];
}
export interface RawLab {
  id: string;
  file: string;
  frontMatter: Record<string, unknown>;
  steps: RawStep[];
  text: string;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** With requireIds, a `## ` heading without `{#id}` is an error (the author wants stable ids). */
export function readLab(id: string, opts: { requireIds?: boolean } = {}): RawLab {
  const file = join(repo, 'labs', id, 'lab.md');
  const text = readFileSync(file, 'utf8');
  const m = /^---\n([\s\S]*?)\n---\n/.exec(text);
  if (!m) throw new Error(`${file}: no front matter`);
  const frontMatter = parseYaml(m[1] as string) as Record<string, unknown>;
  const lines = text.split('\n');
  const steps: RawStep[] = [];
  let fence: { info: string; line: number; body: string[] } | undefined;
  for (let i = (m[0].match(/\n/g) ?? []).length; i < lines.length; i++) {
    const line = lines[i] as string;
    if (fence) {
      if (/^```\s*$/.test(line)) {
        steps.at(-1)?.blocks.push({ info: fence.info, code: fence.body.join('\n'), line: fence.line });
        fence = undefined;
      } else fence.body.push(line);
      continue;
    }
    const open = /^```(.*)$/.exec(line);
    if (open) {
      fence = { info: (open[1] as string).trim(), line: i + 1, body: [] };
      continue;
    }
    const heading = /^## (.+?)\s*(?:\{#([a-z0-9-]+)\})?\s*$/.exec(line);
    if (heading) {
      if (opts.requireIds && !heading[2]) throw new Error(`${file}:${i + 1}: give every step an explicit {#id}`);
      const title = heading[1] as string;
      steps.push({ id: heading[2] ?? slug(title), title, line: i + 1, blocks: [], hints: [] });
      continue;
    }
    const hint = /^> hint:\s*(.+)$/.exec(line);
    if (hint && steps.length) steps.at(-1)?.hints.push(hint[1] as string);
  }
  if (fence) throw new Error(`${file}:${fence.line}: unclosed code fence`);
  return { id, file, frontMatter, steps, text };
}

export const blocksOf = (lab: RawLab, info: string) => lab.steps.flatMap((s) => s.blocks.filter((b) => b.info === info));
/** Commands that run (solution and reset), not the ones only shown. */
export const runnableSh = (lab: RawLab) => [...blocksOf(lab, 'sh'), ...blocksOf(lab, 'sh cleanup')];
export const allSh = (lab: RawLab) => lab.steps.flatMap((s) => s.blocks.filter((b) => /^sh( cleanup| norun)?$/.test(b.info)));

export function checkItems(block: Block): Record<string, unknown>[] {
  const items = parseYaml(block.code) as unknown;
  if (!Array.isArray(items)) throw new Error(`check block at line ${block.line} is not a YAML list`);
  return items as Record<string, unknown>[];
}
const kindNames = Object.keys(checkKinds);
export const kindOf = (item: Record<string, unknown>) => Object.keys(item).filter((k) => kindNames.includes(k));
