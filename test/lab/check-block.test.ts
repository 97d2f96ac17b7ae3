import { describe, expect, it } from 'vitest';
import { parseCheckBlock } from '../../src/lab/check-block.js';
import { IssueList } from '../../src/lab/issues.js';

/** Parses a block whose first line is line 10 of lab.md; returns checks and [line, message] pairs. */
function parse(code: string) {
  const issues = new IssueList('lab.md');
  const checks = parseCheckBlock(code, 10, issues);
  return { checks, problems: issues.items.map((i) => [i.line, i.message]) };
}

describe('parseCheckBlock', () => {
  it('produces one CheckSpec per item with its own line and defaults applied', () => {
    const { checks, problems } = parse('- rollout: deployment/web\n- traffic:\n    url: http://x/\n    classify:\n      classes: { a: a, b: b }\n    expect: { a: 0.5, b: 0.5 }\n  name: split\n');
    expect(problems).toEqual([]);
    expect(checks).toEqual([
      { kind: 'rollout', spec: 'deployment/web', options: { consecutive: 1 }, line: 10 },
      {
        kind: 'traffic',
        spec: expect.objectContaining({ url: 'http://x/', confidence: 0.999, classify: { source: 'body', classes: { a: 'a', b: 'b' } } }),
        options: { consecutive: 1, name: 'split' },
        line: 11,
      },
    ]);
  });

  const cases: Array<[string, string, Array<[number, string]>]> = [
    ['a wrong type', '- traffic:\n    url: x\n    requests: many\n    classify: { classes: { a: a } }\n    expect: { a: 1 }\n', [[12, 'check "traffic": requests: expected an integer from 1 to 5000, found "many"']]],
    ['a missing field', '- http:\n    method: GET\n', [[10, 'check "http": missing field "url" (a string)']]],
    ['a misspelled field of the kind', '- http:\n    url: x\n    metod: GET\n', [[12, 'check "http": unknown field "metod" (did you mean "method"?)']]],
    ['a misspelled enum value', '- http: { url: x, method: GOT }\n', [[10, 'check "http": method: expected one of GET, POST, PUT, PATCH, DELETE, HEAD, found "GOT" (did you mean "GET"?)']]],
    ['a nested path', '- http:\n    url: x\n    expect:\n      status: ok\n', [[13, 'check "http": expect.status: expected an integer or a list of integers, found "ok"']]],
    ['a misspelled vantage', '- http:\n    url: x\n    from: { nod: worker }\n', [[12, 'check "http": from: expected "host", a map with field node, a map with field pod or a map with field container, found a map with field nod (did you mean "node"?)']]],
    ['a misspelled literal', '- http:\n    url: x\n    from: hots\n', [[12, 'check "http": from: expected "host", found "hots" (did you mean "host"?)']]],
    ['the matching alternative of a union', '- http:\n    url: x\n    from: { pod: { selectr: app=a } }\n', [[12, 'check "http": from.pod: unknown field "selectr" (did you mean "selector"?)']]],
    ['a refinement', '- resource:\n    kind: Pod\n    count: {}\n', [[12, 'check "resource": count: give at least one of eq, gt, gte, lt, lte']]],
    ['a bad option', '- rollout: deployment/web\n  timeout: soon\n', [[11, 'check "rollout": timeout: expected a duration like 30s, 5m or 1h, found "soon"']]],
    ['a bad capture name', '- rollout: deployment/web\n  capture: { lb_ip: status }\n', [[11, 'check "rollout": capture: invalid name "lb_ip": expected a string matching /^[A-Z][A-Z0-9_]*$/']]],
    ['two kinds in one item', '- rollout: deployment/web\n  http: { url: x }\n', [[11, 'one check per list item: found "rollout" and "http"; begin the second with "- "']]],
    ['an option that is not one', '- rollout: deployment/web\n  colour: red\n', [[11, 'check "rollout": unknown option "colour" (options: name, timeout, consecutive, attempts, cluster, capture, hint, holdsBefore)']]],
    ['a holdsBefore mark without a reason', '- rollout: deployment/web\n  holdsBefore:\n', [[11, 'check "rollout": holdsBefore: expected a sentence saying why the checkpoint already holds before the step\'s commands, found an empty value']]],
    ['a holdsBefore mark that is no sentence', '- rollout: deployment/web\n  holdsBefore: true\n', [[11, 'check "rollout": holdsBefore: expected a sentence saying why the checkpoint already holds before the step\'s commands, found true']]],
    ['a blank holdsBefore reason', '- rollout: deployment/web\n  holdsBefore: " "\n', [[11, 'check "rollout": holdsBefore: expected a sentence saying why the checkpoint already holds before the step\'s commands, found " "']]],
    ['a scalar item', '- just text\n', [[10, 'a check is a map like "- rollout: deployment/web", found "just text"']]],
    ['invalid YAML', '- http: { url: x\n', [[10, 'check block: invalid YAML: Flow map in block collection must be sufficiently indented and end with a }']]],
    ['an alias without anchor', '- rollout: deployment/web\n- http: *nope\n', [[11, 'check block: alias *nope has no anchor: define "&nope" on a value before it, or write the value out']]],
    ['a self-referencing alias', '- http: &h { url: x, expect: *h }\n', [[10, 'check block: alias *h is inside the value it refers to, which would make that value contain itself forever']]],
    ['a list as a map key', '- ? [a, b]\n  : 1\n', [[10, 'check block: a map key must be a plain value such as a name or a number, not a list or a map']]],
    ['a block over the size limit', `- command:\n    run: ${'x'.repeat(17_000)}\n`, [[9, "this check block is 17 KiB, over kindlab's limit of 16 KiB for a code block (no real lab comes near it): shorten it or split it up"]]],
    ['a thousand syntax errors, only the first few', `- nodes: ${'{'.repeat(1000)}\n`, Array.from({ length: 5 }, () => [10, expect.stringMatching(/^check block: invalid YAML: /) as unknown as string])],
  ];

  it.each(cases)('reports %s', (_, code, expected) => {
    const { checks, problems } = parse(code);
    expect(problems).toEqual(expected);
    expect(checks).toEqual([]);
  });

  it('keeps the reason of a holdsBefore mark', () => {
    const { checks, problems } = parse('- rollout: deployment/web\n  holdsBefore: the web tier runs since step 1\n');
    expect(problems).toEqual([]);
    expect(checks[0]?.options.holdsBefore).toBe('the web tier runs since step 1');
  });

  it('keeps the valid items of a block with an invalid one', () => {
    const { checks, problems } = parse('- rollout: deployment/a\n- rollout: 42\n- rollout: deployment/b\n');
    expect(checks.map((c) => c.line)).toEqual([10, 12]);
    expect(problems).toEqual([[11, 'check "rollout": expected a string matching /^(deployment|daemonset|statefulset)\\/([a-z0-9.-]+\\/)?[a-z0-9.-]+$/i or a map with fields kind, name, namespace, replicas, nodeSelector, distinctNodes, found 42']]);
  });
});
