import { defineCommand } from 'citty';
import { basename, isAbsolute, join } from 'node:path';
import { ExitCode, LabFormatError, formatIssue, type LabIssue } from '../../core/errors.js';
import { displayPath } from '../../lab/issues.js';
import type { Lab } from '../../model/lab.js';
import type { Command } from '../main.js';
import { ansi } from '../terminal.js';
import { jsonOption } from './_shared.js';

const command: Command = (cli) =>
  defineCommand({
    meta: { name: 'validate', description: 'Check lab documents: format, checkpoints, referenced manifests (against Kubernetes/Istio schemas), shell blocks (shellcheck)' },
    args: { labs: { type: 'positional', description: 'Lab ids or paths to lab directories (default: all labs)', required: false }, ...jsonOption },
    async run({ args }) {
      const [{ scanLabs, findLab }, { validateLabs }, { createProcessRunner }] = await Promise.all([
        import('../../lab/catalog.js'),
        import('../../lab/validate.js'),
        import('../../platform/exec.js'),
      ]);
      const runner = createProcessRunner();
      const all: Array<{ lab: string; issues: LabIssue[] }> = [];
      let ids: string[] = args._;
      // Why `list` could not show a lab, by its folder: kept in case the full parser accepts it.
      const unlisted = new Map<string, LabIssue>();
      if (!ids.length) {
        // Every lab, including the ones `list` cannot show: opened by their folder, they say why.
        const scan = await scanLabs();
        ids = [...scan.labs.map((l) => l.id), ...scan.broken.map((b) => b.dir)];
        const fileOf = (dir: string) => displayPath(join(dir, 'lab.md'));
        for (const b of scan.broken) {
          const p = scan.problems.find((q) => q.file === fileOf(b.dir));
          if (p) unlisted.set(b.dir, p);
        }
        const found = [...scan.problems.filter((p) => ![...unlisted.values()].includes(p)), ...scan.notes];
        if (found.length) all.push({ lab: 'KINDLAB_LABS_PATH', issues: found });
      }
      const parsed: Array<{ id: string; lab: Lab }> = [];
      for (const id of ids) {
        try {
          parsed.push({ id, lab: await findLab(id) });
        } catch (err) {
          // A lab that does not parse is reported like any other lab; an unknown id stops here.
          if (err instanceof LabFormatError) all.push({ lab: id, issues: err.issues });
          else throw err;
        }
      }
      // One shellcheck run for all labs: starting processes is the slow part.
      const issues = await validateLabs(parsed.map((p) => p.lab), { runner });
      parsed.forEach((p, i) => {
        const why = unlisted.get(p.id);
        all.push({ lab: p.id, issues: [...(why ? [why] : []), ...(issues[i] ?? [])] });
      });
      all.sort((a, b) => ids.indexOf(a.lab) - ids.indexOf(b.lab));
      for (const r of all) if (isAbsolute(r.lab)) r.lab = basename(r.lab);
      const errors = all.reduce((n, r) => n + r.issues.filter((i) => i.severity === 'error').length, 0);
      if (args.json) cli.term.out(JSON.stringify(all, null, 2) + '\n');
      else {
        const c = ansi(cli.term.color);
        for (const r of all) {
          const e = r.issues.filter((i) => i.severity === 'error');
          cli.term.out(`${e.length ? c.red('✗') : c.green('✓')} ${r.lab}\n`);
          for (const i of r.issues) cli.term.out(`  ${i.severity === 'error' ? c.red('error') : c.yellow('warning')} ${formatIssue(i)}\n`);
        }
        cli.term.err(`${all.length} lab(s), ${errors} error(s)\n`);
      }
      return errors ? ExitCode.usage : ExitCode.ok;
    },
  });
export default command;
