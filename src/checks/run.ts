/**
 * Runs checks: interpolation of ${VAR}, the kind's implementation (loaded lazily), the deadline,
 * repeated attempts (watch, poll with backoff, or bounded samples), consecutive passes, captures,
 * and turning anything thrown into an `error` result with a message a learner can act on.
 */
import { formatDuration, parseDuration } from '../core/duration.js';
import { toMessage } from '../core/errors.js';
import type { CheckSpec } from '../model/check-schema.js';
import type { AttemptOutcome, CheckContext, CheckImplementation, CheckResult, CheckRunner } from './types.js';
import { loadImplementation } from './registry.js';
import { interpolateDeep, interpolateString, makeLookup } from './interpolate.js';
import { availableKeys, lookupPath, valueText } from './paths.js';
import { excerpt } from './format.js';
import { CheckConfigError } from './errors.js';
import { attemptPlan } from './sample-plan.js';

/** Between failed attempts of poll kinds: 0.5 s, growing by 1.6× up to 5 s. */
export const retryDelays = { firstMs: 500, factor: 1.6, maxMs: 5000 };
/** Between passing attempts when `consecutive` asks for several passes in a row. */
export const passIntervalMs = 1000;
/** How long an attempt may overrun the deadline before its result is no longer awaited. */
export const graceMs = 2000;

type AnySpec = CheckSpec['spec'];
type Implementation = CheckImplementation & { attempt(spec: AnySpec, ctx: CheckContext, signal: AbortSignal): Promise<AttemptOutcome> };

export async function runCheck(check: CheckSpec, ctx: CheckContext): Promise<CheckResult> {
  const started = ctx.clock.now();
  const { options } = check;
  const lookup = makeLookup(ctx.vars, ctx.env);
  const name = options.name === undefined ? undefined : interpolateString(options.name, lookup);
  const authorHint = options.hint === undefined ? undefined : interpolateString(options.hint, lookup);

  const result = (status: CheckResult['status'], fields: Partial<CheckResult> & { title: string; expected: string; found: string }): CheckResult => {
    // The lab's own hint explains a wrong cluster state; when the state could not be observed at
    // all (status error: API unreachable, a variable missing) it would point the learner elsewhere.
    const hint = status === 'pass' ? undefined : [status === 'fail' ? authorHint : undefined, fields.hint].filter((h) => h).join('\n') || undefined;
    const out: CheckResult = {
      ...fields,
      kind: check.kind,
      title: name ?? fields.title,
      status,
      durationMs: Math.max(0, ctx.clock.now() - started),
      line: check.line,
    };
    if (hint) out.hint = hint;
    else delete out.hint;
    return out;
  };

  let impl: Implementation;
  try {
    impl = (await loadImplementation(check.kind)) as Implementation;
  } catch (err) {
    return result('error', { title: `${check.kind} check`, expected: '', found: `error: ${toMessage(err)}` });
  }
  const describe = (spec: AnySpec) => {
    try {
      return impl.describe?.(spec as never) ?? `${check.kind} check`;
    } catch {
      return `${check.kind} check`;
    }
  };

  let spec: AnySpec;
  try {
    spec = interpolateDeep(check.spec, lookup, { shellFields: check.kind === 'command' ? ['run'] : [] });
  } catch (err) {
    return result('error', {
      title: describe(check.spec),
      expected: '',
      found: `error: ${toMessage(err)}`,
      hint: 'This checkpoint uses a value that a checkpoint of an earlier step saves: check that step first (`kindlab status` shows which passed).',
      authorNote: 'Set the variable in an earlier step (capture) or in the front matter env.',
    });
  }
  const title = describe(spec);

  const cluster = options.cluster ?? ctx.cluster;
  if (cluster !== undefined && !ctx.clusters.some((c) => c.name === cluster)) {
    const known = ctx.clusters.map((c) => c.name || '(unnamed)').join(', ');
    return result('error', { title, expected: '', found: `error: no cluster named "${cluster}" in this lab (clusters: ${known})` });
  }
  const scoped: CheckContext = { ...ctx, kube: (c?: string) => ctx.kube(c ?? cluster), attemptPlan: attemptPlan(options, impl.strategy ?? 'poll') };
  if (cluster !== undefined) scoped.cluster = cluster;

  const timeoutMs = options.timeout ? parseDuration(options.timeout) : impl.defaultTimeoutMs;
  const strategy = impl.strategy ?? 'poll';
  const plan = attemptPlan(options, strategy);
  const { consecutive } = plan;
  const maxAttempts = plan.attempts;

  // The deadline: one controller aborted by the timer or by the caller's signal.
  const deadline = new AbortController();
  const timerStop = new AbortController();
  let interrupted = false;
  ctx.clock.sleep(timeoutMs, timerStop.signal).then(
    () => deadline.abort(),
    () => undefined,
  );
  const onOuterAbort = () => {
    interrupted = true;
    deadline.abort();
  };
  if (ctx.signal?.aborted) onOuterAbort();
  else ctx.signal?.addEventListener('abort', onOuterAbort, { once: true });

  let last: AttemptOutcome | undefined;
  let lastError: unknown;
  let lastWasError = false;
  let attempts = 0;
  let passes = 0;
  let passed = false;
  let delay = retryDelays.firstMs;
  try {
    while (!deadline.signal.aborted && attempts < maxAttempts) {
      attempts++;
      const r = await attemptOnce(impl, spec, scoped, deadline.signal);
      if (r.kind === 'late') break;
      // A failed attempt the deadline cut short (a command killed at the time limit, requests
      // stopped) tells less than the complete observation before it: report that one.
      const cutShort = deadline.signal.aborted && last !== undefined && !lastWasError;
      if (r.kind === 'error') {
        if (r.error instanceof CheckConfigError || !cutShort) {
          lastError = r.error;
          lastWasError = true;
        }
        passes = 0;
        if (r.error instanceof CheckConfigError) break;
      } else {
        if (r.outcome.ok || !cutShort) {
          last = r.outcome;
          lastWasError = false;
        }
        passes = r.outcome.ok ? passes + 1 : 0;
        if (passes >= consecutive) {
          passed = true;
          break;
        }
      }
      if (attempts >= maxAttempts) break;
      const wait = passes > 0 ? passIntervalMs : delay;
      if (passes === 0) delay = Math.min(retryDelays.maxMs, delay * retryDelays.factor);
      const slept = await withChildSignal(deadline.signal, (s) => ctx.clock.sleep(wait, s).then(() => true, () => false));
      if (!slept) break;
    }
  } finally {
    timerStop.abort();
    ctx.signal?.removeEventListener('abort', onOuterAbort);
  }

  const tally = `${attempts} attempt${attempts === 1 ? '' : 's'} in ${formatDuration(ctx.clock.now() - started)}`;
  if (passed && last) {
    const captured = capture(options.capture, last.data);
    if ('error' in captured) {
      return result('error', { title: last.title, expected: last.expected, found: last.found, details: [captured.error], data: last.data });
    }
    return result('pass', {
      title: last.title,
      expected: last.expected,
      found: last.found,
      ...(last.details ? { details: last.details } : {}),
      ...(last.data !== undefined ? { data: last.data } : {}),
      ...(Object.keys(captured.values).length ? { captured: captured.values } : {}),
    });
  }

  const why: string[] = [];
  if (interrupted) why.push(`interrupted before a verdict (${tally})`);
  else if (deadline.signal.aborted) why.push(`gave up after ${formatDuration(timeoutMs)} (${tally})`);
  else why.push(`gave up after ${tally}`);
  if (consecutive > 1 && last) why.push(`needed ${consecutive} passing attempts in a row`);

  if (lastWasError || !last) {
    const message = lastError === undefined ? 'no attempt finished' : excerpt(toMessage(lastError), 500);
    return result('error', {
      title: last?.title ?? title,
      expected: last?.expected ?? '',
      found: `error: ${message}`,
      details: [...(last ? [`last observation: ${last.found}`] : []), ...why],
      ...(last?.hint ? { hint: last.hint } : {}),
    });
  }
  return result(interrupted ? 'error' : 'fail', {
    title: last.title,
    expected: last.expected,
    found: last.found,
    details: [...(last.details ?? []), ...why],
    ...(last.hint ? { hint: last.hint } : {}),
    ...(last.data !== undefined ? { data: last.data } : {}),
  });
}

type AttemptResult = { kind: 'outcome'; outcome: AttemptOutcome } | { kind: 'error'; error: unknown } | { kind: 'late' };

/**
 * One attempt, bounded by the deadline: when the deadline fires first, the attempt gets a short
 * grace to report its last observation (watch kinds do), then it is no longer awaited.
 */
function attemptOnce(impl: Implementation, spec: AnySpec, ctx: CheckContext, deadline: AbortSignal): Promise<AttemptResult> {
  return withChildSignal(deadline, (signal) => boundedAttempt(impl, spec, ctx, signal));
}

/**
 * Runs `fn` with a signal that follows `parent` until fn settles. Listeners that code below adds
 * and never removes (a clock's sleep, a process runner) then pile up on a throw-away signal, not
 * on the check's deadline, which sees one attempt after another.
 */
async function withChildSignal<T>(parent: AbortSignal, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const child = new AbortController();
  const forward = () => child.abort(parent.reason);
  if (parent.aborted) child.abort(parent.reason);
  else parent.addEventListener('abort', forward, { once: true });
  try {
    return await fn(child.signal);
  } finally {
    parent.removeEventListener('abort', forward);
  }
}

async function boundedAttempt(impl: Implementation, spec: AnySpec, ctx: CheckContext, signal: AbortSignal): Promise<AttemptResult> {
  const running: Promise<AttemptResult> = Promise.resolve()
    .then(() => impl.attempt(spec, ctx, signal))
    .then(
      (outcome): AttemptResult => {
        const problem = invalidOutcome(outcome);
        return problem ? { kind: 'error', error: new Error(problem) } : { kind: 'outcome', outcome };
      },
      (error: unknown): AttemptResult => ({ kind: 'error', error }),
    );
  const aborted = new Promise<'aborted'>((resolve) => {
    if (signal.aborted) resolve('aborted');
    else signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
  const first = await Promise.race([running, aborted]);
  if (first !== 'aborted') return first;
  const stopGrace = new AbortController();
  const late = ctx.clock.sleep(graceMs, stopGrace.signal).then(
    (): AttemptResult => ({ kind: 'late' }),
    (): AttemptResult => ({ kind: 'late' }),
  );
  const settled = await Promise.race([running, late]);
  stopGrace.abort();
  return settled;
}

function invalidOutcome(o: unknown): string | undefined {
  if (o === null || typeof o !== 'object') return `the check returned ${o === undefined ? 'nothing' : typeof o}, not an outcome {ok, title, expected, found}`;
  const r = o as Record<string, unknown>;
  if (typeof r.ok !== 'boolean') return 'the check returned an outcome without a boolean `ok`';
  for (const f of ['title', 'expected', 'found']) if (typeof r[f] !== 'string') return `the check returned an outcome whose \`${f}\` is not a string`;
  return undefined;
}

function capture(paths: Record<string, string> | undefined, data: unknown): { values: Record<string, string> } | { error: string } {
  const values: Record<string, string> = {};
  for (const [variable, path] of Object.entries(paths ?? {})) {
    let found;
    try {
      found = lookupPath(data, path);
    } catch (err) {
      return { error: `capture ${variable}: ${toMessage(err)}` };
    }
    if (!found.found || found.value === undefined || found.value === null) {
      const near = availableKeys(data, path);
      const keys = near.keys.slice(0, 12).join(', ');
      return { error: `capture ${variable}: nothing at "${path}" in the observed data${keys ? ` (${near.at ? `under ${near.at}: ` : 'keys: '}${keys})` : ''}` };
    }
    // Command output ends with a newline nobody wants in a variable.
    values[variable] = valueText(found.value).replace(/\s+$/, '');
  }
  return { values };
}

export interface RunChecksOptions {
  /** Runs one check; the engine passes the one its deps name, with timeouts capped (default: runCheck). */
  run?: CheckRunner;
  /** Called after each check, e.g. to render progress. */
  onResult?: (result: CheckResult) => void;
}

/**
 * Runs checks one after the other, as a step's checkpoints run. Values a check captures reach the
 * checks after it at once (capture a gateway IP, then send traffic to it): `contextFor` gets all
 * values captured so far in this list and returns the context for the next check.
 */
export async function runChecks(
  checks: readonly CheckSpec[],
  contextFor: (captured: Readonly<Record<string, string>>) => CheckContext,
  opts: RunChecksOptions = {},
): Promise<CheckResult[]> {
  const run = opts.run ?? runCheck;
  const results: CheckResult[] = [];
  const captured: Record<string, string> = {};
  for (const check of checks) {
    const result = await run(check, contextFor({ ...captured }));
    Object.assign(captured, result.captured);
    results.push(result);
    opts.onResult?.(result);
  }
  return results;
}

/**
 * What a step's `check before` list observed, as its later checks see it (CheckContext.baseline):
 * each result's data by check kind (the last check of that kind wins) and by "line:<n>".
 */
export function baselineOf(results: readonly CheckResult[]): Map<string, unknown> {
  const baseline = new Map<string, unknown>();
  for (const r of results) {
    baseline.set(r.kind, r.data);
    baseline.set(`line:${r.line}`, r.data);
  }
  return baseline;
}
