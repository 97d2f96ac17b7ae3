import { describe, expect, it, vi } from 'vitest';
import { commandWorks, skipWithout } from './requirements.js';

describe('tests that need a tool', () => {
  const missing = { name: 'no-such-tool', available: commandWorks('no-such-tool-kindlab'), install: 'nowhere' };

  it('run (and so fail) in CI when the tool is missing; skip with a warning elsewhere', () => {
    expect(missing.available).toBe(false);
    expect(skipWithout(missing, true)).toBe(false);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(skipWithout(missing, false)).toBe(true);
    expect(warn.mock.calls[0]?.[0]).toMatch(/^\[skipped\] tests needing no-such-tool: it is not available here \(nowhere\); in CI they run and fail without it/);
    warn.mockRestore();
  });

  it('an optional service (Docker) skips in CI too; an available tool never skips', () => {
    expect(skipWithout({ ...missing, name: 'docker-x', optional: true }, true)).toBe(true);
    expect(skipWithout({ name: 'sh', available: commandWorks('sh', ['-c', 'true']), install: '' }, false)).toBe(false);
  });
});
