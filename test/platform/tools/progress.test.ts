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

describe('barProgress', () => {
  it('draws cli-progress bars on a terminal stream and stops when the last download ends', async () => {
    const { PassThrough } = await import('node:stream');
    const { barProgress } = await import('../../../src/platform/tools/progress.js');
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
    let out = '';
    stream.on('data', (d: Buffer) => (out += d.toString()));
    const sink = barProgress(stream);
    const a = sink.start('kind v0.33.0', 2_097_152);
    const b = sink.start('kubectl v1.35.8', 1_048_576);
    a.advance(2_097_152);
    b.advance(1_048_576);
    a.finish(true);
    b.finish(true);
    await new Promise((r) => setTimeout(r, 20));
    const { stripVTControlCharacters } = await import('node:util');
    const plain = stripVTControlCharacters(out);
    expect(plain).toContain('kind v0.33.0 2.0/2.0 MB');
    expect(plain).toContain('kubectl v1.35.8 1.0/1.0 MB');
    expect(plain).toContain('100%');
  });
});
