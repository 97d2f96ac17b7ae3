/**
 * Content checks beyond parsing (`kindlab validate`): every step has a checkpoint, the files the
 * commands use exist, the manifests they apply are valid Kubernetes/Istio/Gateway API objects, the
 * shell blocks pass shellcheck, checks only use variables that will exist, and nothing is pulled
 * from a retired registry (retired-check.ts).
 *
 * Commands run in the lab collection root (the folder holding labs/ and manifests/, see
 * collectionRoot), so relative paths resolve there, as do $REPO_DIR/... paths; $LAB_DIR/... paths
 * resolve in the lab's own folder.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { LabIssue } from '../core/errors.js';
import type { ProcessRunner } from '../core/seams.js';
import { sampleSizeWarning } from '../checks/sample-plan.js';
import { IssueList, displayPath, sortIssues } from './issues.js';
import { collectionRoot } from './locations.js';
import { validateManifest } from './manifests.js';
import { retiredInFrontMatter, retiredInShell, retiredInText } from './retired-check.js';
import type { CodeBlock, Lab } from '../model/lab.js';
import { scanShell, type FileRef } from './shell-refs.js';
import { shellcheckBlocks } from './shellcheck.js';
import { closestNames } from './suggest.js';
import { capturedVariables, labVariableNames, referencedVariables } from './variables.js';

export interface ValidateOptions {
  /** Runs shellcheck. Without it, shell blocks are not checked and a warning says so. */
  runner?: ProcessRunner;
  /** Where commands run and what $REPO_DIR means (default: collectionRoot(lab.dir)). */
  repoDir?: string;
  /** Set false to skip shellcheck without a warning (e.g. a caller that runs it itself). */
  shellcheck?: boolean;
}

/** Returns errors and warnings, errors first; an empty list means the lab is clean. */
export async function validateLab(lab: Lab, opts: ValidateOptions = {}): Promise<LabIssue[]> {
  return (await validateLabs([lab], opts))[0] ?? [];
}

/**
 * Validates several labs, one list of issues per lab in the same order. Shell blocks of all labs
 * go to a single shellcheck run: starting processes is the slow part of validation.
 */
export async function validateLabs(labs: readonly Lab[], opts: ValidateOptions = {}): Promise<LabIssue[][]> {
  const lists = labs.map((lab) => new IssueList(displayPath(lab.file)));
  const extras: LabIssue[][] = [];
  const shell: Array<{ block: CodeBlock; lab: number }> = [];
  for (const [index, lab] of labs.entries()) {
    const issues = lists[index] as IssueList;
    const extra: LabIssue[] = [...(lab.warnings ?? [])];
    checkId(lab, issues);
    for (const step of lab.steps) {
      if (step.checks.length === 0) {
        issues.error(step.line, `step "${step.id}" has no checkpoint: add a \`\`\`check block that shows the step worked`);
      }
    }
    checkReferences(lab, issues);
    checkVariables(lab, issues);
    checkSampleSizes(lab, issues);
    const runnable = lab.steps.flatMap((s) => [...s.commands, ...s.cleanup]);
    extra.push(...(await checkFiles(lab, runnable, opts.repoDir ?? collectionRoot(lab.dir), issues)));
    extras.push(extra);
    // norun blocks never run, so the files they name need not exist; learners paste them, so they must still be sound shell.
    const shown = [...runnable, ...lab.steps.flatMap((s) => s.norun ?? [])];
    checkRetired(lab, shown, issues);
    for (const block of shown) shell.push({ block, lab: index });
  }
  if (opts.shellcheck !== false) await checkShell(shell, lists, opts.runner);
  return lists.map((list, i) => sortIssues([...list.items, ...(extras[i] ?? [])]));
}

/** Statistical checks whose explicit `requests` could never (or hardly ever) fail them. */
function checkSampleSizes(lab: Lab, issues: IssueList): void {
  for (const step of lab.steps) {
    for (const check of [...step.before, ...step.checks]) {
      const warning = sampleSizeWarning(check);
      if (warning) issues.warn(check.line, warning);
    }
  }
}

async function checkShell(shell: Array<{ block: CodeBlock; lab: number }>, lists: IssueList[], runner?: ProcessRunner): Promise<void> {
  if (!runner) {
    for (const list of lists) list.warn(1, 'shell blocks were not checked: no process runner to start shellcheck with');
    return;
  }
  const result = await shellcheckBlocks(shell.map((s) => s.block), runner);
  if (result.ok) {
    for (const f of result.findings) lists[shell[f.block]?.lab ?? 0]?.add(f.severity, f.line, f.message);
  } else if (result.reason === 'missing') {
    for (const list of lists) list.warn(1, 'shell blocks were not checked: shellcheck is not installed (apt-get install shellcheck, brew install shellcheck)');
  } else {
    for (const list of lists) list.error(1, `shellcheck failed: ${result.detail}`);
  }
}

/** The lab's id is how users name it, and the folder is where authors look for it. */
function checkId(lab: Lab, issues: IssueList): void {
  const folder = basename(lab.dir);
  if (folder === lab.meta.id) return;
  issues.error(lineOfField(lab.file, 'id'), `id "${lab.meta.id}" differs from the lab's folder name "${folder}": rename one of them`);
}

function lineOfField(file: string, field: string): number {
  try {
    const lines = readFileSync(file, 'utf8').split('\n');
    const index = lines.findIndex((l) => l.startsWith(`${field}:`));
    return index === -1 ? 1 : index + 1;
  } catch {
    return 1;
  }
}

/** What a check names outside itself: a custom module beside lab.md, a cluster of the lab. */
function checkReferences(lab: Lab, issues: IssueList): void {
  const clusters = lab.meta.clusters.flatMap((c) => (c.name ? [c.name] : []));
  for (const step of lab.steps) {
    for (const check of [...step.before, ...step.checks]) {
      if (check.kind === 'custom' && !existsSync(resolve(lab.dir, check.spec.module))) {
        issues.error(check.line, `check "custom": module ${check.spec.module} not found beside lab.md`);
      }
      const cluster = check.options.cluster;
      if (cluster !== undefined && !cluster.includes('${') && !clusters.includes(cluster)) {
        const known = clusters.length ? `the lab's clusters are ${clusters.join(', ')}` : 'the lab has one cluster without a name';
        issues.error(check.line, `check "${check.kind}": cluster "${cluster}" is not a cluster of this lab (${known})`);
      }
    }
  }
}

/**
 * Checks run in order: a `check before` capture is usable by the step's checks, and any capture
 * by later checks of the step and every later step.
 */
function checkVariables(lab: Lab, issues: IssueList): void {
  const known = new Set(labVariableNames(lab.meta));
  for (const step of lab.steps) {
    for (const check of [...step.before, ...step.checks]) {
      for (const name of referencedVariables(check)) {
        if (known.has(name)) continue;
        const close = closestNames(name, [...known], 1)[0];
        issues.warn(
          check.line,
          `check "${check.kind}": \${${name}} is not a known variable${close ? ` (did you mean \${${close}}?)` : ''}: ` +
            'use the front matter env, a capture of an earlier check, or a built-in one',
        );
      }
      for (const name of capturedVariables(check)) known.add(name);
    }
  }
}

/** Existence of referenced files; validation of the manifests among them. Returns manifest issues. */
async function checkFiles(lab: Lab, blocks: CodeBlock[], repoDir: string, issues: IssueList): Promise<LabIssue[]> {
  const manifests = new Map<string, number>();
  const found: LabIssue[] = [];
  for (const block of blocks) {
    const { files, inline } = scanShell(block);
    for (const ref of files) {
      const path = resolveRef(ref, lab.dir, repoDir);
      if (!existsSync(path)) {
        issues.error(ref.line, missingMessage(ref, lab.dir, repoDir));
        continue;
      }
      if (ref.kustomize) {
        if (!['kustomization.yaml', 'kustomization.yml', 'Kustomization'].some((n) => existsSync(join(path, n)))) {
          issues.error(ref.line, `${ref.path} has no kustomization.yaml`);
        }
        continue;
      }
      if (!ref.manifest) continue;
      for (const file of manifestFiles(path)) if (!manifests.has(file)) manifests.set(file, ref.line);
    }
    for (const doc of inline) {
      for (const i of await validateManifest(doc.yaml)) {
        issues.add(i.severity, doc.line + i.line - 1, i.message);
      }
    }
  }
  for (const [file, line] of manifests) {
    const shown = displayPath(file);
    const text = readFileSync(file, 'utf8');
    for (const i of [...(await validateManifest(text)), ...retiredInText(text, 1)]) {
      found.push({ file: shown, line: i.line, message: `${i.message} (applied at ${issues.file}:${line})`, severity: i.severity });
    }
  }
  return found;
}

/** Images and downloads from retired registries: front matter and shell blocks (manifests: checkFiles). */
function checkRetired(lab: Lab, blocks: CodeBlock[], issues: IssueList): void {
  let text = '';
  try {
    text = readFileSync(lab.file, 'utf8');
  } catch {
    // A lab built in memory has no file; its blocks are still checked.
  }
  for (const i of [...retiredInFrontMatter(text), ...blocks.flatMap(retiredInShell)]) issues.add(i.severity, i.line, i.message);
}

function resolveRef(ref: FileRef, labDir: string, repoDir: string): string {
  if (ref.base === 'lab') return resolve(labDir, ref.path);
  if (ref.base === 'repo') return resolve(repoDir, ref.path);
  return resolve(repoDir, ref.cwd, ref.path);
}

function missingMessage(ref: FileRef, labDir: string, repoDir: string): string {
  if (ref.base === 'lab') return `file not found: $LAB_DIR/${ref.path} (the lab's folder)`;
  if (ref.base === 'repo') return `file not found: $REPO_DIR/${ref.path}`;
  const shown = ref.cwd ? `${ref.cwd}/${ref.path}` : ref.path;
  let message = `file not found: ${shown} (commands run in ${displayPath(repoDir)}, the folder holding labs/)`;
  if (!ref.cwd && existsSync(resolve(labDir, ref.path))) message += `; it exists beside lab.md: write $LAB_DIR/${ref.path}`;
  return message;
}

/** A file, or the manifests directly inside a directory (what `kubectl apply -f dir` reads). */
function manifestFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((n) => /\.(ya?ml|json)$/.test(n))
    .sort()
    .map((n) => join(path, n));
}
