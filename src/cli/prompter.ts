/** The only module that imports inquirer. With --yes every prompt takes its default without asking. */
import type { Choice, Prompter } from '../core/seams.js';

export function createPrompter(opts: { yes: boolean }): Prompter {
  return {
    async select<T extends string>(message: string, choices: Choice<T>[], defaultValue?: T): Promise<T> {
      if (opts.yes) return defaultValue ?? (choices[0] as Choice<T>).value;
      const { select } = await import('@inquirer/prompts');
      return select<T>({ message, choices: choices.map((c) => ({ value: c.value, name: c.name, ...(c.description ? { description: c.description } : {}) })), ...(defaultValue ? { default: defaultValue } : {}) }, { output: process.stderr });
    },
    async confirm(message: string, defaultValue = false): Promise<boolean> {
      if (opts.yes) return true;
      const { confirm } = await import('@inquirer/prompts');
      return confirm({ message, default: defaultValue }, { output: process.stderr });
    },
  };
}
