/**
 * validate: what a lab would pull from a retired registry (retired-registries.ts). References in
 * the front matter (images, env), in shell blocks and in the manifests those blocks apply are
 * flagged at their line with the replacement; so is an Istio sample known to carry retired images
 * when a command applies it as it is, or pipes it into `kubectl apply -f -` without rewriting them.
 * An error when the registry is gone, a warning when it is only frozen.
 */
import type { CodeBlock } from '../model/lab.js';
import { RETIRED_IMAGE_SAMPLES, retiredAdvice, retiredMentions, retiredRegistryOf, rewritesRetired, sedRewrite, type RetiredRegistry } from './retired-registries.js';
import { logicalLines, simpleCommands } from './shell-refs.js';

export interface LineIssue {
  line: number;
  severity: 'error' | 'warning';
  message: string;
}

const severityOf = (entry: RetiredRegistry) => (entry.gone ? 'error' : 'warning');

/** A YAML or shell line without its comment: a mention in a comment pulls nothing. */
function withoutComment(line: string): string {
  if (/^\s*#/.test(line)) return '';
  const at = line.search(/\s#/);
  return at < 0 ? line : line.slice(0, at);
}

/** Retired references in text, by line (`first` is the line number of the text's first line). */
export function retiredInText(text: string, first: number): LineIssue[] {
  const out: LineIssue[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    for (const m of retiredMentions(withoutComment(raw))) {
      // A sed expression moving the prefix to its replacement is the fix, not a use.
      if (rewritesRetired(m.text, m.entry)) continue;
      out.push({ line: first + i, severity: severityOf(m.entry), message: retiredAdvice(m.text) });
    }
  }
  return out;
}

/** The front matter of lab.md (between the `---` lines), scanned like any text. */
export function retiredInFrontMatter(labText: string): LineIssue[] {
  const lines = labText.split('\n');
  if (lines[0]?.trim() !== '---') return [];
  const end = lines.findIndex((l, i) => i > 0 && l.trim() === '---');
  return retiredInText(lines.slice(1, end < 0 ? undefined : end).join('\n'), 2).map((i) => ({ ...i, message: `front matter: ${i.message}` }));
}

const ISTIO_SAMPLE = /^\$(?:\{ISTIO_HOME\}|ISTIO_HOME)\/(samples\/.+)$/;
const APPLYING = new Set(['apply', 'create', 'replace']);
/** kubectl options whose value is the next word, so that the value is not taken for the subcommand. */
const VALUE_OPTIONS = new Set(['-n', '--namespace', '--context', '--kubeconfig', '--cluster', '--user', '-s', '--server', '-l', '--selector', '-f', '--filename']);

function subcommandOf(words: string[]): string | undefined {
  for (let i = 1; i < words.length; i++) {
    const w = words[i] as string;
    if (VALUE_OPTIONS.has(w)) i++;
    else if (!w.startsWith('-')) return w;
  }
  return undefined;
}

const isKubectlApply = (words: string[]) => ['kubectl', 'oc'].includes((words[0] ?? '').split('/').pop() ?? '') && APPLYING.has(subcommandOf(words) ?? '');
const fileArgs = (words: string[]) =>
  words.flatMap((w, i) => (w === '-f' || w === '--filename' ? [words[i + 1] ?? ''] : /^(?:-f|--filename)=(.+)$/.exec(w)?.slice(1, 2) ?? []));
const readsStdin = (words: string[]) => fileArgs(words).includes('-');

/** Release samples named by a command: their path below $ISTIO_HOME, when the list knows them. */
function knownSamples(words: string[]): string[] {
  return words.flatMap((w) => {
    const rel = ISTIO_SAMPLE.exec(w)?.[1];
    return rel && RETIRED_IMAGE_SAMPLES[rel] ? [rel] : [];
  });
}

function sampleAdvice(rel: string, how: string): string {
  const prefix = RETIRED_IMAGE_SAMPLES[rel] as string;
  const entry = retiredRegistryOf(prefix) as RetiredRegistry;
  const sed = sedRewrite(entry);
  const fix = sed
    ? `rewrite them on the way in: sed '${sed}' "$ISTIO_HOME/${rel}" | kubectl apply -f - (see "Images on retired registries" in labs/README.md)`
    : 'no replacement was announced; use another sample';
  return `$ISTIO_HOME/${rel} is ${how}, but its images are on ${prefix}, shut down (${entry.since}): ${fix}`;
}

/** Shell blocks: retired references in their text, and samples with retired images applied without the rewrite. */
export function retiredInShell(block: CodeBlock): LineIssue[] {
  const out = retiredInText(block.code, block.line + 1);
  for (const logical of logicalLines(block)) {
    const commands = simpleCommands(logical.text);
    for (const [i, words] of commands.entries()) {
      if (isKubectlApply(words)) {
        for (const file of fileArgs(words)) {
          const rel = ISTIO_SAMPLE.exec(file)?.[1];
          if (rel && RETIRED_IMAGE_SAMPLES[rel]) out.push({ line: logical.line, severity: 'error', message: sampleAdvice(rel, 'applied as it is') });
        }
        continue;
      }
      // A sample read by another command and piped on into `kubectl apply -f -` must have its images rewritten.
      const piped = commands.slice(i + 1).some((w) => isKubectlApply(w) && readsStdin(w));
      if (!piped) continue;
      for (const rel of knownSamples(words)) {
        const entry = retiredRegistryOf(RETIRED_IMAGE_SAMPLES[rel] as string) as RetiredRegistry;
        if (!rewritesRetired(logical.text, entry)) out.push({ line: logical.line, severity: 'error', message: sampleAdvice(rel, 'piped into kubectl apply without rewriting its images') });
      }
    }
  }
  return out;
}
