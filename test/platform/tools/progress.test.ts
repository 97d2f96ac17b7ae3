import { describe, expect, it } from 'vitest';
import { lineProgress } from '../../../src/platform/tools/progress.js';

describe('lineProgress', () => {
  it('prints a start line, each quarter once, and the end', () => {
    const lines: string[] = [];
    const task = lineProgress((l) => lines.push(l)).start('istioctl 1.31.1', 4 * 1_048_576);
    for (let i = 0; i < 16; i++) task.advance(262_144);
    task.finish(true);
    expect(lines).toEqual([
      'Downloading istioctl 1.31.1 (4.0 MB)',
      '  istioctl 1.31.1: 25%',
      '  istioctl 1.31.1: 50%',
      '  istioctl 1.31.1: 75%',
      '  istioctl 1.31.1: done (4.0 MB)',
    ]);
  });

  it('copes with an unknown size and a failure', () => {
    const lines: string[] = [];
    const task = lineProgress((l) => lines.push(l)).start('kind v0.33.0');
    task.advance(1_048_576);
    task.finish(false);
    expect(lines).toEqual(['Downloading kind v0.33.0', '  kind v0.33.0: failed after 1.0 MB']);
  });
});
