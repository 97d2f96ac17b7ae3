/**
 * The filesystems of kind node containers: one real directory per node under a test's temporary
 * directory, so that the labs' shell one-liners (`cp -a`, `mv .../*.yaml`, `test -d`, `grep`,
 * `sed -n`, ...) run with a real shell and real tools. Absolute paths of the node's own tree
 * (/etc, /root, /var, /kind, /tmp, /run, /opt) are mapped into its directory; the host's files are
 * never touched, and outputs are mapped back so the learner-visible paths are the node's.
 *
 * Commands run with a PATH of a few harmless system tools only (coreutils, grep, sed, awk, jq, and
 * openssl, which kind's node image has as a dependency of ca-certificates): anything else is "not
 * found" in the node, as on a node image without it.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import type { ExecOutput } from '../exec.js';

const NODE_DIRS = ['etc', 'root', 'var', 'kind', 'tmp', 'run', 'opt'];
const TOOLS = [
  'sh', 'bash', 'cat', 'ls', 'cp', 'mv', 'rm', 'rmdir', 'mkdir', 'test', '[', 'grep', 'sed', 'awk', 'head', 'tail', 'sort', 'uniq', 'wc', 'tr',
  'cut', 'echo', 'printf', 'true', 'false', 'touch', 'ln', 'readlink', 'stat', 'find', 'basename', 'dirname', 'date', 'sleep', 'env', 'jq', 'xargs', 'tee', 'chmod', 'base64',
  'openssl',
];

export interface NodeFs {
  /** The node's root directory on this machine. */
  root(node: string): string;
  /** Host path of a node path (/etc/kubernetes/... → <root>/etc/kubernetes/...). */
  path(node: string, nodePath: string): string;
  exists(node: string, nodePath: string): boolean;
  read(node: string, nodePath: string): string | undefined;
  write(node: string, nodePath: string, text: string): void;
  list(node: string, nodePath: string): string[];
  symlink(node: string, target: string, nodePath: string): void;
  /** Runs a script with bash in the node's tree. */
  script(node: string, script: string, stdin?: string): Promise<Required<ExecOutput>>;
  /** Runs one of the allowed tools with its arguments, paths mapped; undefined for other commands. */
  tool(node: string, argv: string[], stdin?: string): Promise<Required<ExecOutput>> | undefined;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function createNodeFs(baseDir: string): NodeFs {
  const binDir = join(baseDir, '.bin');
  mkdirSync(binDir, { recursive: true });
  for (const tool of TOOLS) {
    const found = (process.env.PATH ?? '/usr/bin:/bin').split(delimiter).map((d) => join(d, tool)).find((p) => existsSync(p));
    if (found && !existsSync(join(binDir, tool))) symlinkSync(found, join(binDir, tool));
  }

  const root = (node: string) => {
    const dir = join(baseDir, node);
    if (!existsSync(dir)) for (const d of NODE_DIRS) mkdirSync(join(dir, d), { recursive: true });
    return dir;
  };
  const prefix = new RegExp(`(^|[\\s'"=:(><])/(${NODE_DIRS.join('|')})(?=/|$|[\\s'";|&)])`, 'g');
  const rewrite = (node: string, text: string) => text.replace(prefix, (_m, before: string, dir: string) => `${before}${root(node)}/${dir}`);
  const unrewrite = (node: string, text: string) => text.replace(new RegExp(escapeRegExp(root(node)), 'g'), '');

  const run = (node: string, file: string, args: string[], stdin?: string) =>
    new Promise<Required<ExecOutput>>((resolve) => {
      const child = execFile(
        file,
        args,
        { cwd: join(root(node), 'root'), env: { PATH: binDir, HOME: '/root', LANG: 'C.UTF-8' }, maxBuffer: 16 * 1024 * 1024, timeout: 30_000 },
        (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 127) : 0;
          resolve({ stdout: unrewrite(node, stdout), stderr: unrewrite(node, stderr), exitCode: code });
        },
      );
      // A command that does not read its input may exit before it is written.
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(stdin ?? '');
    });

  return {
    root,
    path: (node, nodePath) => join(root(node), nodePath),
    exists: (node, nodePath) => existsSync(join(root(node), nodePath)),
    read(node, nodePath) {
      try {
        return readFileSync(join(root(node), nodePath), 'utf8');
      } catch {
        return undefined;
      }
    },
    write(node, nodePath, text) {
      const p = join(root(node), nodePath);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, text);
    },
    list(node, nodePath) {
      try {
        return readdirSync(join(root(node), nodePath)).sort();
      } catch {
        return [];
      }
    },
    symlink(node, target, nodePath) {
      const p = join(root(node), nodePath);
      rmSync(p, { force: true });
      symlinkSync(join(root(node), target), p);
    },
    script: (node, script, stdin) => run(node, join(binDir, 'bash'), ['-c', rewrite(node, script)], stdin),
    tool(node, argv, stdin) {
      const [cmd, ...args] = argv;
      if (!cmd || !TOOLS.includes(cmd) || !existsSync(join(binDir, cmd))) return undefined;
      return run(node, join(binDir, cmd), args.map((a) => rewrite(node, a)), stdin);
    },
  };
}
