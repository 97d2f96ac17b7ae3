/**
 * Content tests for the five Kubernetes labs (cluster-bootstrap, cert-rotation, canary-l4,
 * blue-green-ingress, ingress-ha). They read the lab documents and manifests as a learner and as
 * `kindlab run` would, without a cluster:
 * - front matter has what `kindlab list` and provisioning need;
 * - every step has a checkpoint, a hint and a cleanup block, and its check items fit the schema;
 * - every variable a check uses exists by the time the check runs;
 * - every manifest the commands use exists, parses and validates against the Kubernetes / Gateway API
 *   schemas (kubernetes-models, @kubernetes-models/gateway-api);
 * - every image is pinned to a tag (never :latest);
 * - every shell block passes shellcheck (as bash with `set -euo pipefail`);
 * - the project's own parser and validator (`kindlab validate`) accept each lab without issues.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { skipWithout } from '../support/requirements.js';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { ConfigMap, Pod, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { Gateway, HTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1';
import { checkKinds, commonCheckOptions, type CheckKind } from '../../src/model/check-schema.js';
import { frontMatterSchema } from '../../src/model/frontmatter-schema.js';
import { loadLab, parseLab } from '../../src/lab/parse.js';
import { validateLab } from '../../src/lab/validate.js';
import { createProcessRunner } from '../../src/platform/exec.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const labIds = ['cluster-bootstrap', 'cert-rotation', 'canary-l4', 'blue-green-ingress', 'ingress-ha'] as const;

// ------------------------------------------------------------------ a small reader of lab.md

interface Fence {
  info: string;
  code: string;
  /** 1-based line of the opening fence in lab.md. */
  line: number;
}

interface RawStep {
  id: string;
  title: string;
  line: number;
  fences: Fence[];
  hints: string[];
}

interface RawLab {
  id: string;
  text: string;
  meta: Record<string, unknown>;
  intro: Fence[];
  steps: RawStep[];
}

function readLab(id: string): RawLab {
  const text = readFileSync(join(repo, 'labs', id, 'lab.md'), 'utf8');
  const lines = text.split('\n');
  if (lines[0] !== '---') throw new Error(`${id}: lab.md must start with front matter`);
  const close = lines.indexOf('---', 1);
  if (close < 0) throw new Error(`${id}: front matter is not closed`);
  const meta = parseYaml(lines.slice(1, close).join('\n')) as Record<string, unknown>;
  const intro: Fence[] = [];
  const steps: RawStep[] = [];
  let i = close + 1;
  while (i < lines.length) {
    const line = lines[i] as string;
    const heading = /^## (.+?)\s*\{#([a-z0-9-]+)\}\s*$/.exec(line);
    if (heading) {
      steps.push({ id: heading[2] as string, title: heading[1] as string, line: i + 1, fences: [], hints: [] });
      i++;
      continue;
    }
    const open = /^```(.*)$/.exec(line);
    if (open) {
      const start = i;
      const body: string[] = [];
      i++;
      while (i < lines.length && lines[i] !== '```') body.push(lines[i++] as string);
      if (i >= lines.length) throw new Error(`${id}:${start + 1}: code fence is not closed`);
      const fence = { info: (open[1] as string).trim(), code: `${body.join('\n')}\n`, line: start + 1 };
      (steps.at(-1)?.fences ?? intro).push(fence);
      i++;
      continue;
    }
    const hint = /^> hint: (.+)$/.exec(line);
    if (hint && steps.length) steps.at(-1)?.hints.push(hint[1] as string);
    i++;
  }
  return { id, text, meta, intro, steps };
}

const labs = labIds.map(readLab);
const shellInfos = new Set(['sh', 'sh cleanup', 'sh norun']);
const allFences = (lab: RawLab) => [...lab.intro, ...lab.steps.flatMap((s) => s.fences)];
const shellFences = (lab: RawLab) => allFences(lab).filter((f) => shellInfos.has(f.info));
const checkFences = (step: RawStep) => step.fences.filter((f) => f.info === 'check' || f.info === 'check before');

// ------------------------------------------------------------------ manifests and images

interface Manifest {
  path: string;
  docs: Array<Record<string, unknown>>;
}

function readManifest(rel: string): Manifest {
  const text = readFileSync(join(repo, rel), 'utf8');
  const docs = parseAllDocuments(text).map((d) => {
    if (d.errors.length) throw new Error(`${rel}: ${d.errors[0]?.message}`);
    return d.toJS() as Record<string, unknown>;
  });
  return { path: rel, docs: docs.filter((d) => d !== null) };
}

type Model = new (data: never) => { validate(): void };
/** apiVersion/kind → model class. A kind missing here fails the test: add it deliberately. */
const models: Record<string, Model> = {
  'v1/ConfigMap': ConfigMap as unknown as Model,
  'v1/Pod': Pod as unknown as Model,
  'v1/Service': Service as unknown as Model,
  'apps/v1/Deployment': Deployment as unknown as Model,
  'networking.k8s.io/v1/Ingress': Ingress as unknown as Model,
  'gateway.networking.k8s.io/v1/Gateway': Gateway as unknown as Model,
  'gateway.networking.k8s.io/v1/HTTPRoute': HTTPRoute as unknown as Model,
};

function validateObject(obj: Record<string, unknown>): string | undefined {
  const key = `${String(obj.apiVersion)}/${String(obj.kind)}`;
  const Model = models[key];
  if (!Model) return `no schema model for ${key}`;
  try {
    new Model(obj as never).validate();
    return undefined;
  } catch (err) {
    return `${key} ${String((obj.metadata as { name?: string } | undefined)?.name)}: ${(err as Error).message}`;
  }
}

/** Every container image in an object (pods and pod templates). */
function imagesOf(obj: Record<string, unknown>): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if ((k === 'containers' || k === 'initContainers') && Array.isArray(child)) {
          for (const c of child) if (c && typeof (c as { image?: unknown }).image === 'string') out.push((c as { image: string }).image);
        }
        walk(child);
      }
    }
  };
  walk(obj);
  return out;
}

/** A pinned image reference: a tag that is not "latest" (a digest may follow). */
function pinProblem(image: string): string | undefined {
  const withoutDigest = image.split('@')[0] as string;
  const lastSegment = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  const colon = lastSegment.indexOf(':');
  if (colon < 0) return `${image}: no tag`;
  const tag = lastSegment.slice(colon + 1);
  if (!tag || tag === 'latest' || /latest/.test(tag)) return `${image}: floating tag "${tag}"`;
  if (image.includes('@') && !/@sha256:[0-9a-f]{64}$/.test(image)) return `${image}: malformed digest`;
  return undefined;
}

/** The image argument of each `docker run` in a shell block (continuation lines joined). */
function dockerRunImages(code: string): string[] {
  const joined = code.replace(/\\\n/g, ' ');
  const out: string[] = [];
  const valued = new Set(['--name', '--network', '-v', '--volume', '-e', '--env', '-p', '--publish', '--entrypoint', '--platform', '-w', '--user', '-u']);
  for (const line of joined.split('\n')) {
    const at = line.indexOf('docker run ');
    if (at < 0) continue;
    const tokens = line.slice(at + 'docker run '.length).trim().split(/\s+/);
    for (let t = 0; t < tokens.length; t++) {
      const tok = tokens[t] as string;
      if (tok.startsWith('-')) {
        if (valued.has(tok)) t++;
        continue;
      }
      out.push(tok.replace(/^["']|["']$/g, ''));
      break;
    }
  }
  return out;
}

/** The YAML files in manifests/<id>/ (none when the lab ships no manifests). */
function manifestFiles(id: string): string[] {
  const dir = join(repo, 'manifests', id);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => `manifests/${id}/${f}`)
    .sort();
}

const manifestRefs = (lab: RawLab) =>
  [...new Set(shellFences(lab).filter((f) => f.info !== 'sh norun').flatMap((f) => f.code.match(/manifests\/[A-Za-z0-9._/-]+\.ya?ml/g) ?? []))].sort();

// ------------------------------------------------------------------ shellcheck

const shellcheckVersion = (() => {
  const r = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? /version: (\S+)/.exec(r.stdout)?.[1] ?? 'unknown' : undefined;
})();

function shellcheck(code: string): string {
  const r = spawnSync('shellcheck', ['--shell=bash', '--format=gcc', '-'], {
    input: `#!/usr/bin/env bash\nset -euo pipefail\n${code}`,
    encoding: 'utf8',
  });
  return r.status === 0 ? '' : `${r.stdout}${r.stderr}`.trim();
}

// ------------------------------------------------------------------ the tests

const builtinVariables = new Set(['KUBECONFIG', 'KINDLAB_CLUSTER', 'KINDLAB_LAB', 'LAB_DIR', 'REPO_DIR', 'ISTIO_HOME', 'PATH', 'HOME']);

describe.each(labs)('lab $id', (lab) => {
  it('has front matter with the required fields, matching the schema', () => {
    const fm = frontMatterSchema.parse(lab.meta);
    expect(fm.id).toBe(lab.id);
    expect(fm.title.length).toBeGreaterThan(10);
    expect(fm.summary.length).toBeGreaterThan(40);
    expect(fm.source.title).toBeTruthy();
    expect(fm.duration).toMatch(/^\d+m$/);
    expect(fm.tags).toContain('kubernetes');
    expect(fm.requires.memoryGiB).toBeGreaterThan(0);
    expect(fm.requires.cpus).toBeGreaterThan(0);
    expect(fm.clusters).toHaveLength(1);
    // about 1 GiB per kind node: the stated memory must cover the topology
    const cluster = fm.clusters[0]!;
    const nodeCount = cluster.nodes ? cluster.nodes.length : 1 + (cluster.workers ?? 0);
    expect(fm.requires.memoryGiB).toBeGreaterThanOrEqual(nodeCount);
  });

  it('has steps with a stable id, commands, at least one checkpoint, a hint and a cleanup block', () => {
    expect(lab.steps.length).toBeGreaterThanOrEqual(3);
    const ids = lab.steps.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const step of lab.steps) {
      const where = `${lab.id} step ${step.id} (line ${step.line})`;
      expect(step.fences.filter((f) => f.info === 'sh').length, `${where}: no \`\`\`sh block`).toBeGreaterThanOrEqual(1);
      expect(step.fences.filter((f) => f.info === 'check').length, `${where}: no \`\`\`check block`).toBeGreaterThanOrEqual(1);
      expect(step.hints.length, `${where}: no "> hint:" line`).toBeGreaterThanOrEqual(1);
      expect(step.fences.filter((f) => f.info === 'sh cleanup').length, `${where}: no \`\`\`sh cleanup block`).toBe(1);
      for (const f of step.fences) {
        expect(['sh', 'sh cleanup', 'sh norun', 'check', 'check before'], `${where}: fence "${f.info}" at line ${f.line}`).toContain(f.info);
      }
    }
  });

  it('writes every check item as exactly one known kind plus common options, valid against the check schema', () => {
    const kindNames = Object.keys(checkKinds) as CheckKind[];
    const optionNames = Object.keys(commonCheckOptions.shape);
    for (const step of lab.steps) {
      for (const fence of checkFences(step)) {
        const items = parseYaml(fence.code) as unknown;
        expect(Array.isArray(items), `${lab.id}:${fence.line}: a check block is a YAML list`).toBe(true);
        for (const item of items as Array<Record<string, unknown>>) {
          const keys = Object.keys(item);
          const kinds = keys.filter((k) => (kindNames as string[]).includes(k));
          expect(kinds, `${lab.id}:${fence.line}: ${JSON.stringify(item).slice(0, 80)}`).toHaveLength(1);
          const kind = kinds[0] as CheckKind;
          const rest = Object.fromEntries(keys.filter((k) => k !== kind).map((k) => [k, item[k]]));
          for (const k of Object.keys(rest)) expect(optionNames, `${lab.id}:${fence.line}: option ${k}`).toContain(k);
          const spec = checkKinds[kind].safeParse(item[kind]);
          expect(spec.success, `${lab.id}:${fence.line} ${kind}: ${spec.success ? '' : spec.error.message}`).toBe(true);
          const options = commonCheckOptions.safeParse(rest);
          expect(options.success, `${lab.id}:${fence.line} options: ${options.success ? '' : options.error.message}`).toBe(true);
        }
      }
    }
  });

  it('uses in checks only variables that exist by then (built-in, front matter env, or captured earlier)', () => {
    const fm = frontMatterSchema.parse(lab.meta);
    const known = new Set([...builtinVariables, ...Object.keys(fm.env)]);
    for (const step of lab.steps) {
      // `check before` runs first, then the step's checks in order
      const ordered = [...step.fences.filter((f) => f.info === 'check before'), ...step.fences.filter((f) => f.info === 'check')];
      for (const fence of ordered) {
        for (const item of parseYaml(fence.code) as Array<Record<string, unknown>>) {
          const { capture, ...rest } = item as { capture?: Record<string, string> };
          for (const m of JSON.stringify(rest).matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
            expect(known.has(m[1] as string), `${lab.id}:${fence.line}: \${${m[1]}} is not defined yet`).toBe(true);
          }
          for (const name of Object.keys(capture ?? {})) known.add(name);
        }
      }
    }
  });

  it('references only manifests that exist in its own folder, and uses every manifest it ships', () => {
    const refs = manifestRefs(lab);
    for (const ref of refs) {
      expect(ref.startsWith(`manifests/${lab.id}/`), `${ref} is outside manifests/${lab.id}/`).toBe(true);
      expect(existsSync(join(repo, ref)), `${ref} does not exist`).toBe(true);
    }
    expect(manifestFiles(lab.id)).toEqual(refs);
  });

  it('ships manifests that parse as YAML and validate against the Kubernetes and Gateway API schemas', () => {
    const files = manifestFiles(lab.id);
    // cert-rotation works on the node's PKI only and needs no manifest
    if (lab.id !== 'cert-rotation') expect(files.length).toBeGreaterThan(0);
    for (const rel of files) {
      const manifest = readManifest(rel);
      expect(manifest.docs.length, `${manifest.path} is empty`).toBeGreaterThan(0);
      for (const obj of manifest.docs) {
        expect(String(obj.apiVersion), `${manifest.path}: apiVersion`).toMatch(/^(v1|apps\/v1|networking\.k8s\.io\/v1|gateway\.networking\.k8s\.io\/v1)$/);
        expect((obj.metadata as { name?: string } | undefined)?.name, `${manifest.path}: metadata.name`).toBeTruthy();
        expect(validateObject(obj), manifest.path).toBeUndefined();
      }
    }
  });

  it('pins every image to a tag (manifests, front matter images, docker run)', () => {
    const fm = frontMatterSchema.parse(lab.meta);
    const images = [
      ...manifestFiles(lab.id).flatMap((rel) => readManifest(rel).docs.flatMap(imagesOf)),
      ...fm.images,
      ...shellFences(lab).flatMap((f) => dockerRunImages(f.code)),
      ...allFences(lab).flatMap((f) => [...f.code.matchAll(/--image\s+(\S+)/g)].map((m) => m[1] as string)),
    ];
    for (const image of images) expect(pinProblem(image), image).toBeUndefined();
  });

  it.skipIf(skipWithout({ name: 'shellcheck', available: shellcheckVersion !== undefined, install: 'apt-get install shellcheck' }))(`passes shellcheck on every shell block (shellcheck ${shellcheckVersion ?? 'missing'})`, () => {
    const blocks = shellFences(lab);
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) expect(shellcheck(block.code), `${lab.id}/lab.md:${block.line} (${block.info})`).toBe('');
  });
});

describe('cross-lab consistency', () => {
  it('pins the same kind node image, cloud-provider-kind image and ingress-nginx chart as the platform', async () => {
    const pinsFile = join(repo, 'src/platform/tools/pins.ts');
    if (!existsSync(pinsFile)) return;
    const { PINS } = (await import('../../src/platform/tools/pins.js')) as {
      PINS: { defaultK8s: string; nodeImages: Array<{ k8s: string; image: string }>; cloudProviderKindImage: string; ingressNginx: { chart: string } };
    };
    const node = PINS.nodeImages.find((n) => n.k8s === PINS.defaultK8s)?.image;
    for (const lab of labs) {
      for (const f of allFences(lab)) {
        for (const m of f.code.matchAll(/--image\s+(\S+)/g)) expect(m[1], `${lab.id}:${f.line}`).toBe(node);
        for (const m of f.code.matchAll(/registry\.k8s\.io\/cloud-provider-kind\/cloud-controller-manager:\S+/g)) {
          expect(m[0], `${lab.id}:${f.line}`).toBe(PINS.cloudProviderKindImage);
        }
        for (const m of f.code.matchAll(/ingress-nginx ingress-nginx[\s\S]*?--version\s+(\S+)/g)) expect(m[1], `${lab.id}:${f.line}`).toBe(PINS.ingressNginx.chart);
      }
    }
  });

  it('the schema models used above do reject broken objects (the validation is not a no-op)', () => {
    expect(validateObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { template: {} } })).toMatch(/selector/);
    const route = readManifest('manifests/blue-green-ingress/httproute-50.yaml').docs[0] as Record<string, unknown>;
    const broken = JSON.parse(JSON.stringify(route).replace('"weight":50', '"weight":"fifty"')) as Record<string, unknown>;
    expect(validateObject(route)).toBeUndefined();
    expect(validateObject(broken)).toBeDefined();
  });

  it('states that ingress-nginx is retired wherever a lab installs or uses it', () => {
    for (const lab of labs.filter((l) => /ingress-nginx/.test(l.text))) {
      expect(lab.text, lab.id).toMatch(/ingress-nginx project is retired/i);
    }
  });
});

// ------------------------------------------------------------------ the project's parser and validator

describe('the kindlab parser', () => {
  it.each(labIds)('parses %s with no errors or warnings, with the same steps as this reader', (id) => {
    const file = join(repo, 'labs', id, 'lab.md');
    const parsed = parseLab(file, readFileSync(file, 'utf8'));
    expect(parsed.warnings ?? []).toEqual([]);
    const raw = labs.find((l) => l.id === id) as RawLab;
    expect(parsed.steps.map((s) => s.id)).toEqual(raw.steps.map((s) => s.id));
    for (const step of parsed.steps) {
      expect(step.checks.length, `${id} ${step.id}`).toBeGreaterThan(0);
      expect(step.cleanup.length, `${id} ${step.id}`).toBeGreaterThan(0);
      expect(step.hints.length, `${id} ${step.id}`).toBeGreaterThan(0);
    }
  });
});

describe('kindlab validate', () => {
  it.each(labIds)('reports no issues for %s', async (id) => {
    const lab = await loadLab(join(repo, 'labs', id));
    // shellcheck runs above with a visible skip when missing; here only when present
    const issues = await validateLab(lab, shellcheckVersion ? { repoDir: repo, runner: createProcessRunner() } : { repoDir: repo, shellcheck: false });
    expect(issues.map((i) => `${i.severity} line ${i.line}: ${i.message}`)).toEqual([]);
  }, 60_000);
});
