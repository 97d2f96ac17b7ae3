/**
 * The versions a run uses: the pins from pins.ts, with the user's per-run overrides
 * (`--kind`, `--kubectl`, `--istio`, `--helm`, `--k8s`) applied and validated.
 */
import { usageError } from '../../core/errors.js';
import type { ToolOverrides } from '../types.js';
import { PINS } from './pins.js';

export type ToolName = 'kind' | 'kubectl' | 'istioctl' | 'helm' | 'cloudProviderKind';
export const TOOL_NAMES: readonly ToolName[] = ['kind', 'kubectl', 'istioctl', 'helm', 'cloudProviderKind'];

export interface Pins {
  /** kind CLI, with a leading v (v0.33.0). */
  kind: string;
  /** Kubernetes version of the node image (v1.35.8). */
  k8s: string;
  /** kindest/node reference with digest. */
  nodeImage: string;
  /** kubectl, with a leading v. */
  kubectl: string;
  /** Istio release (istioctl and the release tree), without a v (1.31.1) as Istio spells it. */
  istio: string;
  helm: string;
  cloudProviderKind: string;
  cloudProviderKindImage: string;
  ingressNginx: { chart: string; controller: string };
  metallb: string;
  gatewayApi: string;
}

const semver = /^v?(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?$/;

/** "1.2.3" or "v1.2.3" → "v1.2.3"; throws a usage error naming the flag otherwise. */
function withV(value: string, flag: string): string {
  const v = value.trim();
  if (!semver.test(v)) throw usageError(`${flag} ${value}: expected a version like 1.2.3`, `For example ${flag} ${flag === '--istio' ? '1.31.1' : 'v1.2.3'}.`);
  return v.startsWith('v') ? v : `v${v}`;
}

const withoutV = (value: string, flag: string) => withV(value, flag).slice(1);

/** The minor of a version ("v1.35.8" → "1.35"). */
export function minorOf(version: string): string {
  const m = semver.exec(version);
  return m ? `${m[1]}.${m[2]}` : version;
}

export function knownK8sVersions(): string[] {
  return PINS.nodeImages.map((n) => n.k8s);
}

/**
 * Finds the node image for a Kubernetes version. Accepts v1.35.8, 1.35.8 or just the minor (1.35),
 * because kind publishes one image per minor for each release.
 */
function nodeImageFor(requested: string): { k8s: string; image: string } {
  const want = requested.trim().replace(/^v/, '');
  const match = PINS.nodeImages.find((n) => n.k8s === `v${want}` || minorOf(n.k8s) === want);
  if (!match) {
    throw usageError(
      `no pinned kind node image for Kubernetes ${requested}`,
      `kind ${PINS.kind} publishes node images for ${knownK8sVersions().join(', ')}; pick one of those with --k8s.`,
    );
  }
  return match;
}

export function resolvePins(overrides: ToolOverrides = {}): Pins {
  const node = nodeImageFor(overrides.k8s ?? PINS.defaultK8s);
  return {
    kind: overrides.kind ? withV(overrides.kind, '--kind') : PINS.kind,
    k8s: node.k8s,
    nodeImage: node.image,
    // kubectl follows the node image unless asked otherwise: same patch, so no client/server skew.
    kubectl: overrides.kubectl ? withV(overrides.kubectl, '--kubectl') : node.k8s,
    istio: overrides.istio ? withoutV(overrides.istio, '--istio') : PINS.istio,
    helm: overrides.helm ? withV(overrides.helm, '--helm') : PINS.helm,
    cloudProviderKind: PINS.cloudProviderKind,
    cloudProviderKindImage: PINS.cloudProviderKindImage,
    ingressNginx: { ...PINS.ingressNginx },
    metallb: PINS.metallb,
    gatewayApi: PINS.gatewayApi,
  };
}

/** The version of a tool in the form its release URLs use. */
export function toolVersion(pins: Pins, tool: ToolName): string {
  switch (tool) {
    case 'kind':
      return pins.kind;
    case 'kubectl':
      return pins.kubectl;
    case 'istioctl':
      return pins.istio;
    case 'helm':
      return pins.helm;
    case 'cloudProviderKind':
      return pins.cloudProviderKind;
  }
}

function compareMinor(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am - bm || an - bn;
}

/**
 * Combinations that will probably work but that upstream does not promise. Shown as warnings,
 * not errors: an instructor may override on purpose (e.g. to rehearse an upgrade lab).
 */
export function pinWarnings(pins: Pins): string[] {
  const warnings: string[] = [];
  if (pins.kind !== PINS.kind) {
    warnings.push(`node image digests are pinned for kind ${PINS.kind}; kind ${pins.kind} may need a different image.`);
  }
  const skew = Math.abs(compareMinor(minorOf(pins.kubectl), minorOf(pins.k8s)));
  if (skew > 1) {
    warnings.push(`kubectl ${pins.kubectl} is ${skew} minor versions away from Kubernetes ${pins.k8s}; kubectl supports ±1.`);
  }
  const range = PINS.istioSupportedK8s[minorOf(pins.istio)];
  const k8sMinor = minorOf(pins.k8s);
  if (range && (compareMinor(k8sMinor, range.min) < 0 || compareMinor(k8sMinor, range.max) > 0)) {
    warnings.push(`Istio ${pins.istio} supports Kubernetes ${range.min}–${range.max}, not ${k8sMinor}; \`istioctl x precheck\` will complain.`);
  }
  return warnings;
}
