/**
 * `kindlab export`: a lab as one standalone bash script, for a bug report to an upstream project
 * that will not install kindlab. It does what `kindlab run --until <step>` does, spelled out with
 * plain docker, kind, kubectl, helm and istioctl:
 *
 *   1. check the tools are the pinned versions (or stop, unless ALLOW_OTHER_VERSIONS=1);
 *   2. download the pinned Istio release and verify its SHA-256 (when the lab uses Istio);
 *   3. write the lab's files (the manifests its steps apply) and the kind configs kindlab renders;
 *   4. create the clusters and install the addons with the same commands the platform runs;
 *   5. run every step's ```sh blocks in order, each in a subshell as kindlab runs each block in its
 *      own bash, with the lab's environment (KUBECONFIG next to the script, KINDLAB_CLUSTER, ...).
 *
 * Checkpoints are not run (they are kindlab's), but values they capture for later steps are read
 * with kubectl where the checkpoint is a plain object lookup, so later commands still work.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { stringify } from 'yaml';
import type { CheckSpec } from '../checks/schema.js';
import { resolveKind } from '../checks/well-known-kinds.js';
import { stepIndexOf } from '../engine/unattended.js';
import type { Lab } from '../lab/model.js';
import { collectionRoot } from '../lab/locations.js';
import { scanShell } from '../lab/shell-refs.js';
import { gatewayApiUrl, GATEWAY_API_CORE_CRDS, INGRESS_NGINX_CONTROLLER, INGRESS_NGINX_NAMESPACE, INGRESS_NGINX_REPO, ingressNginxValues } from '../platform/addons/ingress.js';
import { CPK_CONTAINER, cloudProviderKindRunArgs, metallbManifestUrl } from '../platform/addons/loadbalancer.js';
import { metricsServerUrl } from '../platform/addons/metrics-server.js';
import { addonClusters, DEFAULT_ISTIO_ADDONS, resolveAddons, type AddonSettings, type IstioSampleAddon, type ResolvedAddon } from '../platform/addons/settings.js';
import { INJECTOR_WEBHOOK, ISTIO_NAMESPACE, istioInstallArgs, profileWorkloads } from '../platform/istio/install.js';
import { LAB_LABEL, ownedContainerLabelArgs } from '../platform/kind/names.js';
import { planLab } from '../platform/platform.js';
import type { Pins } from '../platform/tools/versions.js';
import { labUsesIstio } from '../offline/images.js';
import { ISTIO_ADDON_FILES } from '../platform/istio/addons.js';

export interface ExportOptions {
  pins: Pins;
  until?: string;
  kindlabVersion: string;
  /** SHA-256 of Istio release archives kindlab has verified, by archive suffix (linux-amd64, osx-arm64, ...). */
  istioChecksums?: Record<string, string>;
  /** For the header; tests pass a fixed date. */
  now?: Date;
}

/** Placeholders for shell variables inside argument lists built by the platform's own functions. */
const KUBECONFIG_WORD = '\u0000KUBECONFIG';
const WORK = '\u0000WORK/';

/** One shell word: safe text bare, $WORK paths double-quoted, anything else single-quoted. */
export function sh(word: string): string {
  if (word === KUBECONFIG_WORD) return '"$KUBECONFIG"';
  if (word.startsWith(WORK)) return `"$WORK/${word.slice(WORK.length).replace(/["\\$`]/g, '\\$&')}"`;
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

const line = (words: string[]) => words.map(sh).join(' ');

/** A value for `export NAME="..."` where ${VAR} expands (as lab env values do) and nothing else does. */
function envValue(value: string): string {
  return value.replace(/["\\`]/g, '\\$&').replace(/\$(?!\{[A-Za-z_][A-Za-z0-9_]*\})/g, '\\$');
}

interface Emitter {
  out: string[];
  files: number;
}

/** A file written by the script: a quoted heredoc, so nothing in it is expanded. */
function writeFileBlock(e: Emitter, path: string, content: string): void {
  let delim = `KINDLAB_FILE_${++e.files}`;
  while (content.split('\n').includes(delim)) delim += '_';
  e.out.push(`mkdir -p "$(dirname ${sh(WORK + path)})"`, `cat > ${sh(WORK + path)} <<'${delim}'`, content.replace(/\n$/, ''), delim);
}

async function filesUnder(path: string): Promise<string[]> {
  const s = await stat(path);
  if (s.isFile()) return [path];
  if (!s.isDirectory()) return [];
  const out: string[] = [];
  for (const name of (await readdir(path)).sort()) out.push(...(await filesUnder(join(path, name))));
  return out;
}

/** Files from the lab collection the steps read: the manifests/<lab>/ folder and anything else they reference. */
export async function labFiles(lab: Lab, lastStep: number): Promise<string[]> {
  const root = collectionRoot(lab.dir);
  const found = new Set<string>();
  const add = async (abs: string) => {
    try {
      for (const f of await filesUnder(abs)) found.add(relative(root, f));
    } catch {
      // Referenced but absent: the step will fail the same way under kindlab; validate reports it.
    }
  };
  await add(join(root, 'manifests', lab.meta.id));
  for (const step of lab.steps.slice(0, lastStep + 1)) {
    for (const block of step.commands) {
      for (const ref of scanShell(block).files) {
        const base = ref.base === 'lab' ? lab.dir : ref.base === 'repo' ? root : join(root, ref.cwd);
        await add(join(base, ref.path));
      }
    }
  }
  return [...found].filter((f) => !f.startsWith('..')).sort();
}

function kubectlGetTarget(check: CheckSpec): string | undefined {
  if (check.kind !== 'resource' || !check.spec.name) return undefined;
  let resolved;
  try {
    resolved = resolveKind(check.spec.kind, check.spec.apiVersion);
  } catch {
    return undefined;
  }
  const group = resolved.apiVersion.includes('/') ? resolved.apiVersion.split('/')[0] : '';
  return `${resolved.kind.toLowerCase()}${group ? `.${group}` : ''}/${check.spec.name}`;
}

/** dotted capture path (status.loadBalancer.ingress.0.ip) as a kubectl JSONPath. */
export function captureJsonPath(path: string): string {
  return `{.${path
    .split('.')
    .map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : seg))
    .join('.')
    .replace(/\.\[/g, '[')}}`;
}

function captureLines(checks: CheckSpec[], contextOf: (cluster?: string) => string): string[] {
  const out: string[] = [];
  for (const c of checks) {
    for (const [name, path] of Object.entries(c.options.capture ?? {})) {
      const target = kubectlGetTarget(c);
      if (!target || c.kind !== 'resource') {
        out.push(`# ${name}: captured by a ${c.kind} checkpoint (lab.md:${c.line}) that only kindlab runs; set it yourself if a later step needs it.`);
        continue;
      }
      const ns = c.spec.namespace ?? (resolveKindSafe(c) === false ? undefined : 'default');
      const args = ['--context', contextOf(c.options.cluster), 'get', target, ...(ns ? ['-n', ns] : []), '-o', `jsonpath=${captureJsonPath(path)}`];
      out.push(`${name}="$(wait_for_value ${line(args)})"`, `export ${name}`);
    }
  }
  return out;
}

/** false for cluster-scoped kinds, which take no namespace. */
function resolveKindSafe(c: CheckSpec): boolean | undefined {
  if (c.kind !== 'resource') return undefined;
  try {
    return resolveKind(c.spec.kind, c.spec.apiVersion).namespaced;
  } catch {
    return undefined;
  }
}

function checkComments(checks: CheckSpec[], label: string): string[] {
  return checks.map((c) => `# ${label} (lab.md:${c.line}): ${c.options.name ?? c.kind}`.replace(/\n/g, ' '));
}

const ISTIO_ADDON_WORKLOADS: Record<IstioSampleAddon, string> = {
  prometheus: 'deployment/prometheus',
  grafana: 'deployment/grafana',
  kiali: 'deployment/kiali',
  jaeger: 'deployment/jaeger',
  zipkin: 'deployment/zipkin',
  loki: 'statefulset/loki',
};

async function addonLines(e: Emitter, lab: Lab, addon: ResolvedAddon, ctx: string, clusterIndex: number, kindName: string, pins: Pins): Promise<void> {
  const k = (...args: string[]) => line(['kubectl', '--context', ctx, ...args]);
  switch (addon.name) {
    case 'cloud-provider-kind':
      return; // host-level, written once before the per-cluster addons
    case 'metallb':
      e.out.push(
        `say "Installing MetalLB ${pins.metallb} in ${kindName}"`,
        k('apply', '-f', metallbManifestUrl(pins.metallb)),
        k('-n', 'metallb-system', 'rollout', 'status', 'deployment/controller', '--timeout=300s'),
        k('-n', 'metallb-system', 'rollout', 'status', 'daemonset/speaker', '--timeout=300s'),
        `metallb_pool ${sh(ctx)} ${clusterIndex}`,
      );
      return;
    case 'metrics-server':
      e.out.push(
        `say "Installing metrics-server in ${kindName}"`,
        k('apply', '-f', metricsServerUrl()),
        `if ! ${k('-n', 'kube-system', 'get', 'deployment', 'metrics-server', '-o', 'jsonpath={.spec.template.spec.containers[0].args}')} | grep -q -- --kubelet-insecure-tls; then`,
        `  ${k('-n', 'kube-system', 'patch', 'deployment', 'metrics-server', '--type', 'json', '-p', JSON.stringify([{ op: 'add', path: '/spec/template/spec/containers/0/args/-', value: '--kubelet-insecure-tls' }]))}`,
        'fi',
        k('-n', 'kube-system', 'rollout', 'status', 'deployment/metrics-server', '--timeout=300s'),
      );
      return;
    case 'gateway-api':
      e.out.push(
        `say "Installing Gateway API ${pins.gatewayApi} CRDs in ${kindName}"`,
        k('apply', '--server-side', '--force-conflicts', '-f', gatewayApiUrl(pins.gatewayApi)),
        k('wait', '--for=condition=Established', '--timeout=300s', ...GATEWAY_API_CORE_CRDS.map((c) => `crd/${c}`)),
      );
      return;
    case 'ingress-nginx': {
      const values = `ingress-nginx-${kindName}.values.yaml`;
      writeFileBlock(e, values, stringify(ingressNginxValues(addon.settings)));
      const kind = (addon.settings.kind ?? 'Deployment').toLowerCase();
      e.out.push(
        `say "Installing ingress-nginx chart ${pins.ingressNginx.chart} in ${kindName}"`,
        line(['helm', 'upgrade', '--install', 'ingress-nginx', 'ingress-nginx', '--repo', INGRESS_NGINX_REPO, '--version', pins.ingressNginx.chart, '--namespace', INGRESS_NGINX_NAMESPACE, '--create-namespace', '--values', WORK + values, '--kube-context', ctx]),
        k('-n', INGRESS_NGINX_NAMESPACE, 'rollout', 'status', `${kind}/${INGRESS_NGINX_CONTROLLER}`, '--timeout=300s'),
      );
      return;
    }
    case 'istio': {
      const s = addon.settings as AddonSettings['istio'];
      const files: string[] = [];
      if (s.file) {
        const rel = `labs/${lab.meta.id}/${s.file}`;
        writeFileBlock(e, rel, await readFile(join(lab.dir, s.file), 'utf8'));
        files.push(WORK + rel);
      }
      if (s.operator) {
        const rel = `istio-operator-${kindName}.yaml`;
        writeFileBlock(e, rel, stringify({ apiVersion: 'install.istio.io/v1alpha1', kind: 'IstioOperator', spec: s.operator }));
        files.push(WORK + rel);
      }
      const profile = s.profile ?? 'default';
      e.out.push(`say "Installing Istio ${pins.istio} (profile ${profile}) in ${kindName}"`);
      if (s.precheck) e.out.push(`${line(['istioctl', 'x', 'precheck', '--kubeconfig', KUBECONFIG_WORD, '--context', ctx])} || true`);
      e.out.push(line(['istioctl', ...istioInstallArgs({ kubeconfig: KUBECONFIG_WORD, context: ctx }, s, files)]));
      const workloads = s.wait
        ? s.wait.map((w) => w.toLowerCase())
        : (s.profile || files.length === 0 ? profileWorkloads(profile) : [{ kind: 'Deployment', name: 'istiod' }]).map((w) => `${w.kind.toLowerCase()}/${w.name}`);
      for (const w of workloads) e.out.push(k('-n', ISTIO_NAMESPACE, 'rollout', 'status', w, '--timeout=600s'));
      if (workloads.includes('deployment/istiod')) e.out.push(`wait_for_value ${line(['--context', ctx, 'get', 'mutatingwebhookconfiguration', INJECTOR_WEBHOOK, '-o', 'jsonpath={.webhooks[0].clientConfig.caBundle}'])} >/dev/null`);
      for (const ns of s.injection ?? []) {
        e.out.push(`${k('create', 'namespace', ns, '--dry-run=client', '-o', 'yaml')} | ${k('apply', '-f', '-')}`, k('label', 'namespace', ns, 'istio-injection=enabled', '--overwrite'));
      }
      return;
    }
    case 'istio-addons': {
      const list = (addon.settings as AddonSettings['istio-addons']).addons ?? DEFAULT_ISTIO_ADDONS;
      const apply = `kubectl --context ${sh(ctx)} apply ${list.map((a) => `-f "$ISTIO_HOME/${ISTIO_ADDON_FILES[a]}"`).join(' ')}`;
      // The first apply can race CRDs it creates itself; kindlab re-applies once after a pause, so does this.
      e.out.push(`say "Installing Istio addons in ${kindName}: ${list.join(', ')}"`, `${apply} || { sleep 5; ${apply}; }`);
      for (const a of list) e.out.push(k('-n', ISTIO_NAMESPACE, 'rollout', 'status', ISTIO_ADDON_WORKLOADS[a], '--timeout=600s'));
      return;
    }
  }
}

const PRELUDE = String.raw`say() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is not on PATH: install $2"; }
# Stops on a version other than the pinned one: a bug report is about exact versions.
check_version() {
  case "$3" in
    *"$2"*) ;;
    *) if [ "${"$"}{ALLOW_OTHER_VERSIONS:-}" = 1 ]; then
         printf 'warning: %s %s expected, found: %s\n' "$1" "$2" "$3" >&2
       else
         die "$1 $2 expected, found: $3 (ALLOW_OTHER_VERSIONS=1 goes on anyway)"
       fi ;;
  esac
}
sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}
# Repeats a kubectl get until it prints something (a LoadBalancer address, a CA bundle), up to 5 minutes.
wait_for_value() {
  local value=""
  for _ in $(seq 1 150); do
    value="$(kubectl "$@" 2>/dev/null || true)"
    if [ -n "$value" ]; then printf '%s' "$value"; return 0; fi
    sleep 2
  done
  die "no value after 5 minutes: kubectl $*"
}`;

const METALLB_POOL = String.raw`# The address pool kindlab gives MetalLB: a 256-address block from the top of the kind network
# (one block per cluster, the first one without the broadcast address). Only /16 networks here.
metallb_pool() {
  local ctx="$1" index="$2" subnet prefix bits o1 o2 third last range
  subnet="$(docker network inspect kind --format '{{range .IPAM.Config}}{{.Subnet}} {{end}}' | tr ' ' '\n' | grep -E '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/' | head -n1)"
  prefix="${"$"}{subnet%/*}"; bits="${"$"}{subnet#*/}"
  [ "$bits" = 16 ] || die "the kind network is $subnet; this script only carves MetalLB pools from a /16"
  IFS=. read -r o1 o2 _ _ <<<"$prefix"
  third=$((255 - index)); last=255; if [ "$index" = 0 ]; then last=254; fi
  range="$o1.$o2.$third.0-$o1.$o2.$third.$last"
  for _ in $(seq 1 10); do
    if kubectl --context "$ctx" apply -f - <<EOF
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: kindlab, namespace: metallb-system}
spec: {addresses: ["$range"]}
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: kindlab, namespace: metallb-system}
spec: {ipAddressPools: [kindlab]}
EOF
    then return 0; fi
    sleep 2
  done
  die "MetalLB did not accept the address pool"
}`;

/**
 * network.podRoutes, as kindlab's interconnect does it: on every node, a route to each node of the
 * other clusters for that node's pod range, via its address on the kind network.
 */
function podRouteLines(contexts: string[]): string[] {
  const jsonpath = `{range .items[*]}{.metadata.name}{" "}{.spec.podCIDR}{" "}{.status.addresses[?(@.type=="InternalIP")].address}{"\\n"}{end}`;
  return [
    '',
    '# ---------------------------------------------------------------- pod routes between the clusters (network.podRoutes)',
    `for ctx in ${contexts.map(sh).join(' ')}; do`,
    `  kubectl --context "$ctx" get nodes -o jsonpath=${sh(jsonpath)} | sed "s|^|$ctx |"`,
    'done > "$WORK/nodes.txt"',
    'while read -r ctx node _cidr _ip; do',
    '  while read -r other _other_node cidr ip; do',
    '    [ "$other" = "$ctx" ] && continue',
    '    docker exec "$node" ip route replace "$cidr" via "$ip" </dev/null',
    '  done < "$WORK/nodes.txt"',
    'done < "$WORK/nodes.txt"',
  ];
}

export async function renderExportScript(lab: Lab, opts: ExportOptions): Promise<string> {
  const { pins } = opts;
  const last = opts.until === undefined ? lab.steps.length - 1 : stepIndexOf(lab, opts.until);
  const steps = lab.steps.slice(0, last + 1);
  const plans = planLab(lab.meta, pins.nodeImage, false);
  const addons = resolveAddons(
    lab.meta.addons,
    plans.map((p) => p.name),
  );
  const usesIstio = labUsesIstio(lab);
  const usesHelm = addons.some((a) => a.name === 'ingress-nginx');
  const first = plans[0];
  const e: Emitter = { out: [], files: 0 };
  const o = e.out;
  const stamp = (opts.now ?? new Date()).toISOString();
  const untilNote = last < lab.steps.length - 1 ? ` up to step ${last + 1} (${lab.steps[last]?.id})` : '';

  o.push(
    '#!/usr/bin/env bash',
    `# Reproduces the kindlab lab "${lab.meta.id}" (${lab.meta.title.replace(/\n/g, ' ')})${untilNote}`,
    `# with plain docker, kind, kubectl${usesHelm ? ', helm' : ''}${usesIstio ? ' and istioctl' : ''}; kindlab is not needed.`,
    `# Written by kindlab ${opts.kindlabVersion} (kindlab export) on ${stamp}.`,
    '#',
    `#   ./$(basename "$0")        create the cluster${plans.length > 1 ? 's' : ''}, install what the lab needs, run the steps`,
    `#   ./$(basename "$0") down   delete the cluster${plans.length > 1 ? 's' : ''} again`,
    '#',
    `# Needs Docker, kind ${pins.kind}, kubectl ${pins.kubectl}${usesHelm ? `, helm ${pins.helm}` : ''}${usesIstio ? ', curl, tar' : ''} on PATH.`,
    '# Each lab block runs in its own subshell, as kindlab runs each in its own bash: a variable a block sets',
    '# does not reach the next one (values later steps need are exported where the lab captures them).',
    '# shellcheck disable=SC2030,SC2031',
    'set -euo pipefail',
    '',
    'HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"',
    `WORK="$HERE/${lab.meta.id}-work"`,
    `KIND_VERSION=${sh(pins.kind)}`,
    `KUBECTL_VERSION=${sh(pins.kubectl)}`,
    ...(usesHelm ? [`HELM_VERSION=${sh(pins.helm)}`] : []),
    ...(usesIstio ? [`ISTIO_VERSION=${sh(pins.istio)}`] : []),
    `CLUSTERS=(${plans.map((p) => sh(p.kindName)).join(' ')})`,
    'export KUBECONFIG="$WORK/kubeconfig"',
    '',
    PRELUDE,
    '',
    'if [ "${1:-}" = down ]; then',
    '  for c in "${CLUSTERS[@]}"; do kind delete cluster --name "$c" --kubeconfig "$KUBECONFIG" || true; done',
    ...(addons.some((a) => a.name === 'cloud-provider-kind')
      ? [
          '  # cloud-provider-kind serves every kind cluster on this machine: only removed when no kindlab cluster is left.',
          `  if ! kind get clusters 2>/dev/null | grep -q '^kindlab-'; then docker rm -f ${CPK_CONTAINER} >/dev/null 2>&1 || true; fi`,
        ]
      : []),
    '  # Containers the lab itself started with $KINDLAB_OWNER_LABELS (e.g. a VM stand-in).',
    `  docker ps -aq --filter label=${LAB_LABEL}=${lab.meta.id} | xargs -r docker rm -f >/dev/null`,
    '  exit 0',
    'fi',
    'mkdir -p "$WORK"',
    '',
    '# ---------------------------------------------------------------- tools',
    'need docker "Docker (https://docs.docker.com/engine/install/)"',
    'docker info >/dev/null 2>&1 || die "Docker is installed but not running"',
    'need kind "kind $KIND_VERSION (https://kind.sigs.k8s.io/dl/$KIND_VERSION/)"',
    'check_version kind "$KIND_VERSION" "$(kind version)"',
    'need kubectl "kubectl $KUBECTL_VERSION (https://dl.k8s.io/release/$KUBECTL_VERSION/bin/)"',
    'check_version kubectl "$KUBECTL_VERSION" "$(kubectl version --client 2>/dev/null | head -n1)"',
  );
  if (usesHelm) o.push('need helm "helm $HELM_VERSION (https://get.helm.sh/)"', 'check_version helm "$HELM_VERSION" "$(helm version --short)"');

  if (usesIstio) {
    const sums = Object.entries(opts.istioChecksums ?? {}).sort();
    o.push(
      '',
      `# ---------------------------------------------------------------- Istio ${pins.istio} release (ISTIO_HOME)`,
      'case "$(uname -s)-$(uname -m)" in',
      '  Linux-x86_64) ISTIO_SUFFIX=linux-amd64 ;;',
      '  Linux-aarch64 | Linux-arm64) ISTIO_SUFFIX=linux-arm64 ;;',
      '  Darwin-arm64) ISTIO_SUFFIX=osx-arm64 ;;',
      '  Darwin-x86_64) ISTIO_SUFFIX=osx ;;',
      '  *) die "Istio publishes no build for $(uname -s) $(uname -m)" ;;',
      'esac',
      '# Checksums kindlab verified when it downloaded the release; other platforms use the published .sha256 file.',
      'ISTIO_SHA256=""',
      'case "$ISTIO_SUFFIX" in',
      ...sums.map(([suffix, sum]) => `  ${suffix}) ISTIO_SHA256=${sh(sum)} ;;`),
      '  *) ;;',
      'esac',
      'export ISTIO_HOME="$WORK/istio-$ISTIO_VERSION"',
      'if [ ! -x "$ISTIO_HOME/bin/istioctl" ]; then',
      '  need curl "curl"',
      '  archive="istio-$ISTIO_VERSION-$ISTIO_SUFFIX.tar.gz"',
      '  url="https://github.com/istio/istio/releases/download/$ISTIO_VERSION/$archive"',
      '  say "Downloading $archive"',
      '  curl -fsSL --retry 3 -o "$WORK/$archive" "$url"',
      '  if [ -z "$ISTIO_SHA256" ]; then ISTIO_SHA256="$(curl -fsSL --retry 3 "$url.sha256" | cut -d\' \' -f1)"; fi',
      '  actual="$(sha256_of "$WORK/$archive")"',
      '  [ "$actual" = "$ISTIO_SHA256" ] || die "checksum mismatch for $archive: expected $ISTIO_SHA256, got $actual"',
      '  tar -xzf "$WORK/$archive" -C "$WORK"',
      'fi',
      'export PATH="$ISTIO_HOME/bin:$PATH"',
      'check_version istioctl "$ISTIO_VERSION" "$(istioctl version --remote=false 2>/dev/null)"',
    );
  }

  o.push('', '# ---------------------------------------------------------------- the lab\'s files');
  for (const rel of await labFiles(lab, last)) writeFileBlock(e, rel, await readFile(join(collectionRoot(lab.dir), rel), 'utf8'));

  o.push('', '# ---------------------------------------------------------------- clusters (kind configs as kindlab renders them)');
  for (const p of plans) {
    const config = `kind-${p.kindName}.yaml`;
    writeFileBlock(e, config, p.yaml);
    o.push(
      `if kind get clusters 2>/dev/null | grep -qx ${sh(p.kindName)}; then`,
      `  say "Reusing cluster ${p.kindName}"`,
      `  ${line(['kind', 'export', 'kubeconfig', '--name', p.kindName, '--kubeconfig', KUBECONFIG_WORD])}`,
      'else',
      `  say "Creating cluster ${p.kindName}"`,
      `  ${line(['kind', 'create', 'cluster', '--name', p.kindName, '--config', WORK + config, '--kubeconfig', KUBECONFIG_WORD, '--wait', '0s'])}`,
      'fi',
      line(['kubectl', '--context', p.context, 'wait', '--for=condition=Ready', 'nodes', '--all', '--timeout=300s']),
    );
    for (const n of p.nodes) {
      if (n.roles.length > 0) o.push(line(['kubectl', '--context', p.context, 'label', 'node', n.name, ...n.roles.map((r) => `node-role.kubernetes.io/${r}=true`), '--overwrite']));
    }
    if (p.contextVar) o.push(`export ${p.contextVar}=${sh(p.context)}`);
  }

  if (lab.meta.network?.podRoutes) o.push(...podRouteLines(plans.map((p) => p.context)));

  o.push('', '# ---------------------------------------------------------------- addons (the commands kindlab runs)');
  const cpk = addons.find((a) => a.name === 'cloud-provider-kind');
  if (cpk) {
    const s = cpk.settings as AddonSettings['cloud-provider-kind'];
    const args = (portMapping: boolean) => line(['docker', ...cloudProviderKindRunArgs({ image: pins.cloudProviderKindImage, portMapping, dockerSocket: s.dockerSocket ?? '/var/run/docker.sock' })]);
    o.push(
      `if [ "$(docker inspect --format '{{.State.Running}}' ${CPK_CONTAINER} 2>/dev/null || true)" != true ]; then`,
      `  say "Starting cloud-provider-kind (${pins.cloudProviderKind})"`,
      `  docker rm -f ${CPK_CONTAINER} >/dev/null 2>&1 || true`,
    );
    // No host port mapping unless the lab asks for it: with it, every LB port is bound on 0.0.0.0 of
    // the host (see src/platform/addons/loadbalancer.ts); the script's requests run in a node container.
    o.push(`  ${args(s.portMapping ?? false)} >/dev/null`);
    o.push('fi');
  }
  if (addons.some((a) => a.name === 'metallb')) o.push(METALLB_POOL);
  const names = plans.map((p) => p.name);
  for (const [i, p] of plans.entries()) {
    for (const addon of addons) {
      if (addon.name === 'cloud-provider-kind' || !addonClusters(addon, names).includes(p.name)) continue;
      await addonLines(e, lab, addon, p.context, i, p.kindName, pins);
    }
  }

  o.push(
    '',
    '# ---------------------------------------------------------------- the lab\'s environment',
    `export KINDLAB_LAB=${sh(lab.meta.id)}`,
    `export KINDLAB_CLUSTER=${sh(first?.kindName ?? '')}`,
    `export KINDLAB_OWNER_LABELS=${sh(ownedContainerLabelArgs(lab.meta.id).join(' '))}`,
    `export LAB_DIR="$WORK/labs/${lab.meta.id}"`,
    'export REPO_DIR="$WORK"',
    ...Object.entries(lab.meta.env).map(([k, v]) => `export ${k}="${envValue(v)}"`),
    '# Commands run from the folder holding manifests/, as under kindlab.',
    'cd "$WORK" || exit 1',
  );

  const contextOf = (cluster?: string) => (plans.find((p) => p.name === cluster || p.kindName === cluster) ?? first)?.context ?? '';
  for (const step of steps) {
    o.push('', `# ---------------------------------------------------------------- step ${step.index}: ${step.id}`, `say ${sh(`Step ${step.index}: ${step.title}`)}`);
    o.push(...checkComments(step.before, 'observed before the commands'), ...captureLines(step.before, contextOf));
    for (const block of step.commands) o.push(`# lab.md:${block.line}`, '(', block.code.replace(/\n+$/, ''), ')');
    o.push(...checkComments(step.checks, 'checkpoint'), ...captureLines(step.checks, contextOf));
  }
  o.push('', `say "Done: ${lab.meta.id}${untilNote}. Delete the cluster${plans.length > 1 ? 's' : ''} with: $0 down"`, '');
  return o.join('\n');
}
