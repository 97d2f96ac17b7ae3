/**
 * cgroup version and rootless mode, the two daemon settings kind itself validates
 * (kind `pkg/cluster/internal/create/create.go` validateProvider): rootless without cgroup v2 is an
 * error there, cgroup v1 a deprecation warning. Reporting them up front saves a failed create.
 */
import type { Probe } from '../types.js';
import { dockerInfoOrSkip } from './docker.js';

export const runtimeProbe: Probe = {
  id: 'docker.runtime',
  title: 'Docker runtime',
  async run(ctx) {
    const got = await dockerInfoOrSkip(ctx, this.id, this.title);
    if (!got.info) return [got.skip];
    const { cgroupVersion, rootless } = got.info;
    const mode = `${rootless ? 'rootless' : 'rootful'} Docker, cgroup v${cgroupVersion || '?'}`;
    if (cgroupVersion === '1' && rootless) {
      return [
        {
          id: this.id,
          title: this.title,
          status: 'fail',
          message: `${mode}: kind needs cgroup v2 for rootless nodes`,
          fix: 'Boot with cgroup v2 (systemd.unified_cgroup_hierarchy=1) or use rootful Docker.',
        },
      ];
    }
    if (cgroupVersion === '1') {
      return [
        {
          id: this.id,
          title: this.title,
          status: 'warn',
          message: `${mode}: cgroup v1 is deprecated by kind and Kubernetes`,
          fix: 'Move the host (or Docker VM) to cgroup v2 when you can; labs still run for now.',
        },
      ];
    }
    return [
      {
        id: this.id,
        title: this.title,
        status: 'ok',
        message: rootless ? `${mode}; kind also needs systemd Delegate=yes for cpu, memory and pids` : mode,
      },
    ];
  },
};
