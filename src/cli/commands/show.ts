import { defineCommand } from 'citty';
import type { Command } from '../main.js';
import { renderMarkdown, renderStep } from '../render.js';
import { loadLab } from './_shared.js';

const command: Command = (cli) =>
  defineCommand({
    meta: { name: 'show', description: 'Show a lab as a document in the terminal (plain Markdown when not a terminal)' },
    args: { lab: { type: 'positional', description: 'Lab id', required: true } },
    async run({ args }) {
      const lab = await loadLab(args.lab);
      const m = lab.meta;
      const head = `# ${m.title}\n\n${m.summary}\n\nSource: ${m.source.title}${m.source.url ? ` (${m.source.url})` : ''}  \nDuration: ${m.duration} · Needs ${m.requires.memoryGiB} GiB memory and ${m.requires.cpus} CPUs for Docker\n\n${lab.intro}`;
      let text = await renderMarkdown(head, cli.term);
      for (const step of lab.steps) text += await renderStep(step, lab.steps.length, cli.term);
      cli.term.out(text);
      return 0;
    },
  });
export default command;
