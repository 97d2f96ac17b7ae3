/**
 * What every fake executable shares: the call log ($KINDLAB_FAKE_LOG), scripted failures
 * ($KINDLAB_FAKE_RULES), the shared state file ($KINDLAB_FAKE_STATE, guarded by a lock directory
 * because fakes may run in parallel), and small output helpers.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { setTimeout as sleepMs } from 'node:timers/promises';

/**
 * The yaml package, loaded on first use (synchronously, through its CommonJS build): it is a
 * quarter of a fake's start-up time, and most calls only read JSON.
 */
let yamlModule;
export function yaml() {
  yamlModule ??= createRequire(import.meta.url)('yaml');
  return yamlModule;
}

/** Parses a JSON or YAML document (kubeconfigs the fakes write are JSON, which is valid YAML). */
export function parseDocument(text) {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    try {
      return JSON.parse(trimmed);
    } catch {
      // not JSON after all
    }
  }
  return yaml().parse(text);
}

/** Environment variables worth recording besides KUBECONFIG. */
const RECORDED_ENV = /^(KUBECONFIG|ISTIO_HOME|DOCKER_HOST|KIND_EXPERIMENTAL_PROVIDER|KIND_CLUSTER_NAME|HTTPS?_PROXY|NO_PROXY|CTX_.*)$/;

export function selectedEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => RECORDED_ENV.test(k)));
}

/** Appends one JSON line for this call; `extra` adds tool-specific facts (a kind config's text). */
export function recordCall(tool, argv, extra = {}) {
  const log = process.env.KINDLAB_FAKE_LOG;
  if (!log) return;
  const entry = { tool, argv, cwd: process.cwd(), env: selectedEnv(), time: new Date().toISOString(), ...extra };
  appendFileSync(log, `${JSON.stringify(entry)}\n`);
}

export function out(text) {
  if (text) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function err(text) {
  if (text) process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Prints to stderr and exits; flushes first so piped output is not lost. */
/**
 * Exit status of a fake asked for something it does not simulate (64, EX_USAGE): never 0, so a lab
 * or test that depends on an unsimulated command fails where it happens instead of passing blind.
 */
export const NOT_SIMULATED = 64;

export function die(message, code = 1) {
  err(message);
  process.exitCode = code;
  throw new FakeExit(code);
}

/** Thrown to end a fake early with an exit code (see runFake). */
export class FakeExit extends Error {
  constructor(code) {
    super(`exit ${code}`);
    this.code = code;
  }
}

/**
 * Runs a fake's main function: scripted failures first, then the tool. A FakeExit ends it with
 * its code; anything else is a bug in the fake and exits 99 with the stack.
 */
export async function runFake(tool, main) {
  const argv = process.argv.slice(2);
  try {
    if (applyRules(tool, argv)) return;
    const code = await main(argv);
    if (typeof code === 'number') process.exitCode = code;
  } catch (e) {
    if (e instanceof FakeExit) process.exitCode = e.code;
    else {
      err(`fake ${tool}: internal error: ${e?.stack ?? e}`);
      process.exitCode = 99;
    }
  }
}

// ---------------------------------------------------------------- scripted failures

/**
 * $KINDLAB_FAKE_RULES names a JSON file: [{tool, match, exitCode, stdout, stderr, times}]. The
 * first rule whose tool matches and whose `match` is a substring of the joined argv decides the
 * outcome instead of the fake; `times` (optional) counts down and the rule expires at 0.
 */
function applyRules(tool, argv) {
  const file = process.env.KINDLAB_FAKE_RULES;
  if (!file || !existsSync(file)) return false;
  let hit;
  withLock(file, () => {
    const rules = JSON.parse(readFileSync(file, 'utf8') || '[]');
    const line = argv.join(' ');
    const index = rules.findIndex((r) => r.tool === tool && (!r.match || line.includes(r.match)) && (r.times === undefined || r.times > 0));
    if (index < 0) return;
    hit = rules[index];
    if (hit.times !== undefined) {
      rules[index] = { ...hit, times: hit.times - 1 };
      writeFileSync(file, JSON.stringify(rules, null, 2));
    }
  });
  if (!hit) return false;
  recordCall(tool, argv, { rule: hit.match ?? '' });
  if (hit.stdout) process.stdout.write(hit.stdout);
  if (hit.stderr) process.stderr.write(hit.stderr);
  process.exitCode = hit.exitCode ?? 1;
  return true;
}

// ---------------------------------------------------------------- state

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Runs fn while holding `${file}.lock` (a directory: mkdir is atomic). Stale locks (>10 s) are broken. */
export function withLock(file, fn) {
  const lock = `${file}.lock`;
  mkdirSync(dirname(file), { recursive: true });
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      try {
        if (Date.now() - statSync(lock).mtimeMs > 10_000) rmdirSync(lock);
      } catch {
        // someone else removed it
      }
      if (i > 2000) throw new Error(`fake: could not lock ${file}`);
      sleep(5);
    }
  }
  try {
    return fn();
  } finally {
    rmdirSync(lock);
  }
}

function statePath() {
  return process.env.KINDLAB_FAKE_STATE;
}

function readStateFile(file) {
  if (!file || !existsSync(file)) return { clusters: {}, containers: [] };
  const text = readFileSync(file, 'utf8');
  const state = text.trim() ? JSON.parse(text) : {};
  return { clusters: {}, containers: [], ...state };
}

export function readState() {
  return readStateFile(statePath());
}

/** Read-modify-write of the state file under the lock; fn mutates the state and may return a value. */
export function updateState(fn) {
  const file = statePath();
  if (!file) {
    const state = readStateFile(undefined);
    return fn(state);
  }
  return withLock(file, () => {
    const state = readStateFile(file);
    const result = fn(state);
    writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2));
    renameSync(`${file}.tmp`, file);
    return result;
  });
}

// ---------------------------------------------------------------- arguments and input

/**
 * Splits argv into flags and positionals. `withValue` lists flags that take a value when not
 * written as --flag=value; repeated flags keep every value (flags.get returns the last,
 * flags.all every one).
 */
export function parseArgs(argv, withValue = []) {
  const values = new Map();
  const positionals = [];
  let rest = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      rest = argv.slice(i + 1);
      break;
    }
    if (a.startsWith('-') && a !== '-') {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(0, eq) : a;
      let value = eq > 0 ? a.slice(eq + 1) : true;
      if (eq < 0 && withValue.includes(name) && i + 1 < argv.length) value = argv[++i];
      values.set(name, [...(values.get(name) ?? []), value]);
    } else positionals.push(a);
  }
  const get = (...names) => {
    for (const n of names) {
      const v = values.get(n);
      if (v) return v[v.length - 1];
    }
    return undefined;
  };
  const all = (...names) => names.flatMap((n) => values.get(n) ?? []);
  return { positionals, rest, has: (...names) => names.some((n) => values.has(n)), get, all };
}

export function readStdin() {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

/** Milliseconds of a Go-style duration ("30s", "5m", "1m30s", "500ms"); default when absent. */
export function parseDuration(text, fallbackMs) {
  if (text === undefined || text === true) return fallbackMs;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  let ms = 0;
  for (const [, n, unit] of String(text).matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    ms += Number(n) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit];
  }
  return ms || fallbackMs;
}

export const delay = (ms) => sleepMs(ms);

/** JSON request to the sim's control endpoints (/_sim/...). */
export async function simControl(method, path, body) {
  const base = process.env.KINDLAB_SIM_URL;
  if (!base) die('fake: KINDLAB_SIM_URL is not set (run under the sim harness)', 2);
  const { httpRequest } = await import('./http.mjs');
  const res = await httpRequest(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  let data = {};
  try {
    data = JSON.parse(res.text);
  } catch {
    // not JSON: keep {}
  }
  if (!res.ok) throw Object.assign(new Error(data.message ?? `sim ${method} ${path}: HTTP ${res.status}`), { status: data });
  return data;
}
