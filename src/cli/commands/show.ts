import { defineCommand } from 'citty';
import type { Command } from '../main.js';
import { page } from '../pager.js';
import { renderMarkdown, renderStep } from '../render.js';
import { loadLab } from './_shared.js';

const command: Command = (cli) =>
  defineCommand({
    meta: { name: 'show', description: 'Show a lab as a document: rendered and paged in a terminal, plain Markdown in a pipe' },
    args: { lab: { type: 'positional', description: 'Lab id', required: true } },
    async run({ args }) {
      const lab = await loadLab(args.lab);
      const m = lab.meta;
      // Labs open with their own level-1 heading; that one is the title, not a second copy of it.
      const intro = lab.intro.replace(/^\s+/, '');
      const h1 = /^# (.+)\n/.exec(intro);
      const head = [
        `# ${h1 ? h1[1] : m.title}`,
        m.summary,
        `Source: ${m.source.title}${m.source.url ? ` (${m.source.url})` : ''}  \nDuration: ${m.duration} · Needs ${m.requires.memoryGiB} GiB memory and ${m.requires.cpus} CPUs for Docker`,
        h1 ? intro.slice(h1[0].length).replace(/^\s+/, '') : intro,
      ].join('\n\n');
      // The document goes to stdout: whether it is rendered depends on stdout, not on stderr.
      const term = { color: cli.term.stdout.color, columns: cli.term.stdout.columns };
      let text = await renderMarkdown(head, term);
      for (const step of lab.steps) text += await renderStep(step, lab.steps.length, term);
      await page(text, { stdout: cli.term.stdout, out: cli.term.out }, cli.env);
      return 0;
    },
  });
export default command;
