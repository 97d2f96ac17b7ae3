/**
 * What the Istio labs pull through Istio's own samples, for the lab content tests: the 1.31 samples
 * the labs apply that name a retired registry, the rewrite the labs put in front of them, and which
 * images a lab therefore pulls. Independent of src/lab/retired-registries.ts on purpose: these are
 * the upstream facts the shipped list must agree with.
 */
import { readFileSync } from 'node:fs';
import type { RawLab } from './raw-lab.js';
import { allSh } from './raw-lab.js';

const bookinfo = (name: string, version: string) => [`registry.istio.io/release/examples-bookinfo-${name}-${version}:1.20.3`, { app: name, version }] as const;

/**
 * The Deployments' images and labels of the samples, on istio/istio release-1.31 (since
 * "Use registry.istio.io", #59364, 2026-03-24); the registry is shut down in December 2026
 * (istio.io blog, 2026-08-21) and the same images are on docker.io/istio.
 */
export const RETIRED_SAMPLES: Record<string, ReadonlyArray<readonly [string, Record<string, string>]>> = {
  'samples/bookinfo/platform/kube/bookinfo.yaml': [
    bookinfo('details', 'v1'),
    bookinfo('ratings', 'v1'),
    bookinfo('reviews', 'v1'),
    bookinfo('reviews', 'v2'),
    bookinfo('reviews', 'v3'),
    bookinfo('productpage', 'v1'),
  ],
  'samples/bookinfo/platform/kube/bookinfo-ratings-v2-mysql-vm.yaml': [['registry.istio.io/release/examples-bookinfo-ratings-v2:1.20.3', { app: 'ratings', version: 'v2-mysql-vm' }]],
  'samples/helloworld/helloworld.yaml': [
    ['registry.istio.io/release/examples-helloworld-v1:1.0', { app: 'helloworld', version: 'v1' }],
    ['registry.istio.io/release/examples-helloworld-v2:1.0', { app: 'helloworld', version: 'v2' }],
  ],
};

/** The one shape of the rewrite (labs/README.md, "Images on retired registries"). */
export const SAMPLE_REWRITE = "sed 's#registry\\.istio\\.io/release/#docker.io/istio/#'";
const rewritten = (image: string) => image.replace(/^registry\.istio\.io\/release\//, 'docker.io/istio/');

/** Registries that are shut down or frozen: nothing a lab pulls may name them. */
export const RETIRED_REGISTRY = /(?<![\w.-])(registry\.istio\.io|gcr\.io\/istio-release|k8s\.gcr\.io|istio-release\.storage\.googleapis\.com)(?=[/:"'\s]|$)/;

/** `kubectl -l` terms the labs use: k=v and k!=v, comma-separated. */
function selects(selector: string | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  return selector.split(',').every((t) => {
    const ne = t.indexOf('!=');
    if (ne > 0) return labels[t.slice(0, ne)] !== t.slice(ne + 2);
    const [k, v] = t.split('=');
    return labels[k as string] === v;
  });
}

export interface SampleUse {
  sample: string;
  line: string;
  /** The command applies the sample (a delete is no pull). */
  applies: boolean;
  rewritten: boolean;
  /** The images the command pulls, as the cluster sees them. */
  images: string[];
}

/** Every command line (continuations joined) of a lab's sh blocks that uses one of RETIRED_SAMPLES. */
export function sampleUses(lab: RawLab): SampleUse[] {
  const out: SampleUse[] = [];
  for (const block of allSh(lab)) {
    for (const line of block.code.replace(/\s*\\\n\s*/g, ' ').split('\n')) {
      for (const [sample, images] of Object.entries(RETIRED_SAMPLES)) {
        if (!line.includes(`$ISTIO_HOME/${sample}"`)) continue;
        const applies = /\bkubectl\b.*\b(apply|create)\b/.test(line);
        const isRewrite = line.startsWith(`${SAMPLE_REWRITE} "$ISTIO_HOME/${sample}" | kubectl `) && / -f - ?/.test(line);
        const selector = / -l '?([^' ]+)'?/.exec(line)?.[1];
        const pulled = applies ? images.filter(([, labels]) => selects(selector, labels)).map(([image]) => (isRewrite ? rewritten(image) : image)) : [];
        out.push({ sample, line, applies, rewritten: isRewrite, images: pulled });
      }
    }
  }
  return out;
}

/** Lines of files (lab.md front matter, manifests) that name a retired registry outside comments. */
export function retiredLines(file: string, text = readFileSync(file, 'utf8')): string[] {
  return text
    .split('\n')
    .map((l, i) => [l.replace(/(^|\s)#.*$/, ''), i + 1] as const)
    .filter(([l]) => RETIRED_REGISTRY.test(l))
    .map(([l, n]) => `${file}:${n}: ${l.trim()}`);
}
