/** How checkpoint results read in the terminal. */
import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/checks/types.js';
import { renderCheckResult } from '../../src/cli/render.js';

const base: CheckResult = { kind: 'http', title: 'GET http://${LB_IP}/', status: 'error', expected: '', found: 'error: unknown variable ${LB_IP} in url', durationMs: 3, line: 12 };

describe('renderCheckResult', () => {
  it('prints no empty "expected:" line when nothing was observed', () => {
    const text = renderCheckResult(base, false);
    expect(text).not.toMatch(/expected:\s*$/m);
    expect(text).toContain('    error: unknown variable ${LB_IP} in url');
  });

  it('shows notes for the lab author only to authors (run, repro), never to a learner', () => {
    const r = { ...base, hint: 'check the earlier step first', authorNote: 'Set the variable in the front matter env.' };
    expect(renderCheckResult(r, false)).not.toContain('front matter');
    expect(renderCheckResult(r, false)).toContain('check the earlier step first');
    expect(renderCheckResult(r, false, { forAuthor: true })).toContain("for the lab's author: Set the variable in the front matter env.");
  });

  it('keeps expected and found together when there is an expectation', () => {
    const text = renderCheckResult({ ...base, status: 'fail', expected: 'HTTP 200', found: 'HTTP 503' }, false);
    expect(text).toContain('    expected: HTTP 200\n    found:    HTTP 503');
  });
});
