/**
 * Content tests for the five Istio labs (istio-bookinfo, istio-traffic, istio-observability,
 * istio-tracing, istio-resilience): front matter, steps, checks, manifests, sample references,
 * image pinning and shell blocks. No cluster needed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { commandWorks, skipWithout, type Requirement } from '../support/requirements.js';
import { parseAllDocuments } from 'yaml';
import { DestinationRule, Gateway, VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1';
import { Telemetry } from '@kubernetes-models/istio/telemetry.istio.io/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Namespace, Service, ServiceAccount } from 'kubernetes-models/v1';
import { checkKinds, commonCheckOptions } from '../../src/model/check-schema.js';
import { allSh, blocksOf, checkItems, kindOf, readLab, repo, runnableSh } from './raw-lab.js';
import { retiredLines, sampleUses } from './sample-images.js';
import { frontMatterSchema } from '../../src/model/frontmatter-schema.js';

const labIds = ['istio-bookinfo', 'istio-traffic', 'istio-observability', 'istio-tracing', 'istio-resilience'] as const;
const labs = labIds.map((id) => readLab(id));

// ---------------------------------------------------------------- upstream facts (verified on istio/istio release-1.31)

/** Files of the Istio 1.31 release that the labs use; checked against the release-1.31 branch. */
const knownSamples = new Set([
  'samples/bookinfo/platform/kube/bookinfo.yaml',
  'samples/bookinfo/networking/bookinfo-gateway.yaml',
  'samples/bookinfo/networking/destination-rule-all.yaml',
  'samples/bookinfo/networking/virtual-service-all-v1.yaml',
  'samples/bookinfo/networking/virtual-service-reviews-test-v2.yaml',
  'samples/bookinfo/networking/virtual-service-ratings-test-delay.yaml',
  'samples/bookinfo/networking/virtual-service-ratings-test-abort.yaml',
  'samples/bookinfo/networking/virtual-service-reviews-50-v3.yaml',
  'samples/bookinfo/networking/virtual-service-reviews-v3.yaml',
  'samples/bookinfo/networking/virtual-service-reviews-v2-v3.yaml',
  'samples/bookinfo/src/productpage/productpage.py',
  'samples/addons/prometheus.yaml',
  'samples/addons/grafana.yaml',
  'samples/addons/kiali.yaml',
  'samples/addons/jaeger.yaml',
  'samples/addons/extras/zipkin.yaml',
  'samples/helloworld/helloworld.yaml',
  'samples/httpbin/httpbin.yaml',
  'samples/httpbin/sample-client/fortio-deploy.yaml',
  'samples/curl/curl.yaml',
]);

/** Variables the platform provides to every command and check. */
const platformVars = new Set(['KUBECONFIG', 'KINDLAB_CLUSTER', 'ISTIO_HOME', 'LAB_DIR', 'REPO_DIR', 'TMPDIR', 'PATH', 'HOME']);

// ---------------------------------------------------------------- manifests

type Validator = (obj: Record<string, unknown>) => void;
const validators: Record<string, Validator> = {
  'v1/Namespace': (o) => new Namespace(o).validate(),
  'v1/Service': (o) => new Service(o).validate(),
  'v1/ServiceAccount': (o) => new ServiceAccount(o).validate(),
  'apps/v1/Deployment': (o) => new Deployment(o).validate(),
  'networking.istio.io/v1/VirtualService': (o) => new VirtualService(o).validate(),
  'networking.istio.io/v1/DestinationRule': (o) => new DestinationRule(o).validate(),
  'networking.istio.io/v1/Gateway': (o) => new Gateway(o).validate(),
  'telemetry.istio.io/v1/Telemetry': (o) => new Telemetry(o).validate(),
};

function manifestFiles(id: string): string[] {
  const dir = join(repo, 'manifests', id);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => join(dir, f));
}

function manifestObjects(file: string): Record<string, unknown>[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => {
      if (d.errors.length) throw new Error(`${file}: ${d.errors[0]?.message}`);
      return d.toJS() as Record<string, unknown> | null;
    })
    .filter((o): o is Record<string, unknown> => o !== null);
}

function imagesIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => imagesIn(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'image' && typeof v === 'string') out.push(v);
      else imagesIn(v, out);
    }
  }
  return out;
}

/** A pinned image names a registry path and a fixed tag or digest; never latest-like tags. */
function isPinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const m = /^[a-z0-9.-]+(?::\d+)?\/[a-z0-9._/-]+:([\w.-]+)$/.exec(image);
  return !!m && !/^(latest|latest_release|main|master|stable|dev)$/i.test(m[1] as string);
}

// ---------------------------------------------------------------- shellcheck

const shellcheck: Requirement = { name: 'shellcheck', available: commandWorks('shellcheck'), install: 'apt-get install shellcheck' };
const python3: Requirement = { name: 'python3', available: commandWorks('python3'), install: 'apt-get install python3' };
const scratch = mkdtempSync(join(tmpdir(), 'istio-labs-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// ---------------------------------------------------------------- the tests

describe.each(labs.map((lab) => [lab.id, lab] as const))('lab %s', (id, lab) => {
  it('front matter matches the schema, with the resources an Istio lab needs', () => {
    const parsed = frontMatterSchema.safeParse(lab.frontMatter);
    expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues, null, 2)).toBe(true);
    if (!parsed.success) return;
    const fm = parsed.data;
    expect(fm.id).toBe(id);
    expect(fm.title.length).toBeGreaterThan(3);
    expect(fm.summary.length).toBeGreaterThan(20);
    expect(fm.source.title).toBeTruthy();
    expect(fm.requires.memoryGiB).toBeGreaterThanOrEqual(8);
    expect(fm.requires.cpus).toBeGreaterThanOrEqual(4);
    expect(fm.clusters).toHaveLength(1);
    const workers = fm.clusters[0]?.workers ?? (fm.clusters[0]?.nodes ?? []).filter((n) => n.role === 'worker').length;
    expect(workers).toBeGreaterThanOrEqual(1);
    expect(workers).toBeLessThanOrEqual(2);
    const addonNames = fm.addons.map((a) => (typeof a === 'string' ? a : Object.keys(a)[0]));
    expect(addonNames).toContain('cloud-provider-kind');
    // istio-bookinfo installs Istio in a step (that is its lesson); the others declare it.
    if (id === 'istio-bookinfo') expect(addonNames).not.toContain('istio');
    else expect(fm.addons).toContainEqual({ istio: { profile: 'demo' } });
  });

  it('has an introduction and unique step ids', () => {
    expect(lab.steps.length).toBeGreaterThanOrEqual(3);
    const intro = lab.text.slice(0, lab.text.indexOf('\n## '));
    expect(intro).toMatch(/\n# .+/);
    const ids = lab.steps.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const step of lab.steps) expect(step.title, `step at line ${step.line}`).toMatch(/\{#|[a-z]/i);
  });

  it('every step has commands, a cleanup, at least one check and one hint', () => {
    for (const step of lab.steps) {
      const where = `${id} step "${step.id}" (line ${step.line})`;
      expect(step.blocks.filter((b) => b.info === 'sh').length, `${where}: sh block`).toBeGreaterThan(0);
      expect(step.blocks.filter((b) => b.info === 'sh cleanup').length, `${where}: sh cleanup block`).toBeGreaterThan(0);
      const checks = step.blocks.filter((b) => b.info === 'check').flatMap(checkItems);
      expect(checks.length, `${where}: checks`).toBeGreaterThan(0);
      expect(step.hints.length, `${where}: hints`).toBeGreaterThan(0);
      for (const b of step.blocks) expect(['sh', 'sh cleanup', 'sh norun', 'check', 'check before'], `${where}: fence "${b.info}"`).toContain(b.info);
    }
  });

  it('every checkpoint is a valid check of exactly one kind', () => {
    for (const step of lab.steps) {
      for (const block of step.blocks.filter((b) => b.info.startsWith('check'))) {
        for (const item of checkItems(block)) {
          const where = `${id} step "${step.id}" check block line ${block.line}: ${JSON.stringify(item).slice(0, 120)}`;
          const kinds = kindOf(item);
          expect(kinds, where).toHaveLength(1);
          const kind = kinds[0] as keyof typeof checkKinds;
          const spec = checkKinds[kind].safeParse(item[kind]);
          expect(spec.success, `${where}\n${spec.success ? '' : JSON.stringify(spec.error.issues)}`).toBe(true);
          const { [kind]: _spec, ...options } = item;
          const opts = commonCheckOptions.safeParse(options);
          expect(opts.success, `${where}\n${opts.success ? '' : JSON.stringify(opts.error.issues)}`).toBe(true);
        }
      }
    }
  });

  it('regular expressions in checks compile', () => {
    const regexFields = new Set(['body', 'bodyNot', 'stdout', 'stdoutNot', 'stderr', 'stat']);
    const visit = (value: unknown, key: string, parentKey: string) => {
      if (typeof value === 'string' && (regexFields.has(key) || parentKey === 'classes')) {
        expect(() => new RegExp(value), `${id}: /${value}/`).not.toThrow();
      } else if (Array.isArray(value)) value.forEach((v) => visit(v, key, parentKey));
      else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) visit(v, k, key);
    };
    for (const block of lab.steps.flatMap((s) => s.blocks.filter((b) => b.info.startsWith('check')))) {
      for (const item of checkItems(block)) visit(item, '', '');
    }
  });

  it('the reviews classifiers tell v1, v2 and v3 apart on real response shapes', () => {
    // Shapes from samples/bookinfo/src/reviews/.../LibertyRestEndpoint.java, re-serialised by productpage (json.dumps).
    const review = (rating?: object) => ({ reviewer: 'Reviewer1', text: 'An extremely entertaining play', ...(rating ? { rating } : {}) });
    const body = (rating?: object) => JSON.stringify({ id: '0', podname: 'reviews-vX-1', clustername: 'null', reviews: [review(rating), review(rating)] }, null, 0).replace(/":/g, '": ');
    const samples = {
      v1: body(),
      v2: body({ stars: 5, color: 'black' }),
      v3: body({ stars: 5, color: 'red' }),
      'ratings-error': body({ error: 'Ratings service is currently unavailable' }),
    };
    for (const block of lab.steps.flatMap((s) => s.blocks.filter((b) => b.info === 'check'))) {
      for (const item of checkItems(block)) {
        const traffic = item.traffic as { url: string; classify: { source?: string; classes: Record<string, string> } } | undefined;
        if (!traffic?.url.includes('/api/v1/products/0/reviews')) continue;
        const classOf = (text: string) => Object.entries(traffic.classify.classes).find(([, re]) => new RegExp(re).test(text))?.[0];
        for (const [version, text] of Object.entries(samples)) {
          const got = classOf(text);
          if (version in traffic.classify.classes) expect(got, `${id}: a ${version} response`).toBe(version);
          else expect(got, `${id}: a ${version} response must not count as v1`).not.toBe('v1');
        }
      }
    }
  });

  it('variables used in checks and commands are defined', () => {
    const fm = lab.frontMatter as { env?: Record<string, string> };
    const known = new Set([...platformVars, ...Object.keys(fm.env ?? {})]);
    for (const step of lab.steps) {
      for (const block of step.blocks) {
        if (block.info.startsWith('check')) {
          for (const item of checkItems(block)) {
            const { capture, ...rest } = item as { capture?: Record<string, string> };
            for (const m of JSON.stringify(rest).matchAll(/\$\{([A-Z][A-Z0-9_]*)\}/g)) {
              expect(known.has(m[1] as string), `${id} step "${step.id}": \${${m[1]}} is not defined before use`).toBe(true);
            }
            for (const name of Object.keys(capture ?? {})) known.add(name);
          }
        } else {
          const assigned = new Set([...block.code.matchAll(/(?:^|\s|;)([A-Z][A-Z0-9_]*)=/g)].map((m) => m[1] as string));
          for (const m of block.code.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)) {
            const name = m[1] as string;
            expect(known.has(name) || assigned.has(name), `${id} step "${step.id}" line ${block.line}: $${name} is not defined`).toBe(true);
          }
        }
      }
    }
  });

  it('referenced manifests and helper files exist; samples come from the Istio release', () => {
    for (const block of allSh(lab)) {
      for (const m of block.code.matchAll(/(?<![\w/$])(manifests\/[\w./-]+\.ya?ml)/g)) {
        expect(existsSync(join(repo, m[1] as string)), `${id}: ${m[1]}`).toBe(true);
      }
      for (const m of block.code.matchAll(/\$\{?LAB_DIR\}?\/([\w./-]+)/g)) {
        expect(existsSync(join(repo, 'labs', id, m[1] as string)), `${id}: labs/${id}/${m[1]}`).toBe(true);
      }
      for (const m of block.code.matchAll(/\$\{?ISTIO_HOME\}?"?\/(samples\/[\w./-]+)/g)) {
        expect(knownSamples.has(m[1] as string), `${id}: ${m[1]} is not a verified Istio 1.31 sample path`).toBe(true);
      }
      // Samples are applied from the release, never from copies in this repository.
      expect(block.code, `${id}: apply samples from $ISTIO_HOME`).not.toMatch(/(?<!ISTIO_HOME"?\/)(?<![\w$/])samples\/(bookinfo|addons|httpbin|helloworld|curl)\//);
    }
    for (const block of lab.steps.flatMap((s) => s.blocks.filter((b) => b.info.startsWith('check')))) {
      for (const m of block.code.matchAll(/\$LAB_DIR\/([\w./-]+)/g)) {
        expect(existsSync(join(repo, 'labs', id, m[1] as string)), `${id}: labs/${id}/${m[1]}`).toBe(true);
      }
    }
  });

  it('its own manifests validate and use networking.istio.io/v1 and telemetry.istio.io/v1', () => {
    for (const file of manifestFiles(id)) {
      const rel = relative(repo, file);
      const objects = manifestObjects(file);
      expect(objects.length, rel).toBeGreaterThan(0);
      for (const obj of objects) {
        const apiVersion = String(obj.apiVersion);
        const kind = String(obj.kind);
        expect(apiVersion, `${rel}: ${kind}`).not.toMatch(/v1alpha3|v1beta1|v1alpha1/);
        if (apiVersion.startsWith('networking.istio.io')) expect(apiVersion).toBe('networking.istio.io/v1');
        if (apiVersion.startsWith('telemetry.istio.io')) expect(apiVersion).toBe('telemetry.istio.io/v1');
        const validate = validators[`${apiVersion}/${kind}`];
        expect(validate, `${rel}: no validator for ${apiVersion} ${kind}`).toBeDefined();
        expect(() => validate?.(obj), `${rel}: ${kind} ${(obj.metadata as { name?: string })?.name}`).not.toThrow();
        expect((obj.metadata as { name?: string })?.name, rel).toMatch(/^[a-z0-9-]+$/);
      }
    }
    for (const block of allSh(lab)) expect(block.code).not.toMatch(/v1alpha3|v1beta1/);
  });

  it('pins every image it pulls (manifests, front matter, sample rewrites)', () => {
    const fm = lab.frontMatter as { images?: string[]; env?: Record<string, string> };
    for (const image of fm.images ?? []) expect(isPinned(image), `${id} front matter image ${image}`).toBe(true);
    for (const file of manifestFiles(id)) {
      for (const image of imagesIn(manifestObjects(file))) expect(isPinned(image), `${relative(repo, file)}: ${image}`).toBe(true);
    }
    for (const [name, value] of Object.entries(fm.env ?? {})) {
      if (name.endsWith('_IMAGE')) expect(isPinned(value), `${id} env ${name}=${value}`).toBe(true);
    }
    // The fortio sample floats (latest_release, pull Always): it may only be applied through the image rewrite.
    for (const block of runnableSh(lab)) {
      const text = block.code.replace(/\\\n/g, ' ');
      for (const line of text.split('\n').filter((l) => l.includes('fortio-deploy.yaml'))) {
        expect(line, `${id} line ${block.line}: fortio sample applied without pinning`).toMatch(/sed .*image: .*fortio\/fortio:.*\$\{FORTIO_IMAGE\}/);
        expect(line).toMatch(/imagePullPolicy: Always#imagePullPolicy: IfNotPresent/);
      }
    }
  });

  it('pulls nothing from a retired registry: samples with retired images go through the rewrite, and images lists what they pull', () => {
    expect(retiredLines(lab.file, lab.text.slice(0, lab.text.indexOf('\n---\n', 4)))).toEqual([]);
    for (const file of manifestFiles(id)) expect(retiredLines(file)).toEqual([]);
    for (const block of allSh(lab)) expect(retiredLines(`${lab.file}:${block.line}`, block.code)).toEqual([]);
    const uses = sampleUses(lab).filter((u) => u.applies);
    for (const u of uses) expect(u.rewritten, `${id}: ${u.line}`).toBe(true);
    const listed = ((lab.frontMatter as { images?: string[] }).images ?? []).filter((i) => i.includes('/examples-'));
    expect(new Set(listed)).toEqual(new Set(uses.flatMap((u) => u.images)));
  });

  it('never installs Jaeger and Zipkin together', () => {
    const code = runnableSh(lab)
      .map((b) => b.code)
      .join('\n');
    const jaeger = /addons\/jaeger\.yaml/.test(code.replace(/^.*delete.*$/gm, ''));
    const zipkin = /extras\/zipkin\.yaml/.test(code.replace(/^.*delete.*$/gm, ''));
    expect(jaeger && zipkin, `${id} applies both jaeger.yaml and extras/zipkin.yaml`).toBe(false);
    // Nor does it apply the whole addons folder (which would bring Loki and every backend).
    expect(code).not.toMatch(/samples\/addons"?\s*$/m);
    expect(code).not.toMatch(/samples\/addons\/?"?(\s|$)(?!.*\.yaml)/);
  });

  it.skipIf(skipWithout(shellcheck))('every sh block and command check passes shellcheck', () => {
    for (const [n, block] of allSh(lab).entries()) {
      const file = join(scratch, `${id}-${n}-line${block.line}.sh`);
      // The runner executes blocks with bash and `set -euo pipefail`.
      writeFileSync(file, `#!/usr/bin/env bash\nset -euo pipefail\n${block.code}\n`);
      const res = spawnSync('shellcheck', ['-s', 'bash', '-f', 'gcc', file], { encoding: 'utf8' });
      expect(res.status, `${id} ${block.info} block at lab.md line ${block.line}:\n${res.stdout}${res.stderr}`).toBe(0);
    }
    // command checks run on the host with bash and `set -euo pipefail` too.
    for (const block of lab.steps.flatMap((s) => s.blocks.filter((b) => b.info.startsWith('check')))) {
      for (const [n, item] of checkItems(block).entries()) {
        const cmd = item.command as { run: string; on?: unknown } | undefined;
        if (!cmd || (cmd.on !== undefined && cmd.on !== 'host')) continue;
        const file = join(scratch, `${id}-check-line${block.line}-${n}.sh`);
        writeFileSync(file, `#!/usr/bin/env bash\nset -euo pipefail\n${cmd.run}\n`);
        const res = spawnSync('shellcheck', ['-s', 'bash', '-f', 'gcc', file], { encoding: 'utf8' });
        expect(res.status, `${id} command check in block at lab.md line ${block.line}:\n${res.stdout}${res.stderr}`).toBe(0);
      }
    }
  });
});

describe('Istio lab set', () => {
  it('covers the checkpoints the catalog asks for', () => {
    const kinds = (id: string) =>
      labs
        .find((l) => l.id === id)!
        .steps.flatMap((s) => s.blocks.filter((b) => b.info === 'check').flatMap(checkItems))
        .flatMap(kindOf);
    expect(kinds('istio-bookinfo')).toEqual(expect.arrayContaining(['rollout', 'sidecar', 'http', 'command', 'traffic', 'resource']));
    expect(kinds('istio-traffic')).toEqual(expect.arrayContaining(['latency', 'errors', 'traffic', 'command']));
    expect(kinds('istio-observability')).toEqual(expect.arrayContaining(['metrics', 'http', 'command']));
    expect(kinds('istio-tracing')).toEqual(expect.arrayContaining(['traces', 'http']));
    expect(kinds('istio-resilience')).toEqual(expect.arrayContaining(['traffic', 'errors', 'latency', 'load', 'envoyStat', 'resource']));
  });

  it('istio-resilience works in namespace demo and deletes it at the end', () => {
    const lab = labs.find((l) => l.id === 'istio-resilience')!;
    const last = lab.steps.at(-1)!;
    expect(last.blocks.find((b) => b.info === 'sh')?.code).toMatch(/kubectl delete namespace demo/);
    const ns = manifestObjects(join(repo, 'manifests/istio-resilience/namespace.yaml'))[0] as { metadata: { name: string; labels: Record<string, string> } };
    expect(ns.metadata).toEqual({ name: 'demo', labels: { 'istio-injection': 'enabled' } });
    for (const file of manifestFiles('istio-resilience')) {
      for (const obj of manifestObjects(file)) {
        if (obj.kind !== 'Namespace') expect((obj.metadata as { namespace?: string }).namespace, file).toBe('demo');
      }
    }
  });

  it('istio-bookinfo explains the NET_ADMIN/NET_RAW init container and Istio CNI', () => {
    const text = labs.find((l) => l.id === 'istio-bookinfo')!.text;
    expect(text).toMatch(/NET_ADMIN/);
    expect(text).toMatch(/NET_RAW/);
    expect(text).toMatch(/CNI/);
  });

  it('istio-observability binds port-forwards to 127.0.0.1 and says why', () => {
    const lab = labs.find((l) => l.id === 'istio-observability')!;
    for (const block of allSh(lab)) {
      expect(block.code).not.toMatch(/0\.0\.0\.0/);
      for (const line of block.code.replace(/\\\n/g, ' ').split('\n').filter((l) => /kubectl .*port-forward |istioctl dashboard /.test(l))) {
        expect(line).toMatch(/--address 127\.0\.0\.1/);
      }
    }
    expect(lab.text).toMatch(/0\.0\.0\.0/);
    // The reset stops the forwards by their recorded process ids, never by name.
    expect(lab.text).not.toMatch(/pkill|killall/);
  });

  it('istio-tracing explains the headers applications must forward', () => {
    const text = labs.find((l) => l.id === 'istio-tracing')!.text;
    for (const header of ['x-request-id', 'traceparent', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-sampled']) expect(text).toContain(header);
    expect(blocksOf(labs.find((l) => l.id === 'istio-tracing')!, 'sh').map((b) => b.code).join('\n')).toMatch(/telemetry-tracing\.yaml/);
  });

  it.skipIf(skipWithout(python3))('the Kiali helper script is valid Python', () => {
    const file = join(repo, 'labs/istio-observability/kiali-edges.py');
    execFileSync('python3', ['-c', 'import ast,sys; ast.parse(open(sys.argv[1]).read())', file]);
  });

  const parser = join(repo, 'src/lab/parse.ts');
  it('src/lab/parse.ts accepts every Istio lab', async () => {
    const mod = (await import(pathToFileURL(parser).href)) as {
      parseLab: (file: string, text: string) => { meta: { id: string }; steps: Array<{ id: string; checks: unknown[] }> };
    };
    for (const lab of labs) {
      const parsed = mod.parseLab(lab.file, lab.text);
      expect(parsed.meta.id).toBe(lab.id);
      expect(parsed.steps.map((s) => s.id)).toEqual(lab.steps.map((s) => s.id));
      for (const step of parsed.steps) expect(step.checks.length, `${lab.id} ${step.id}`).toBeGreaterThan(0);
    }
  });

  const validator = join(repo, 'src/lab/validate.ts');
  it('kindlab validate finds no errors in the Istio labs', async () => {
    const { parseLab } = (await import(pathToFileURL(parser).href)) as { parseLab: (file: string, text: string) => unknown };
    const { validateLabs } = (await import(pathToFileURL(validator).href)) as {
      validateLabs: (labs: unknown[], opts: { shellcheck: boolean }) => Promise<Array<Array<{ line: number; message: string; severity: string }>>>;
    };
    // shellcheck runs in the test above; here the rest of the project's own content checks.
    const results = await validateLabs(labs.map((l) => parseLab(l.file, l.text)), { shellcheck: false });
    for (const [i, issues] of results.entries()) {
      const errors = issues.filter((x) => x.severity === 'error').map((x) => `line ${x.line}: ${x.message}`);
      expect(errors, labs[i]?.id).toEqual([]);
    }
  });
});
