/** Options a command does not have are refused with the nearest one; help fits 80 columns and shows the pins. */
import { describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/main.js';
import { checkOptions, nearestOption } from '../../src/cli/options.js';
import { PINS } from '../../src/platform/tools/pins.js';
import { runInProcess } from './in-process.js';
import { isolatedEnv } from './run-cli.js';

describe('unknown options', () => {
  it('`list --jsn` is refused with exit 2 and the nearest option, not answered with the table', async () => {
    const r = await runInProcess(['list', '--jsn'], await isolatedEnv());
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown option --jsn');
    expect(r.err).toContain('Did you mean --json?');
    expect(r.out).toBe('');
  });

  it('`start --frseh` is refused before anything is created or resumed', async () => {
    const env = await isolatedEnv();
    const r = await runInProcess(['start', 'canary-l4', '--frseh'], env);
    expect(r.code).toBe(2);
    expect(r.err).toContain('Did you mean --fresh?');
  });

  it('an option that needs a value and has none is refused', () => {
    expect(() => checkOptions('status', { lab: { type: 'string' } }, ['--lab'])).toThrow('--lab needs a value');
    expect(() => checkOptions('status', { lab: { type: 'string' }, json: { type: 'boolean' } }, ['--lab', '--json'])).toThrow('--lab needs a value');
  });

  it('accepts every spelling citty accepts: --name=value, kebab and camel case, --no-flag, aliases', () => {
    const args = { 'skip-doctor': { type: 'boolean' }, until: { type: 'string' }, yes: { type: 'boolean', alias: 'y' } } as const;
    expect(() => checkOptions('run', args, ['lab', '--skip-doctor', '--skipDoctor', '--no-skip-doctor', '--until=3', '--until', '3', '-y', '--', '--anything'])).not.toThrow();
  });

  it('suggests only what is close', () => {
    expect(nearestOption('frseh', ['fresh', 'skip-doctor'])).toBe('fresh');
    expect(nearestOption('chk', ['check-timeout'])).toBeUndefined();
    expect(nearestOption('check', ['check-timeout'])).toBe('check-timeout');
    expect(nearestOption('zzzzzz', ['json'])).toBeUndefined();
  });
});

describe('help', () => {
  it('every command help fits 80 columns and version options show the real pins as pins, not as example values', async () => {
    const env = await isolatedEnv();
    for (const name of ['', ...Object.keys(commands)]) {
      const r = await runInProcess(name ? [name, '--help'] : ['--help'], env);
      expect(r.code, name).toBe(0);
      const long = r.out.split('\n').filter((l) => l.length > 80);
      expect(long, name).toEqual([]);
    }
    const start = (await runInProcess(['start', '--help'], env)).out;
    expect(start).toContain(`pinned ${PINS.istio}`);
    expect(start).toContain(`pinned ${PINS.defaultK8s}`);
    expect(start).toContain(`pinned ${PINS.kind}`);
    expect(start).toContain(`pinned ${PINS.helm}`);
    // A value placeholder is a placeholder: no version number inside <...>.
    expect(start).not.toMatch(/<v?\d+\.\d+/);
    expect(start).toMatch(/--istio <version>/);
  });
});
