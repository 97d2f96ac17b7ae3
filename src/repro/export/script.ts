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
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stepIndexOf } from '../../engine/unattended.js';
import { collectionRoot } from '../../lab/locations.js';
import type { Lab } from '../../model/lab.js';
import { resolveAddons } from '../../platform/addons/settings.js';
import { LAB_LABEL, ownedContainerLabelArgs } from '../../platform/kind/names.js';
import { labTools } from '../../platform/lab-tools.js';
import { planLab } from '../../platform/platform.js';
import type { Pins } from '../../platform/tools/versions.js';
import { addonDownLines, addonLines, scriptWriter } from './addons.js';
import { captureLines, checkComments } from './captures.js';
import { embedFile, labFiles, type ScriptText } from './files.js';
import { podRouteLines } from './pod-routes.js';
import { FUNCTIONS, istioReleaseLines, toolCheckLines } from './prelude.js';
import { envValue, KUBECONFIG_WORD, line, sh } from './shell.js';

export interface ExportOptions {
  pins: Pins;
  until?: string;
  kindlabVersion: string;
  /** SHA-256 of Istio release archives kindlab has verified, by archive suffix (linux-amd64, osx-arm64, ...). */
  istioChecksums?: Record<string, string>;
  /** For the header; tests pass a fixed date. */
  now?: Date;
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
  const tools = labTools(lab);
  const usesIstio = tools.includes('istioctl');
  const usesHelm = tools.includes('helm');
  const first = plans[0];
  const e: ScriptText = { out: [], files: 0 };
  const o = e.out;
  const w = scriptWriter(e, lab, pins);
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
    FUNCTIONS,
    '',
    'if [ "${1:-}" = down ]; then',
    '  for c in "${CLUSTERS[@]}"; do kind delete cluster --name "$c" --kubeconfig "$KUBECONFIG" || true; done',
  );
  addonDownLines(w, addons);
  o.push(
    '  # Containers the lab itself started with $KINDLAB_OWNER_LABELS (e.g. a VM stand-in).',
    `  docker ps -aq --filter label=${LAB_LABEL}=${lab.meta.id} | xargs -r docker rm -f >/dev/null`,
    '  exit 0',
    'fi',
    'mkdir -p "$WORK"',
    '',
    ...toolCheckLines(tools),
  );

  if (usesIstio) o.push(...istioReleaseLines(pins, opts.istioChecksums));

  o.push('', '# ---------------------------------------------------------------- the lab\'s files');
  for (const rel of await labFiles(lab, last)) embedFile(e, rel, await readFile(join(collectionRoot(lab.dir), rel), 'utf8'));

  o.push('', '# ---------------------------------------------------------------- clusters (kind configs as kindlab renders them)');
  for (const p of plans) {
    const config = embedFile(e, `kind-${p.kindName}.yaml`, p.yaml);
    o.push(
      `if kind get clusters 2>/dev/null | grep -qx ${sh(p.kindName)}; then`,
      `  say "Reusing cluster ${p.kindName}"`,
      `  ${line(['kind', 'export', 'kubeconfig', '--name', p.kindName, '--kubeconfig', KUBECONFIG_WORD])}`,
      'else',
      `  say "Creating cluster ${p.kindName}"`,
      `  ${line(['kind', 'create', 'cluster', '--name', p.kindName, '--config', config, '--kubeconfig', KUBECONFIG_WORD, '--wait', '0s'])}`,
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
  await addonLines(w, addons, plans);

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
