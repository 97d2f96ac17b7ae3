/**
 * kind clusters kindlab left behind (names start with "kindlab-"). Each one holds memory and CPU
 * while it runs, which is what a heavy lab then lacks. The current lab's own clusters are not
 * counted: `start` reuses them.
 */
import { stat } from 'node:fs/promises';
import { DEFAULT_SOURCES, TOOLS } from '../../tools/catalog.js';
import { findOnPath } from '../../tools/detect.js';
import { hostPlatform } from '../../tools/host.js';
import { cachedLocation } from '../../tools/install.js';
import type { DoctorContext, Probe } from '../types.js';

/** The pinned kind from the cache if present, else whatever kind is on PATH (any version lists clusters). */
async function findKind(ctx: DoctorContext): Promise<string | undefined> {
  try {
    const cached = cachedLocation(ctx.paths.cache, TOOLS.kind, ctx.pins.kind, hostPlatform(ctx.platform, ctx.hostArch), DEFAULT_SOURCES).binary;
    if ((await stat(cached)).isFile()) return cached;
  } catch {
    // not cached
  }
  return findOnPath('kind', ctx.env, ctx.platform === 'win32');
}

export const clustersProbe: Probe = {
  id: 'clusters',
  title: 'Leftover clusters',
  async run(ctx) {
    const docker = await ctx.docker();
    if (docker.state !== 'ok') return [{ id: this.id, title: this.title, status: 'skip', message: 'needs a working Docker (see the Docker finding)' }];
    const kind = await findKind(ctx);
    if (!kind) return [{ id: this.id, title: this.title, status: 'skip', message: 'kind is not installed yet, so there are no kind clusters to list' }];
    const res = await ctx.runner.run(kind, ['get', 'clusters'], { env: ctx.env, timeoutMs: 20_000 });
    if (res.exitCode !== 0) {
      return [{ id: this.id, title: this.title, status: 'warn', message: `\`kind get clusters\` failed: ${res.stderr.trim().split('\n').at(-1) ?? ''}` }];
    }
    const own = ctx.lab ? `kindlab-${ctx.lab.id}` : undefined;
    const leftovers = res.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((n) => n.startsWith('kindlab-') && !(own && (n === own || n.startsWith(`${own}-`))));
    if (leftovers.length === 0) return [{ id: this.id, title: this.title, status: 'ok', message: 'no clusters left over from other labs' }];
    return [
      {
        id: this.id,
        title: this.title,
        status: 'warn',
        message: `${leftovers.length} kind cluster${leftovers.length > 1 ? 's' : ''} from other labs still running: ${leftovers.join(', ')}`,
        fix: `They use memory this lab may need. Remove them with kindlab's down command or \`kind delete cluster --name ${leftovers[0]}\`.`,
      },
    ];
  },
};
