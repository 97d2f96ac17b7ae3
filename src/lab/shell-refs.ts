/**
 * What a ```sh block refers to: files given to kubectl/istioctl/helm/kind, paths under
 * manifests/, input redirections, and manifests written inline as `kubectl apply -f - <<EOF`.
 * A small shell word splitter, good for the plain commands labs contain; anything it cannot
 * follow (variables, globs, URLs) is skipped rather than guessed.
 */
import type { CodeBlock } from '../model/lab.js';

export interface FileRef {
  /** As written, after removing a leading $LAB_DIR/ or $REPO_DIR/. */
  path: string;
  /**
   * What the path is relative to: the directory the command runs in (`cwd`: the lab collection
   * root, after any `cd` earlier in the block), $REPO_DIR, or $LAB_DIR.
   */
  base: 'cwd' | 'repo' | 'lab';
  /** Directory (relative to the collection root) a `cd` earlier in the block moved to; '' when none. */
  cwd: string;
  line: number;
  /** Whether the file should hold Kubernetes objects (kubectl/istioctl -f, manifests/...). */
  manifest: boolean;
  /** `-k`: the directory must hold a kustomization. */
  kustomize?: boolean;
}

export interface InlineManifest {
  yaml: string;
  /** Line in lab.md of the first YAML line. */
  line: number;
}

export interface ShellScan {
  files: FileRef[];
  inline: InlineManifest[];
}

export interface LogicalLine {
  text: string;
  line: number;
  heredoc?: { body: string; line: number; quoted: boolean };
}

export function scanShell(block: CodeBlock): ShellScan {
  const files: FileRef[] = [];
  const inline: InlineManifest[] = [];
  let cwd: string | undefined = '';
  for (const logical of logicalLines(block)) {
    for (const words of simpleCommands(logical.text)) {
      const cd = changeDir(words, cwd);
      if (cd !== false) {
        cwd = cd;
        continue;
      }
      if (cwd === undefined) continue;
      for (const ref of refsOf(words)) files.push({ ...ref, cwd, line: logical.line });
      if (logical.heredoc && readsManifestFromStdin(words)) {
        const { body, line, quoted } = logical.heredoc;
        // An unquoted delimiter lets the shell expand $VARs first: the text is not the manifest.
        if (quoted || !/\$[{(A-Za-z_]/.test(body)) inline.push({ yaml: body, line });
      }
    }
  }
  return { files, inline };
}

/** Joins backslash continuations and takes heredoc bodies out of the command stream. */
export function logicalLines(block: CodeBlock): LogicalLine[] {
  const lines = block.code.split('\n');
  const out: LogicalLine[] = [];
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let text = lines[i] as string;
    while (text.endsWith('\\') && i + 1 < lines.length) text = text.slice(0, -1) + ' ' + lines[++i];
    const logical: LogicalLine = { text, line: block.line + 1 + start };
    const here = /<<(-?)\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2/.exec(text.replace(/<<</g, ''));
    if (here) {
      const [, dash, quote, delim] = here;
      const bodyLines: string[] = [];
      const bodyStart = i + 1;
      while (i + 1 < lines.length) {
        const next = lines[++i] as string;
        if ((dash ? next.replace(/^\t+/, '') : next) === delim) break;
        bodyLines.push(next);
      }
      logical.heredoc = { body: bodyLines.join('\n'), line: block.line + 1 + bodyStart, quoted: quote !== '' };
    }
    out.push(logical);
  }
  return out;
}

const operators = new Set(['|', '||', '&&', ';', '&', '(', ')', '{', '}', '!']);

/** Splits a line into simple commands (word lists); quotes are removed, `$` kept. */
export function simpleCommands(text: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  const endWord = () => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    if (words.length) commands.push(words);
    words = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === "'" || c === '"') {
      const close = text.indexOf(c, i + 1);
      const end = close === -1 ? text.length : close;
      word += text.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '\\') {
      word += text[i + 1] ?? '';
      inWord = true;
      i++;
    } else if (c === '#' && !inWord) {
      break;
    } else if (/\s/.test(c)) {
      endWord();
    } else if ('|&;(){}'.includes(c) && !(c === '{' && text[i - 1] === '$') && !inBraceVar(word)) {
      endWord();
      const two = text.slice(i, i + 2);
      if (two === '||' || two === '&&') i++;
      endCommand();
    } else if (c === '<' || c === '>') {
      endWord();
      let op = c;
      while (text[i + 1] === '<' || text[i + 1] === '>' || text[i + 1] === '&') op += text[++i];
      words.push(op);
    } else {
      word += c;
      inWord = true;
    }
  }
  endCommand();
  return commands.map((w) => w.filter((x) => !operators.has(x)));
}

const inBraceVar = (word: string) => word.lastIndexOf('${') > word.lastIndexOf('}');

/** The new directory after `cd`, `undefined` when it cannot be known, false when not a cd. */
function changeDir(words: string[], cwd: string | undefined): string | undefined | false {
  if (words[0] !== 'cd') return false;
  const target = words[1];
  if (cwd === undefined || target === undefined || !isPlainPath(target) || target.startsWith('/')) return undefined;
  return cwd ? `${cwd}/${target}` : target;
}

const isPlainPath = (p: string) => p !== '' && p !== '-' && !p.includes('$') && !p.includes('://') && !/[*?[~`]/.test(p);

/** Strips $LAB_DIR/ and $REPO_DIR/ prefixes; undefined for paths that cannot be checked. */
function toRef(raw: string, manifest: boolean): Omit<FileRef, 'line' | 'cwd'> | undefined {
  const m = /^\$(?:\{(LAB_DIR|REPO_DIR)\}|(LAB_DIR|REPO_DIR))\/(.+)$/.exec(raw);
  const path = m ? (m[3] as string) : raw;
  if (!isPlainPath(path) || path.startsWith('/')) return undefined;
  const variable = m ? (m[1] ?? m[2]) : undefined;
  const base = variable === 'REPO_DIR' ? 'repo' : variable === 'LAB_DIR' ? 'lab' : 'cwd';
  return { path, base, manifest };
}

const kubeTools = new Set(['kubectl', 'istioctl', 'oc']);
/** kubectl subcommands where -f means "follow", not "file". */
const followSubcommands = new Set(['logs', 'attach']);

/** The words of what a simple command runs: leading VAR=value assignments and wrappers do not change it. */
function runWords(all: string[]): string[] {
  let start = 0;
  while (start < all.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(all[start] as string)) start++;
  while (['sudo', 'time', 'exec', 'command'].includes(all[start] ?? '')) start++;
  return all.slice(start);
}

const programOf = (words: string[]) => (words[0] ?? '').split('/').pop() ?? '';

/**
 * The programs a script runs (kubectl, helm, ...): the first word of every simple command, also
 * inside $(...) and backticks. Heredoc bodies and comments are not commands.
 */
export function programsOf(block: CodeBlock): string[] {
  const found = new Set<string>();
  const visit = (text: string) => {
    for (const words of simpleCommands(text)) {
      const program = programOf(runWords(words));
      if (program) found.add(program);
    }
    for (const inner of substitutions(text)) visit(inner);
  };
  for (const logical of logicalLines(block)) visit(logical.text);
  return [...found];
}

/** The bodies of $(...) and `...` command substitutions in a line, outside single quotes. */
function substitutions(text: string): string[] {
  const out: string[] = [];
  let quoted = false;
  let doubled = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && !quoted) i++;
    else if (c === "'" && !doubled) quoted = !quoted;
    else if (c === '"' && !quoted) doubled = !doubled;
    else if (quoted) continue;
    else if (c === '$' && text[i + 1] === '(' && text[i + 2] !== '(') {
      let depth = 0;
      let j = i + 1;
      for (; j < text.length; j++) {
        if (text[j] === '(') depth++;
        else if (text[j] === ')' && --depth === 0) break;
      }
      out.push(text.slice(i + 2, j));
      i = j;
    } else if (c === '`') {
      const end = text.indexOf('`', i + 1);
      if (end < 0) break;
      out.push(text.slice(i + 1, end));
      i = end;
    }
  }
  return out;
}

function refsOf(all: string[]): Array<Omit<FileRef, 'line' | 'cwd'>> {
  const words = runWords(all);
  const program = programOf(words);
  const refs: Array<Omit<FileRef, 'line' | 'cwd'> | undefined> = [];
  const follow = followSubcommands.has(words[1] ?? '');

  for (let i = 1; i < words.length; i++) {
    const w = words[i] as string;
    if (w === '--' && kubeTools.has(program)) break;
    const next = words[i + 1];
    const option = /^(--?[A-Za-z-]+)(?:=(.*))?$/.exec(w);
    const name = option?.[1];
    const value = option?.[2] ?? next;
    const consumed = option?.[2] === undefined;
    if (kubeTools.has(program) && !follow && (name === '-f' || name === '--filename') && value !== undefined) {
      refs.push(toRef(value, true));
    } else if (kubeTools.has(program) && (name === '-k' || name === '--kustomize') && value !== undefined) {
      const ref = toRef(value, false);
      refs.push(ref && { ...ref, kustomize: true });
    } else if (program === 'kubectl' && name === '--from-file' && value !== undefined) {
      refs.push(toRef(value.includes('=') ? value.slice(value.indexOf('=') + 1) : value, false));
    } else if (program === 'helm' && (name === '-f' || name === '--values') && value !== undefined) {
      refs.push(toRef(value, false));
    } else if (program === 'kind' && name === '--config' && value !== undefined) {
      refs.push(toRef(value, false));
    } else if (w === '<' && next !== undefined) {
      refs.push(toRef(next, /^(\.\/)?manifests\//.test(next)));
    } else {
      if (!option && /^(\.\/)?manifests\/./.test(w) && !/^[<>]/.test(words[i - 1] ?? '')) refs.push(toRef(w, /\.(ya?ml|json)$/.test(w)));
      continue;
    }
    if (consumed) i++;
  }
  return refs.filter((r): r is Omit<FileRef, 'line' | 'cwd'> => r !== undefined);
}

function readsManifestFromStdin(words: string[]): boolean {
  const program = (words[0] ?? '').split('/').pop() ?? '';
  if (!kubeTools.has(program)) return false;
  return words.some((w, i) => ((w === '-f' || w === '--filename') && words[i + 1] === '-') || w === '--filename=-' || w === '-f=-');
}
