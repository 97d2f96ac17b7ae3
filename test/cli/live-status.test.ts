/** The live status while a lab comes up: one redrawn block on a terminal, plain lines in a pipe. */
import { PassThrough } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createLiveStatus } from '../../src/cli/live-status.js';

function terminal() {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 120, rows: 40 });
  let raw = '';
  stream.on('data', (d: Buffer) => (raw += d.toString()));
  return { stream, raw: () => raw };
}

describe('live status', () => {
  it('on a terminal: the phase with its elapsed time and what it waits for, redrawn in place; finished phases stay as lines', () => {
    let t = 1_000_000;
    const screen = terminal();
    const lines: string[] = [];
    const live = createLiveStatus({ isTTY: true, color: false, write: (s) => lines.push(s), stream: screen.stream, now: () => t });

    live.status('Creating cluster kindlab-demo');
    t += 12_000;
    live.status('Waiting for nodes of kindlab-demo to be Ready');
    let plain = stripVTControlCharacters(screen.raw());
    expect(plain).toMatch(/Creating cluster kindlab-demo \(12s\) · waiting for nodes of kindlab-demo to be Ready/);
    // Redrawn in place (carriage to column 1, erase to the end of the line), not appended.
    expect(screen.raw()).toContain('\u001b[1G');
    expect(screen.raw()).toContain('\u001b[?25l');

    t += 30_000;
    live.status('Installing Istio (profile demo) in kindlab-demo');
    t += 5_000;
    live.status('Waiting for deployment istiod in istio-system to be ready');
    plain = stripVTControlCharacters(screen.raw());
    expect(plain).toContain('• Creating cluster kindlab-demo (42s)');
    expect(plain).toMatch(/Installing Istio \(profile demo\) in kindlab-demo \(5\.0s, 47s in all\) · waiting for deployment istiod/);

    // A download shows as a bar in the same block.
    const task = live.progress.start('istioctl 1.31.1', 2 * 1_048_576);
    task.advance(1_048_576);
    live.status('Waiting for deployment istiod in istio-system to be ready');
    expect(stripVTControlCharacters(screen.raw())).toMatch(/50% \| istioctl 1\.31\.1 1\.0\/2\.0 MB/);
    task.finish(true);

    live.pause();
    plain = stripVTControlCharacters(screen.raw());
    expect(plain).toContain('• Installing Istio (profile demo) in kindlab-demo (5.0s)');
    expect(plain).toContain('• Downloaded istioctl 1.31.1 (1.0 MB)');
    // The cursor comes back and the live line is erased; nothing went around the stream.
    expect(screen.raw()).toContain('\u001b[?25h');
    expect(screen.raw().endsWith('\u001b[0J')).toBe(true);
    expect(lines).toEqual([]);
  });

  it('in a pipe: one plain line per message, waits included, downloads as a few percentages', () => {
    const lines: string[] = [];
    const live = createLiveStatus({ isTTY: false, color: false, write: (s) => lines.push(s) });
    live.status('Creating cluster kindlab-demo');
    live.status('Waiting for nodes of kindlab-demo to be Ready');
    const task = live.progress.start('kind v0.33.0', 4 * 1_048_576);
    task.advance(2 * 1_048_576);
    task.finish(true);
    live.pause();
    expect(lines).toEqual([
      '• Creating cluster kindlab-demo\n',
      '• Waiting for nodes of kindlab-demo to be Ready\n',
      'Downloading kind v0.33.0 (4.0 MB)\n',
      '  kind v0.33.0: 50%\n',
      '  kind v0.33.0: done (2.0 MB)\n',
    ]);
    // eslint-disable-next-line no-control-regex
    expect(lines.join('')).not.toMatch(/\u001b/);
  });
});
