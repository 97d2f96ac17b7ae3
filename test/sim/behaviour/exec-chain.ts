/**
 * Composes behaviour models into the sim's exec handler (`sim.onExec`): each behaviour answers the
 * commands it simulates and returns undefined for the rest; the first answer wins. A command no
 * behaviour answers fails like a missing executable (exit 127) and is remembered in `unhandled`, so
 * a test can say what the sim lacks.
 *
 *   const chain = execChain(samplers, nodeShell, podShell);
 *   sim.onExec = chain.handler;
 */
import type { ExecHandler, ExecOutput, ExecRequest } from '../exec.js';

export type ExecBehaviour = (req: ExecRequest) => ExecOutput | undefined | Promise<ExecOutput | undefined>;

export interface ExecChain {
  handler: ExecHandler;
  /** Commands nobody answered: "<where>: <command>". */
  unhandled: string[];
}

export function where(req: ExecRequest): string {
  return req.node ? `node ${req.node}${req.image ? ` (${req.image})` : ''}` : `pod ${req.namespace}/${req.pod}`;
}

export function execChain(...behaviours: ExecBehaviour[]): ExecChain {
  const unhandled: string[] = [];
  const handler: ExecHandler = async (req) => {
    for (const b of behaviours) {
      const out = await b(req);
      if (out) return out;
    }
    const text = `${where(req)}: ${req.command.join(' ').slice(0, 300)}`;
    unhandled.push(text);
    return { stdout: '', stderr: `sim: not simulated in ${text}\n`, exitCode: 127 };
  };
  return { handler, unhandled };
}

/** Splits a one-line command without shell syntax into words (quotes honoured); undefined otherwise. */
export function simpleWords(script: string): string[] | undefined {
  const text = script.trim();
  if (!text || /[;&|<>$`(){}*?[\]~#!\\\n]/.test(text.replace(/'[^']*'|"[^"$`\\]*"/g, ''))) return undefined;
  const words: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  let current = '';
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last && /\s/.test(text.slice(last, m.index)) && current !== '') {
      words.push(current);
      current = '';
    }
    current += m[1] ?? m[2] ?? m[3] ?? '';
    last = re.lastIndex;
  }
  if (current !== '') words.push(current);
  return words;
}

/** The script of `sh -c <script>` / `bash -c <script>`, when argv is one. */
export function shellScript(argv: string[]): string | undefined {
  return argv.length >= 3 && /(^|\/)(ba)?sh$/.test(argv[0]!) && argv[1] === '-c' ? argv[2] : undefined;
}
