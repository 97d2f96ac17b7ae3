/**
 * The pinned tools a lab needs, decided here and nowhere else: provisioning (ensureTools), doctor,
 * prefetch, offline readiness, export and repro all ask this. kind and kubectl always; the tools its
 * addons install with (src/platform/addons/registry.ts); and every pinned tool the lab's own
 * commands call: its ```sh blocks and their cleanup, and `command` checkpoints run on the host
 * (in a node or container the image's tools run, not kindlab's). A command that reads $ISTIO_HOME
 * needs the Istio release, which kindlab fetches with istioctl.
 */
import { programsOf } from '../lab/shell-refs.js';
import { addonSpecName, type AddonSpec } from '../model/frontmatter-schema.js';
import type { CodeBlock, Step } from '../model/lab.js';
import { ADDONS } from './addons/registry.js';
import { TOOLS } from './tools/catalog.js';
import { TOOL_NAMES, type ToolName } from './tools/versions.js';

/** What of a lab decides its tools (a Lab has it). */
export interface LabCommands {
  meta: { addons: readonly AddonSpec[] };
  steps: readonly Pick<Step, 'commands' | 'cleanup' | 'before' | 'checks'>[];
}

const byCommand = new Map<string, ToolName>(TOOL_NAMES.map((t) => [TOOLS[t].command, t]));
const readsIstioHome = /\$\{?ISTIO_HOME\b/;

/** The blocks of the lab that run on the host with kindlab's tools on PATH. */
function hostScripts(lab: LabCommands): CodeBlock[] {
  return lab.steps.flatMap((s) => [
    ...s.commands,
    ...s.cleanup,
    ...[...s.before, ...s.checks].flatMap((c) => (c.kind === 'command' && c.spec.on === 'host' ? [{ code: c.spec.run, line: c.line }] : [])),
  ]);
}

/** In the order of TOOL_NAMES: kind, kubectl, istioctl, helm, ... */
export function labTools(lab: LabCommands): ToolName[] {
  const need = new Set<ToolName>(['kind', 'kubectl']);
  for (const spec of lab.meta.addons) for (const t of ADDONS[addonSpecName(spec)].tools ?? []) need.add(t);
  for (const block of hostScripts(lab)) {
    for (const program of programsOf(block)) {
      const tool = byCommand.get(program);
      if (tool) need.add(tool);
    }
    if (readsIstioHome.test(block.code)) need.add('istioctl');
  }
  return TOOL_NAMES.filter((t) => need.has(t));
}
