import { defineCommand } from 'citty';
import { ExitCode, LabFormatError, type LabIssue } from '../../core/errors.js';
import type { Lab } from '../../model/lab.js';
import type { Command } from '../main.js';
import { ansi } from '../terminal.js';
import { jsonOption } from './_shared.js';

const command: Command = (cli) =>
  defineCommand({
    meta: { name: 'validate', description: 'Check lab documents: format, checkpoints, referenced manifests (against Kubernetes/Istio schemas), shell blocks (shellcheck)' },
    args: { labs: { type: 'positional', description: 'Lab ids or paths to lab directories (default: all labs)', required: false }, ...jsonOption },
    async run({ args }) {
      const [{ listLabs, findLab }, { validateLabs }, { createProcessRunner }] = await Promise.all([
        import('../../lab/catalog.js'),
        import('../../lab/validate.js'),
        import('../../platform/exec.js'),
      ]);
      const ids = args._.length ? args._ : (await listLabs()).map((l) => l.id);
      const runner = createProcessRunner();
      const all: Array<{ lab: string; issues: LabIssue[] }> = [];
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
      parsed.forEach((p, i) => all.push({ lab: p.id, issues: issues[i] ?? [] }));
      all.sort((a, b) => ids.indexOf(a.lab) - ids.indexOf(b.lab));
      const errors = all.reduce((n, r) => n + r.issues.filter((i) => i.severity === 'error').length, 0);
      if (args.json) cli.term.out(JSON.stringify(all, null, 2) + '\n');
      else {
        const c = ansi(cli.term.color);
        for (const r of all) {
          const e = r.issues.filter((i) => i.severity === 'error');
          cli.term.out(`${e.length ? c.red('✗') : c.green('✓')} ${r.lab}\n`);
          for (const i of r.issues) cli.term.out(`  ${i.severity === 'error' ? c.red('error') : c.yellow('warning')} ${i.file}:${i.line}: ${i.message}\n`);
        }
        cli.term.err(`${all.length} lab(s), ${errors} error(s)\n`);
      }
      return errors ? ExitCode.usage : ExitCode.ok;
    },
  });
export default command;
