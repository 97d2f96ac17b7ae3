/**
 * Wrappers around the shared fakes for what the mesh-expansion and multicluster labs need and the
 * shared fakes do not do (yet). Each wrapper replaces the launcher in h.binDir and either answers
 * itself or hands the call on, unchanged, to the shared fake:
 * - docker `run --cap-add X`: the shared fake takes X for the image; the wrapper drops the flag,
 *   remembers the capabilities, and answers `inspect -f '{{join .HostConfig.CapAdd " "}}'`;
 * - kind `create cluster` with networking.podSubnet/serviceSubnet: the shared fake gives every
 *   cluster 10.244.0.0/16 and 10.96.0.0/12; the wrapper has the test process renumber the new
 *   cluster's node pod CIDRs, pod IPs and the kube-dns/kubernetes ClusterIPs from the config;
 * - istioctl `install -f -` with an IstioOperator on stdin, `manifest generate`, `proxy-config`,
 *   `proxy-status`, `remote-clusters`: answered by the test process (behaviour/expansion) through
 *   the sim's `/_sim/exec` with node `sim:istioctl` and the command `[cluster, ...argv]`, where
 *   cluster is the sim cluster of the kubeconfig context.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SimHarness } from '../../harness.js';

const repo = resolve(import.meta.dirname, '../../../..');
const yamlUrl = pathToFileURL(join(repo, 'node_modules/yaml/dist/index.js')).href;

export const ISTIOCTL_NODE = 'sim:istioctl';

const common = (shared: string) => `
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYamlText } from ${JSON.stringify(yamlUrl)};
const SHARED = ${JSON.stringify(shared)};
const argv = process.argv.slice(2);
function handOn(args) {
  // In this process (one Node start per call, as without the wrapper): the shared fake reads process.argv.
  process.argv.splice(2, process.argv.length, ...args);
  import(pathToFileURL(SHARED).href);
}
function readStdin() { try { return readFileSync(0, 'utf8'); } catch { return ''; } }
function clusterOf(args) {
  const i = args.findIndex((a) => a === '--context' || a.startsWith('--context='));
  let ctx = i < 0 ? undefined : args[i].includes('=') ? args[i].split('=')[1] : args[i + 1];
  const path = (process.env.KUBECONFIG ?? '').split(':')[0];
  try {
    const cfg = parseYamlText(readFileSync(path, 'utf8'));
    ctx ??= cfg['current-context'];
    const c = cfg.contexts.find((x) => x.name === ctx);
    const server = cfg.clusters.find((x) => x.name === c.context.cluster).cluster.server;
    const m = /\\/clusters\\/([^/]+)$/.exec(server);
    return m ? decodeURIComponent(m[1]) : 'default';
  } catch { return 'default'; }
}
async function ask(command, stdin) {
  const res = await fetch(process.env.KINDLAB_SIM_URL + '/_sim/exec', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ node: ${JSON.stringify(ISTIOCTL_NODE)}, command, ...(stdin !== undefined ? { stdin } : {}) }) });
  const r = await res.json();
  if (!res.ok) { process.stderr.write('sim: ' + JSON.stringify(r) + '\\n'); process.exit(1); }
  if (r.stdout) process.stdout.write(r.stdout);
  if (r.stderr) process.stderr.write(r.stderr);
  process.exit(r.exitCode ?? 0);
}
`;

const docker = (shared: string, capsFile: string) => `#!/usr/bin/env node
${common(shared)}
const CAPS = ${JSON.stringify(capsFile)};
const caps = existsSync(CAPS) ? JSON.parse(readFileSync(CAPS, 'utf8')) : {};
if (argv[0] === 'run') {
  const out = [];
  const add = [];
  let name;
  let image = false;
  for (let i = 1; i < argv.length; i++) {
    if (!image && argv[i] === '--cap-add') { add.push(argv[++i]); continue; }
    if (!image && argv[i].startsWith('--cap-add=')) { add.push(argv[i].slice(10)); continue; }
    if (!image && argv[i] === '--name') name = argv[i + 1];
    out.push(argv[i]);
  }
  if (name) { caps[name] = add; writeFileSync(CAPS, JSON.stringify(caps)); }
  handOn(['run', ...out]);
} else if (argv[0] === 'inspect' && argv.some((a) => a.includes('.HostConfig.CapAdd'))) {
  const name = argv[argv.length - 1];
  if (!(name in caps)) handOn(argv);
  else process.stdout.write(caps[name].join(' ') + '\\n');
} else handOn(argv);
`;

const istioctl = (shared: string) => `#!/usr/bin/env node
${common(shared)}
const cmd = argv.find((a) => !a.startsWith('-'));
const fromStdin = argv.some((a, i) => (a === '-f' || a === '--filename') && argv[i + 1] === '-');
if (cmd === 'install' && !fromStdin) {
  const child = spawn(process.execPath, [SHARED, ...argv], { stdio: 'inherit' });
  child.on('exit', async (code) => {
    if (code !== 0) process.exit(code ?? 1);
    await ask([clusterOf(argv), 'post-install', ...argv.filter((a) => a !== 'install').map((a, i, all) => ((all[i - 1] === '-f' || all[i - 1] === '--filename') && a !== '-' ? resolve(a) : a))]);
  });
} else if (['proxy-config', 'pc', 'proxy-status', 'ps', 'remote-clusters', 'create-remote-secret'].includes(cmd) || (cmd === 'manifest' && fromStdin) || (cmd === 'install' && fromStdin)) {
  await ask([clusterOf(argv), ...argv], fromStdin ? readStdin() : undefined);
} else handOn(argv);
`;

const kind = (shared: string) => `#!/usr/bin/env node
${common(shared)}
if (argv[0] === 'create' && argv[1] === 'cluster') {
  const c = argv.indexOf('--config');
  const file = c >= 0 ? argv[c + 1] : undefined;
  const stdin = file === '-' ? readStdin() : undefined;
  const config = file === '-' ? stdin : file && existsSync(file) ? readFileSync(file, 'utf8') : '';
  const n = argv.indexOf('--name');
  const child = spawn(process.execPath, [SHARED, ...argv], { stdio: [stdin === undefined ? 'inherit' : 'pipe', 'inherit', 'inherit'] });
  if (stdin !== undefined) child.stdin.end(stdin);
  child.on('exit', async (code) => {
    if (code !== 0) process.exit(code ?? 1);
    await ask(['-', 'kind-post-create', n >= 0 ? argv[n + 1] : '', config ?? '']);
  });
} else handOn(argv);
`;

/** Puts the wrappers in front of the shared fakes. */
export async function installToolWrappers(h: SimHarness): Promise<void> {
  const sharedDir = join(h.dir, 'shared-fakes');
  await mkdir(sharedDir, { recursive: true });
  const fakes = resolve(import.meta.dirname, '../../fakes');
  const launcher = (tool: string) => `import(${JSON.stringify(pathToFileURL(join(fakes, tool)).href)});\n`;
  for (const tool of ['docker', 'kind'] as const) {
    const shared = join(sharedDir, `${tool}.mjs`);
    await writeFile(shared, launcher(tool));
    const text = tool === 'kind' ? kind(shared) : docker(shared, join(h.dir, 'docker-caps.json'));
    await writeFile(join(h.binDir, tool), text);
    await chmod(join(h.binDir, tool), 0o755);
  }
  // istioctl in h.binDir links into the fake release (ISTIO_HOME detection): the wrapper takes the release's file.
  const sharedIstioctl = join(sharedDir, 'istioctl.mjs');
  await writeFile(sharedIstioctl, launcher('istioctl'));
  await writeFile(join(h.istioHome, 'bin', 'istioctl'), istioctl(sharedIstioctl));
  await chmod(join(h.istioHome, 'bin', 'istioctl'), 0o755);
}
