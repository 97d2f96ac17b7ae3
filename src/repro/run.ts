/**
 * `kindlab repro`: run a lab unattended up to a step, then capture the cluster state before
 * anything is torn down, and write the report directory.
 *
 * runLab is used as `run` uses it, with two differences: the platform's `up` is wrapped to keep the
 * provisioned environment (the dump runs kubectl/istioctl with exactly that environment), and the
 * run keeps its clusters (keep, keepOnFailure) so the state can be read; this module tears them
 * down afterwards unless asked to keep them.
 */
import { join } from 'node:path';
import { toMessage } from '../core/errors.js';
import type { RunReport } from '../engine/report.js';
import type { EngineDeps } from '../engine/runtime.js';
import { runLab, type RunEvent } from '../engine/unattended.js';
import type { Lab } from '../model/lab.js';
import type { Platform, ProvisionedLab, ToolOverrides } from '../platform/types.js';
import type { Pins } from '../platform/tools/versions.js';
import { labImages } from '../offline/images.js';
import { labTools } from '../platform/lab-tools.js';
import { dumpCluster } from './dump.js';
import { hostInfo, toolVersions } from './facts.js';
import { buildMatrix, renderMatrixMarkdown, type Matrix } from './matrix.js';
import type { ReproData } from './model.js';
import { writeReportDir } from './writer.js';
import { mkdir, writeFile } from 'node:fs/promises';

export interface ReproOptions {
  lab: Lab;
  deps: EngineDeps;
  platform: Platform;
  stateDir: string;
  overrides: ToolOverrides;
  registryMirrors: Record<string, string>;
  /** Keep the clusters afterwards. */
  keep: boolean;
  until?: string;
  outDir: string;
  kindlabVersion: string;
  pins: Pins;
  /** The command line to show in the report. */
  command: string;
  status: (message: string) => void;
  onEvent?: (e: RunEvent) => void;
  signal?: AbortSignal;
}

export interface ReproResult {
  report: RunReport;
  dir: string;
  summary: string;
}

export async function reproduce(o: ReproOptions): Promise<ReproResult> {
  let provisioned: ProvisionedLab | undefined;
  const capturing: Platform = {
    ...o.platform,
    up: async (lab, opts) => (provisioned = await o.platform.up(lab, opts)),
  };
  const report = await runLab(o.lab, o.deps, {
    platform: capturing,
    provision: { stateDir: o.stateDir, overrides: o.overrides, registryMirrors: o.registryMirrors, keepOnFailure: true, status: o.status, ...(o.signal ? { signal: o.signal } : {}) },
    keep: true,
    ...(o.until !== undefined ? { until: o.until } : {}),
    kindlabVersion: o.kindlabVersion,
    ...(o.onEvent ? { onEvent: o.onEvent } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });

  // Provisioning failed half-way: whatever clusters exist are still worth reading.
  let dumpSkipped: string | undefined;
  if (!provisioned) {
    try {
      provisioned = await o.platform.attach(o.lab, { stateDir: o.stateDir, overrides: o.overrides });
    } catch (err) {
      dumpSkipped = `no cluster of the lab is running (${toMessage(err)})`;
    }
  }

  const env: Record<string, string | undefined> = { ...o.deps.baseEnv };
  delete env.KUBECONFIG;
  Object.assign(env, provisioned?.env ?? {});
  o.status('Collecting versions and cluster state for the report');
  const [host, tools] = await Promise.all([hostInfo(o.deps.runner, o.deps.baseEnv), toolVersions(o.deps.runner, env)]);
  const dumps: ReproData['dumps'] = [];
  if (provisioned) {
    const istio = labTools(o.lab).includes('istioctl');
    for (const c of provisioned.clusters) {
      dumps.push({ cluster: c.kindName, dump: await dumpCluster({ runner: o.deps.runner, env, context: c.context, istio }) });
    }
  }

  if (!o.keep) {
    const t = o.deps.clock.now();
    try {
      await o.platform.down(o.lab.meta.id, { status: o.status });
    } catch (err) {
      report.error = (report.error ? report.error + '; ' : '') + `teardown failed: ${toMessage(err)}`;
      if (report.outcome === 'passed') report.outcome = 'error';
    }
    report.teardownMs = o.deps.clock.now() - t;
  }

  let declaredImages: string[] = [];
  try {
    declaredImages = (await labImages(o.lab, { pins: o.pins, ...(provisioned?.env.ISTIO_HOME ? { istioHome: provisioned.env.ISTIO_HOME } : {}) })).images.map((i) => i.ref);
  } catch {
    // The image list is a convenience in the report; a lab that cannot be read fully was reported above.
  }
  const data: ReproData = {
    report,
    ...(o.until !== undefined ? { until: o.until } : {}),
    overrides: Object.fromEntries(Object.entries(o.overrides).filter((e): e is [string, string] => typeof e[1] === 'string')),
    host,
    tools,
    declaredImages,
    dumps,
    ...(dumpSkipped ? { dumpSkipped } : {}),
    command: o.command,
  };
  const summary = await writeReportDir(o.outDir, data);
  return { report, dir: o.outDir, summary };
}

export interface MatrixAxis {
  /** The override it sets ("istio" or "k8s"). */
  key: 'istio' | 'k8s';
  values: string[];
}

export interface MatrixResult {
  matrix: Matrix;
  runs: ReproResult[];
  markdown: string;
}

/** Every combination of the axes' values, as override sets with a label ("istio 1.30.4, k8s v1.34.11"). */
export function combinations(axes: readonly MatrixAxis[]): Array<{ label: string; dirName: string; overrides: Partial<Record<'istio' | 'k8s', string>> }> {
  let combos: Array<Partial<Record<'istio' | 'k8s', string>>> = [{}];
  for (const axis of axes) combos = combos.flatMap((c) => axis.values.map((v) => ({ ...c, [axis.key]: v })));
  return combos.map((c) => {
    const parts = Object.entries(c) as Array<[string, string]>;
    return { label: parts.map(([k, v]) => `${k} ${v}`).join(', '), dirName: parts.map(([k, v]) => `${k}-${v}`).join('_') || 'default', overrides: c };
  });
}

/**
 * One reproduction per combination, each in its own subdirectory, then the matrix. Runs are
 * sequential: two labs of the same id cannot run at once (same cluster names), and a machine that
 * fits one Istio lab rarely fits two.
 */
export async function reproduceMatrix(
  base: Omit<ReproOptions, 'outDir' | 'overrides' | 'pins'>,
  axes: readonly MatrixAxis[],
  outDir: string,
  baseOverrides: ToolOverrides,
  pinsFor: (o: ToolOverrides) => Pins,
): Promise<MatrixResult> {
  const runs: ReproResult[] = [];
  const columns: Array<{ label: string; report: RunReport; dir: string }> = [];
  for (const combo of combinations(axes)) {
    const overrides = { ...baseOverrides, ...combo.overrides };
    base.status(`Reproducing ${base.lab.meta.id} with ${combo.label}`);
    const dir = join(outDir, combo.dirName);
    const r = await reproduce({ ...base, overrides, pins: pinsFor(overrides), outDir: dir });
    runs.push(r);
    columns.push({ label: combo.label, report: r.report, dir: combo.dirName });
  }
  const matrix = buildMatrix(base.lab.meta.id, columns);
  const links = columns.map((c) => `- ${c.label}: ${c.report.outcome}, details in \`${c.dir}/summary.md\``).join('\n');
  const markdown = `${renderMatrixMarkdown(matrix)}\n${links}\n`;
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'matrix.md'), markdown);
  await writeFile(join(outDir, 'matrix.json'), JSON.stringify(matrix, null, 2) + '\n');
  return { matrix, runs, markdown };
}
