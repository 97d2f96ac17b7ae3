/**
 * Content tests for the two labs that reach beyond one cluster: mesh-expansion (a VM container
 * joins the mesh) and multicluster (one mesh over two kind clusters). Front matter and topology,
 * steps, checks, manifests, upstream references, image pinning, shell blocks, the VM container's
 * ownership, and `doctor`'s memory verdict for them. No cluster needed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commandWorks, skipWithout, type Requirement } from '../support/requirements.js';
import { parseAllDocuments } from 'yaml';
import { IstioOperator } from '@kubernetes-models/istio/install.istio.io/v1alpha1/IstioOperator';
import { Gateway, VirtualService, WorkloadGroup } from '@kubernetes-models/istio/networking.istio.io/v1';
import { Namespace, Service, ServiceAccount } from 'kubernetes-models/v1';
import { checkKinds, commonCheckOptions } from '../../src/model/check-schema.js';
import { allSh, blocksOf, checkItems, kindOf, readLab, repo, runnableSh, type RawLab as BaseLab, type RawStep } from './raw-lab.js';
import { retiredLines, SAMPLE_REWRITE, sampleUses } from './sample-images.js';
import { frontMatterSchema, type FrontMatter } from '../../src/model/frontmatter-schema.js';
import { parseLab } from '../../src/lab/parse.js';
import { validateLabs } from '../../src/lab/validate.js';
import { parseDockerInfo } from '../../src/platform/docker.js';
import { GiB } from '../../src/platform/doctor/types.js';
import { resourcesProbe } from '../../src/platform/doctor/probes/resources.js';
import { ownedContainerLabelArgs } from '../../src/platform/kind/names.js';
import { teardown } from '../../src/platform/kind/teardown.js';
import { resolveAddons } from '../../src/platform/addons/settings.js';
import { planLab } from '../../src/platform/platform.js';
import { PINS } from '../../src/platform/tools/pins.js';
import { resolvePins } from '../../src/platform/tools/versions.js';
import { dockerInfoFixture, fakeContext } from '../platform/doctor/fakes.js';
import { FakeRunner } from '../platform/kind/fakes.js';

const labIds = ['mesh-expansion', 'multicluster'] as const;

/** The shared reader's lab, with its front matter as the schema parses it; every step has an explicit {#id}. */
type RawLab = BaseLab & { meta: FrontMatter };
const labs: RawLab[] = labIds.map((id) => {
  const lab = readLab(id, { requireIds: true });
  return { ...lab, meta: frontMatterSchema.parse(lab.frontMatter) };
});
const labOf = (id: (typeof labIds)[number]) => labs.find((l) => l.id === id) as RawLab;
/** The intro's `sh norun` blocks too: a learner pastes them. */
const introSh = (lab: RawLab) => {
  const intro = lab.text.slice(0, lab.text.indexOf('\n## '));
  return [...intro.matchAll(/```sh norun\n([\s\S]*?)\n```/g)].map((m) => m[1] as string);
};
const checksOf = (lab: RawLab, info = 'check') => lab.steps.flatMap((s) => s.blocks.filter((b) => b.info === info).flatMap(checkItems));

// ---------------------------------------------------------------- upstream facts

/**
 * Release files the labs use, checked on istio/istio branch release-1.31. The release archive only
 * carries samples matching *.yaml, *.sh, *.md, ... (istio/release-builder pkg/build/archive.go), so
 * sources such as details.rb or mysqldb-init.sql are never read from $ISTIO_HOME.
 */
const knownSamples = new Set([
  'samples/bookinfo/platform/kube/bookinfo.yaml',
  'samples/bookinfo/platform/kube/bookinfo-ratings-v2-mysql-vm.yaml',
  'samples/bookinfo/networking/bookinfo-gateway.yaml',
  'samples/bookinfo/networking/destination-rule-all.yaml',
  'samples/bookinfo/networking/virtual-service-ratings-mysql-vm.yaml',
  'samples/multicluster/gen-eastwest-gateway.sh',
  'samples/multicluster/expose-istiod.yaml',
]);
const inReleaseArchive = (path: string) => /\.(yaml|md|sh|txt|pem|conf|tpl|json)$|\/Makefile$/.test(path);

/** Variables the platform and engine provide to every command and check. */
const platformVars = new Set(['KUBECONFIG', 'KINDLAB_CLUSTER', 'KINDLAB_LAB', 'KINDLAB_OWNER_LABELS', 'ISTIO_HOME', 'LAB_DIR', 'REPO_DIR', 'TMPDIR', 'PATH', 'HOME']);

// ---------------------------------------------------------------- manifests

type Validator = (obj: Record<string, unknown>) => void;
const validators: Record<string, Validator> = {
  'v1/Namespace': (o) => new Namespace(o).validate(),
  'v1/Service': (o) => new Service(o).validate(),
  'v1/ServiceAccount': (o) => new ServiceAccount(o).validate(),
  'networking.istio.io/v1/VirtualService': (o) => new VirtualService(o).validate(),
  'networking.istio.io/v1/Gateway': (o) => new Gateway(o).validate(),
  // Its constructor type requires spec; a manifest without one must fail validate(), not the compiler.
  'networking.istio.io/v1/WorkloadGroup': (o) => new WorkloadGroup(o as unknown as ConstructorParameters<typeof WorkloadGroup>[0]).validate(),
  'install.istio.io/v1alpha1/IstioOperator': (o) => new IstioOperator(o).validate(),
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
const objectsOf = (id: string) => manifestFiles(id).flatMap(manifestObjects);
const find = (id: string, kind: string, name: string) =>
  objectsOf(id).find((o) => o.kind === kind && (o.metadata as { name: string }).name === name) as Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any

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
  return !!m && !/^(latest|latest_release|main|master|stable|dev|\d+|bookworm|trixie)$/i.test(m[1] as string);
}

// ---------------------------------------------------------------- shellcheck

const shellcheckTool: Requirement = { name: 'shellcheck', available: commandWorks('shellcheck'), install: 'apt-get install shellcheck' };
const scratch = mkdtempSync(join(tmpdir(), 'expansion-labs-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function shellcheck(name: string, code: string): { status: number | null; output: string } {
  const file = join(scratch, `${name}.sh`);
  // The runner executes blocks with bash and `set -euo pipefail`.
  writeFileSync(file, `#!/usr/bin/env bash\nset -euo pipefail\n${code}\n`);
  const res = spawnSync('shellcheck', ['-s', 'bash', '-f', 'gcc', file], { encoding: 'utf8' });
  return { status: res.status, output: `${res.stdout}${res.stderr}` };
}

// ---------------------------------------------------------------- per lab

describe.each(labs.map((lab) => [lab.id, lab] as const))('lab %s', (id, lab) => {
  it('front matter matches the schema, with the memory a two-part mesh needs', () => {
    const fm = lab.meta;
    expect(fm.id).toBe(id);
    expect(fm.difficulty).toBe('advanced');
    expect(fm.summary.length).toBeGreaterThan(40);
    // The issue: 12-16 GiB for Docker, at least 4 CPUs.
    expect(fm.requires.memoryGiB).toBeGreaterThanOrEqual(12);
    expect(fm.requires.memoryGiB).toBeLessThanOrEqual(16);
    expect(fm.requires.cpus).toBeGreaterThanOrEqual(4);
    const addonNames = fm.addons.map((a) => (typeof a === 'string' ? a : Object.keys(a)[0]));
    expect(addonNames).toContain('cloud-provider-kind');
    // The platform accepts the topology as `up` would (names, subnets, addons).
    expect(() => {
      planLab(fm, resolvePins({}).nodeImage, false);
      resolveAddons(
        fm.addons,
        fm.clusters.map((c) => c.name ?? ''),
      );
    }).not.toThrow();
  });

  it('has an introduction and explicit, unique step ids', () => {
    expect(lab.steps.length).toBeGreaterThanOrEqual(5);
    const intro = lab.text.slice(0, lab.text.indexOf('\n## '));
    expect(intro).toMatch(/\n# .+/);
    const ids = lab.steps.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('every step has commands, a cleanup, at least one check and one hint', () => {
    for (const step of lab.steps) {
      const where = `${id} step "${step.id}" (line ${step.line})`;
      expect(step.blocks.filter((b) => b.info === 'sh').length, `${where}: sh block`).toBeGreaterThan(0);
      expect(step.blocks.filter((b) => b.info === 'sh cleanup').length, `${where}: sh cleanup block`).toBeGreaterThan(0);
      expect(step.blocks.filter((b) => b.info === 'check').flatMap(checkItems).length, `${where}: checks`).toBeGreaterThan(0);
      expect(step.hints.length, `${where}: hints`).toBeGreaterThan(0);
      for (const b of step.blocks) expect(['sh', 'sh cleanup', 'sh norun', 'check', 'check before'], `${where}: fence "${b.info}"`).toContain(b.info);
    }
  });

  it('every checkpoint is a valid check of exactly one kind, naming only the lab\'s clusters', () => {
    const clusters = new Set(lab.meta.clusters.map((c) => c.name ?? ''));
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
          if (opts.success && opts.data.cluster !== undefined) expect(clusters.has(opts.data.cluster), where).toBe(true);
        }
      }
    }
  });

  it('regular expressions in checks compile, with ${VAR}s standing for plain values', () => {
    const regexFields = new Set(['body', 'bodyNot', 'stdout', 'stdoutNot', 'stderr']);
    const visit = (value: unknown, key: string) => {
      if (typeof value === 'string' && regexFields.has(key)) {
        const filled = value.replace(/\$\{[A-Z_][A-Z0-9_]*\}/g, '10.0.0.1');
        expect(() => new RegExp(filled), `${id}: /${value}/`).not.toThrow();
      } else if (Array.isArray(value)) value.forEach((v) => visit(v, key));
      else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) visit(v, k);
    };
    for (const item of [...checksOf(lab), ...checksOf(lab, 'check before')]) visit(item, '');
  });

  it('variables used in checks and commands are defined before use', () => {
    const contextVars = lab.meta.clusters.flatMap((c) => (c.contextVar ? [c.contextVar] : []));
    const known = new Set([...platformVars, ...contextVars, ...Object.keys(lab.meta.env)]);
    for (const step of lab.steps) {
      for (const block of step.blocks) {
        if (block.info.startsWith('check')) {
          for (const item of checkItems(block)) {
            const { capture, ...rest } = item as { capture?: Record<string, string> };
            for (const m of JSON.stringify(rest).matchAll(/\$\{([A-Z][A-Z0-9_]*)[}#]/g)) {
              expect(known.has(m[1] as string), `${id} step "${step.id}": \${${m[1]}} is not defined before use`).toBe(true);
            }
            for (const name of Object.keys(capture ?? {})) known.add(name);
          }
        } else if (block.info !== 'sh norun') {
          const assigned = new Set([...block.code.matchAll(/(?:^|\s|;)([A-Z][A-Z0-9_]*)=/g)].map((m) => m[1] as string));
          for (const m of block.code.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)) {
            const name = m[1] as string;
            expect(known.has(name) || assigned.has(name), `${id} step "${step.id}" line ${block.line}: $${name} is not defined`).toBe(true);
          }
        }
      }
    }
  });

  it('referenced manifests exist; release files come from $ISTIO_HOME and are in the release archive', () => {
    for (const block of allSh(lab)) {
      for (const m of block.code.matchAll(/(?<![\w/$])(manifests\/[\w./-]+\.ya?ml)/g)) {
        expect(existsSync(join(repo, m[1] as string)), `${id}: ${m[1]}`).toBe(true);
        expect(m[1], `${id}: a lab only uses its own manifests`).toMatch(new RegExp(`^manifests/${id}/`));
      }
      for (const m of block.code.matchAll(/\$\{?ISTIO_HOME\}?"?\/([\w./-]+)/g)) {
        expect(knownSamples.has(m[1] as string), `${id}: ${m[1]} is not a verified Istio 1.31 release path`).toBe(true);
        expect(inReleaseArchive(m[1] as string), `${id}: ${m[1]} is not shipped in the release archive`).toBe(true);
      }
      expect(block.code, `${id}: use samples from $ISTIO_HOME`).not.toMatch(/(?<!ISTIO_HOME"?\/)(?<![\w$/])samples\/(bookinfo|multicluster)\//);
    }
  });

  it('its own manifests validate (Kubernetes, networking.istio.io/v1, IstioOperator) and are all used', () => {
    const files = manifestFiles(id);
    expect(files.length).toBeGreaterThan(0);
    const code = runnableSh(lab)
      .map((b) => b.code)
      .join('\n');
    for (const file of files) {
      const rel = relative(repo, file);
      expect(code, `${rel} is never applied`).toContain(rel);
      const objects = manifestObjects(file);
      expect(objects.length, rel).toBeGreaterThan(0);
      for (const obj of objects) {
        const apiVersion = String(obj.apiVersion);
        const kind = String(obj.kind);
        if (apiVersion.startsWith('networking.istio.io')) expect(apiVersion, `${rel}: ${kind}`).toBe('networking.istio.io/v1');
        const validate = validators[`${apiVersion}/${kind}`];
        expect(validate, `${rel}: no validator for ${apiVersion} ${kind}`).toBeDefined();
        expect(() => validate?.(obj), `${rel}: ${kind} ${(obj.metadata as { name?: string })?.name}`).not.toThrow();
        expect((obj.metadata as { name?: string })?.name, rel).toMatch(/^[a-z0-9-]+$/);
      }
    }
    for (const block of allSh(lab)) expect(block.code).not.toMatch(/v1alpha3|v1beta1/);
  });

  it('pins every image it names (front matter, env, manifests)', () => {
    for (const image of lab.meta.images) expect(isPinned(image), `${id} front matter image ${image}`).toBe(true);
    for (const [name, value] of Object.entries(lab.meta.env)) {
      if (name.endsWith('_IMAGE')) expect(isPinned(value), `${id} env ${name}=${value}`).toBe(true);
    }
    for (const file of manifestFiles(id)) {
      for (const image of imagesIn(manifestObjects(file))) expect(isPinned(image), `${relative(repo, file)}: ${image}`).toBe(true);
    }
  });

  it('pulls nothing from a retired registry: samples with retired images go through the rewrite, and images lists what they pull', () => {
    expect(retiredLines(lab.file, lab.text.slice(0, lab.text.indexOf('\n---\n', 4)))).toEqual([]);
    for (const file of manifestFiles(id)) expect(retiredLines(file)).toEqual([]);
    for (const block of allSh(lab)) expect(retiredLines(`${lab.file}:${block.line}`, block.code)).toEqual([]);
    const uses = sampleUses(lab).filter((u) => u.applies);
    expect(uses.length).toBeGreaterThan(0);
    for (const u of uses) expect(u.rewritten, `${id}: ${u.line}`).toBe(true);
    const listed = lab.meta.images.filter((i) => i.includes('/examples-'));
    expect(new Set(listed)).toEqual(new Set(uses.flatMap((u) => u.images)));
    // istiod and the proxies of the pinned release, which the VM's sidecar package must match.
    expect(lab.meta.images).toEqual(expect.arrayContaining([`docker.io/istio/pilot:${PINS.istio}`, `docker.io/istio/proxyv2:${PINS.istio}`]));
  });

  it('never kills processes by name', () => {
    expect(lab.text).not.toMatch(/\b(pkill|killall)\b/);
  });

  it.skipIf(skipWithout(shellcheckTool))('every sh block, the intro commands and every command check pass shellcheck', () => {
    for (const [n, block] of allSh(lab).entries()) {
      const res = shellcheck(`${id}-${n}-line${block.line}`, block.code);
      expect(res.status, `${id} ${block.info} block at lab.md line ${block.line}:\n${res.output}`).toBe(0);
    }
    for (const [n, code] of introSh(lab).entries()) {
      const res = shellcheck(`${id}-intro-${n}`, code);
      expect(res.status, `${id} intro block ${n}:\n${res.output}`).toBe(0);
    }
    for (const block of lab.steps.flatMap((s) => s.blocks.filter((b) => b.info.startsWith('check')))) {
      for (const [n, item] of checkItems(block).entries()) {
        const cmd = item.command as { run: string; on?: unknown } | undefined;
        if (!cmd || (cmd.on !== undefined && cmd.on !== 'host')) continue;
        const res = shellcheck(`${id}-check-line${block.line}-${n}`, cmd.run);
        expect(res.status, `${id} command check in block at lab.md line ${block.line}:\n${res.output}`).toBe(0);
      }
    }
  });
});

// ---------------------------------------------------------------- the two labs together

describe('expansion labs through the project parser and validator', () => {
  it('parseLab reads the same steps, each with checkpoints', () => {
    for (const lab of labs) {
      const parsed = parseLab(lab.file, lab.text);
      expect(parsed.meta.id).toBe(lab.id);
      expect(parsed.warnings ?? []).toEqual([]);
      expect(parsed.steps.map((s) => s.id)).toEqual(lab.steps.map((s) => s.id));
      for (const step of parsed.steps) {
        expect(step.checks.length, `${lab.id} ${step.id}`).toBeGreaterThan(0);
        expect(step.cleanup.length, `${lab.id} ${step.id}`).toBeGreaterThan(0);
      }
    }
  });

  it('kindlab validate finds no errors (shellcheck runs in the tests above)', async () => {
    const parsed = labs.map((l) => parseLab(l.file, l.text));
    const results = await validateLabs(parsed, { shellcheck: false });
    for (const [i, issues] of results.entries()) {
      const errors = issues.filter((x) => x.severity === 'error').map((x) => `line ${x.line}: ${x.message}`);
      expect(errors, labs[i]?.id).toEqual([]);
    }
  });
});

describe('doctor and the labs\' memory needs', () => {
  /** A Linux Docker host whose `docker info` reports this much memory. */
  const hostWith = (gib: number) => {
    const status = parseDockerInfo(dockerInfoFixture('linux-16gib'));
    if (status.state !== 'ok') throw new Error('fixture');
    return async () => ({ ...status, info: { ...status.info, memTotalBytes: gib * GiB } });
  };
  const verdict = async (id: (typeof labIds)[number], gib: number) => {
    const { meta } = labOf(id);
    const [memory] = await resourcesProbe.run(fakeContext('linux-16gib', { lab: { id: meta.id, requires: meta.requires, clusters: meta.clusters }, docker: hostWith(gib) }));
    return memory;
  };

  it.each(labIds)('%s: fails below the requirement, warns inside the margin, passes a 16 GiB Docker', async (id) => {
    const need = labOf(id).meta.requires.memoryGiB;
    expect(await verdict(id, 8)).toMatchObject({ status: 'fail', message: `Docker has 8.0 GiB of memory; lab "${id}" needs ${need} GiB` });
    expect((await verdict(id, need))?.status).toBe('warn');
    expect((await verdict(id, need + 1))?.status).toBe('warn');
    expect((await verdict(id, 16))?.status).toBe('ok');
  });
});

describe('mesh-expansion', () => {
  const lab = labOf('mesh-expansion');
  const code = () =>
    runnableSh(lab)
      .map((b) => b.code)
      .join('\n')
      .replace(/\s*\\\n\s*/g, ' ');

  it('installs Istio with a cluster name the VM files repeat', () => {
    const istio = lab.meta.addons.find((a) => typeof a === 'object' && 'istio' in a) as { istio: { profile?: string; set?: Record<string, string> } };
    expect(istio.istio.set?.['values.global.meshID']).toBe('mesh1');
    expect(istio.istio.set?.['values.global.multiCluster.clusterName']).toBe(lab.meta.env.CLUSTER_ID);
    expect(code()).toMatch(/istioctl x workload entry configure -f manifests\/mesh-expansion\/workloadgroup\.yaml .*--clusterID "\$CLUSTER_ID"/);
    expect(code()).toMatch(/--autoregister/);
  });

  it('starts the VM on the kind network with the capabilities and the ownership labels', () => {
    const run = code()
      .split('\n')
      .find((l) => l.startsWith('docker run '));
    expect(run).toBeDefined();
    expect(run).toMatch(/--network kind/);
    expect(run).toMatch(/--cap-add NET_ADMIN/);
    expect(run).toMatch(/--cap-add NET_RAW/);
    expect(run).toMatch(/"\$\{owner_labels\[@\]\}"/);
    expect(code()).toMatch(/read -r -a owner_labels <<<"\$\{KINDLAB_OWNER_LABELS:-\}"/);
    expect(lab.meta.env.VM_NAME).toBe('${KINDLAB_CLUSTER}-vm');
    // The last reset removes the container again.
    expect(blocksOf(lab, 'sh cleanup').map((b) => b.code).join('\n')).toMatch(/docker rm -f "\$VM_NAME"/);
  });

  it('`kindlab down mesh-expansion` removes a container carrying those labels, and no other lab does', async () => {
    const labels = ownedContainerLabelArgs('mesh-expansion');
    expect(labels).toEqual(['--label', 'dev.kindlab.owned=true', '--label', 'dev.kindlab.lab=mesh-expansion']);
    const labsDir = mkdtempSync(join(tmpdir(), 'expansion-down-'));
    try {
      const runner = new FakeRunner();
      runner.when(/docker ps -a --filter label=io.x-k8s.kind.cluster --format/, { stdout: 'kindlab-mesh-expansion\n' });
      // What `docker ps` prints for the VM started with those labels (id, name, lab label, scope label).
      runner.when(/docker ps -a --filter label=dev.kindlab.owned=true/, { stdout: 'c0ffee\tkindlab-mesh-expansion-vm\tmesh-expansion\t\n' });
      const deps = { runner, tools: { docker: 'docker' }, status: () => undefined, labsDir };
      expect((await teardown('multicluster', deps)).removedContainers).toEqual([]);
      const down = await teardown('mesh-expansion', deps);
      expect(down.removedContainers).toContain('kindlab-mesh-expansion-vm');
      expect(runner.find('docker rm -f -v c0ffee')).toHaveLength(1);
    } finally {
      rmSync(labsDir, { recursive: true, force: true });
    }
  });

  it('routes the VM to every node pod CIDR, read from the Node objects', () => {
    expect(code()).toMatch(/kubectl get nodes -o jsonpath='\{range \.items\[\*\]\}\{\.spec\.podCIDR\}.*InternalIP.*\|\s*while read -r cidr ip; do\s.*docker exec "\$VM_NAME" ip route replace "\$cidr" via "\$ip"/s);
  });

  it('installs the sidecar package of istiod\'s own version, for the VM\'s architecture, from the 1.31 artifact store', () => {
    const c = code();
    expect(c).toMatch(/ISTIO_VERSION=\$\{ISTIOD_IMAGE##\*:\}/);
    expect(c).toMatch(/DEB=istio-sidecar\.deb/);
    expect(c).toMatch(/DEB="istio-sidecar-\$\{ARCH\}\.deb"/);
    // Istio 1.31 publishes release artifacts at blob.istio.io (istio.io blog, 2026-08-21).
    expect(c).toMatch(/https:\/\/blob\.istio\.io\/istio-release\/releases\/\$\{ISTIO_VERSION\}\/deb\/\$\{DEB\}/);
    // istio-start.sh reads ./var/lib/istio/envoy/*.env: it must run from /.
    expect(c).toMatch(/docker exec -d -w \/ "\$VM_NAME" .*istio-start\.sh/);
  });

  it('the WorkloadGroup, Services and VirtualService fit together', () => {
    const wg = find('mesh-expansion', 'WorkloadGroup', 'bookinfo-vm');
    expect(wg?.metadata.namespace).toBe('vm');
    expect(wg?.spec.template.serviceAccount).toBe('bookinfo-vm');
    expect(find('mesh-expansion', 'ServiceAccount', 'bookinfo-vm')?.metadata.namespace).toBe('vm');
    expect(wg?.spec.probe.httpGet).toEqual({ path: '/health', port: 9080 });
    // Services select the WorkloadEntry by the group's labels, in the group's namespace.
    for (const name of ['details', 'mysqldb']) {
      const svc = find('mesh-expansion', 'Service', name);
      expect(svc?.metadata.namespace, name).toBe('vm');
      for (const [k, v] of Object.entries(svc?.spec.selector ?? {})) expect(wg?.spec.metadata.labels[k], `${name} selector ${k}`).toBe(v);
    }
    // The Istio sample's ratings-v2-mysql-vm connects to mysqldb.vm.svc.cluster.local:3306.
    expect(find('mesh-expansion', 'Service', 'mysqldb')?.spec.ports).toEqual([{ name: 'tcp', port: 3306 }]);
    const vs = find('mesh-expansion', 'VirtualService', 'details');
    expect(vs?.metadata.namespace).toBe('bookinfo');
    expect(vs?.spec.http[0].route[0].destination.host).toBe('details.vm.svc.cluster.local');
  });

  it('covers the checkpoints the catalog asks for', () => {
    const checks = checksOf(lab);
    const text = JSON.stringify(checks);
    // WorkloadEntry registered and healthy.
    expect(checks.some((c) => (c.resource as { kind?: string } | undefined)?.kind === 'WorkloadEntry' && /"Healthy"/.test(JSON.stringify(c)))).toBe(true);
    // details and ratings answered from the VM: the only endpoints are the VM's address.
    expect(text).toContain('outbound|9080||details.vm.svc.cluster.local');
    expect(text).toContain('outbound|3306||mysqldb.vm.svc.cluster.local');
    expect(text).toMatch(/\$\{VM_IP\}:9080/);
    expect(text).toMatch(/\$\{VM_IP\}:3306/);
    // The changed rating through the gateway, and the page with details.
    const last = lab.steps.at(-1) as RawStep;
    const lastChecks = last.blocks.filter((b) => b.info === 'check').flatMap(checkItems);
    expect(lastChecks.some((c) => (c.http as { url: string } | undefined)?.url === 'http://${GATEWAY_IP}/api/v1/products/0/ratings' && /"ratings\.Reviewer1":1/.test(JSON.stringify(c)))).toBe(true);
    expect(lastChecks.some((c) => /Book Details/.test(JSON.stringify(c)))).toBe(true);
    // The VM calls into the mesh too, and checks run from the VM container.
    expect(checks.some((c) => JSON.stringify((c.http as { from?: unknown } | undefined)?.from ?? '') === '{"container":"${VM_NAME}"}')).toBe(true);
  });
});

describe('multicluster', () => {
  const lab = labOf('multicluster');
  const code = () =>
    runnableSh(lab)
      .map((b) => b.code)
      .join('\n')
      .replace(/\s*\\\n\s*/g, ' ');

  it('declares the whole topology in front matter: two named clusters, disjoint ranges, pod routes', () => {
    const fm = lab.meta;
    expect(fm.clusters.map((c) => c.name)).toEqual(['c1', 'c2']);
    expect(fm.clusters.map((c) => c.contextVar)).toEqual(['CTX_CLUSTER1', 'CTX_CLUSTER2']);
    expect(fm.network).toEqual({ podRoutes: true });
    // The schema itself refuses overlaps with podRoutes; make sure this lab is the case it accepts.
    expect(frontMatterSchema.safeParse({ ...lab.frontMatter, clusters: [fm.clusters[0], { ...fm.clusters[1], podSubnet: fm.clusters[0]?.podSubnet }] }).success).toBe(false);
    const plans = planLab(fm, resolvePins({}).nodeImage, false);
    expect(plans.map((p) => p.kindName)).toEqual(['kindlab-multicluster-c1', 'kindlab-multicluster-c2']);
    expect(plans.map((p) => p.config.networking)).toEqual([
      { podSubnet: '10.10.0.0/16', serviceSubnet: '10.255.10.0/24' },
      { podSubnet: '10.20.0.0/16', serviceSubnet: '10.255.20.0/24' },
    ]);
    // No provisioning script: nothing in the steps creates clusters or adds node routes.
    expect(code()).not.toMatch(/kind create cluster|ip route (add|replace)/);
  });

  it('installs primary-remote: istiod in c1 with externalIstiod, the remote profile in c2 pointing at c1\'s gateway', () => {
    const c1 = find('multicluster', 'IstioOperator', 'c1-primary');
    expect(c1?.spec.values.global).toMatchObject({ meshID: 'mesh1', multiCluster: { clusterName: 'c1' }, network: 'network1', externalIstiod: true });
    const c2 = find('multicluster', 'IstioOperator', 'c2-remote');
    expect(c2?.spec.profile).toBe('remote');
    expect(c2?.spec.values.istiodRemote.injectionPath).toBe('/inject/cluster/c2/net/network1');
    expect(code()).toMatch(/istioctl install --context "\$CTX_CLUSTER2" -y -f manifests\/multicluster\/c2-remote\.yaml --set values\.global\.remotePilotAddress="\$EW_IP"/);
    expect(code()).toMatch(/annotate namespace istio-system topology\.istio\.io\/controlPlaneClusters=c1/);
    expect(code()).toMatch(/gen-eastwest-gateway\.sh" --network network1/);
  });

  it('every remote secret names an API server address other than 127.0.0.1', () => {
    const lines = code()
      .split('\n')
      .filter((l) => l.includes('create-remote-secret'));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) {
      expect(line).toMatch(/--server "https:\/\/\$\{C[12]_API\}:6443"/);
      expect(line).not.toMatch(/127\.0\.0\.1|localhost/);
    }
    // The address is the control-plane node's InternalIP, i.e. its address on the kind network.
    expect(code()).toMatch(/C2_API=\$\(kubectl --context "\$CTX_CLUSTER2" get node "\$\{CTX_CLUSTER2#kind-\}-control-plane" -o jsonpath='\{\.status\.addresses\[\?\(@\.type=="InternalIP"\)\]\.address\}'\)/);
  });

  it('splits Bookinfo: everything but details in c1, details only in c2', () => {
    const c = code();
    const bookinfo = (ctx: string, selector: string) => `${SAMPLE_REWRITE} "$ISTIO_HOME/samples/bookinfo/platform/kube/bookinfo.yaml" | kubectl --context "$${ctx}" apply -n bookinfo -f - -l '${selector}'`;
    expect(c).toContain(bookinfo('CTX_CLUSTER1', 'app!=details,account!=details'));
    expect(c).toContain(bookinfo('CTX_CLUSTER1', 'service=details'));
    expect(c).toContain(bookinfo('CTX_CLUSTER2', 'app=details'));
    // In c2, nothing but details.
    for (const line of c.split('\n').filter((l) => l.includes('--context "$CTX_CLUSTER2" apply -n bookinfo'))) expect(line).toMatch(/-l '(app|account)=details'/);
  });

  it('every kubectl and istioctl call names its cluster', () => {
    for (const block of runnableSh(lab)) {
      const text = block.code.replace(/\s*\\\n\s*/g, ' ');
      for (const line of text.split('\n')) {
        for (const m of line.matchAll(/\b(kubectl|istioctl)\b[^|;]*/g)) {
          if (/^(kubectl|istioctl) (version|manifest)\b/.test(m[0])) continue;
          // "$ctx" is a loop over both contexts.
          expect(m[0], `${lab.id} line ${block.line}: ${line}`).toMatch(/--context "\$(CTX_CLUSTER[12]|ctx)"/);
        }
      }
    }
  });

  it('covers the checkpoints the catalog asks for', () => {
    const text = JSON.stringify(checksOf(lab));
    expect(text).toContain('istio-remote-secret-c2');
    expect(text).toMatch(/remote-clusters --context \\"\$CTX_CLUSTER1\\"/);
    expect(text).toContain('synced');
    expect(text).toContain("outbound|9080||details.bookinfo.svc.cluster.local");
    expect(text).toMatch(/\$\{DETAILS_IP\}:9080/);
    expect(text).toContain('Book Details');
    // The multi-primary variant is the last, optional step.
    expect(lab.steps.at(-1)?.id).toBe('multi-primary');
  });
});
