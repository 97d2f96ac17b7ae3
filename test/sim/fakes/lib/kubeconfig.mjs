/**
 * Kubeconfig files as kubectl reads them: --kubeconfig, else every file in $KUBECONFIG (merged,
 * first one wins), else ~/.kube/config; --context, else current-context. And writing a context the
 * way kind does (merge into the file, make it current), or removing one.
 */
import { Buffer } from 'node:buffer';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { die, parseDocument } from './common.mjs';

export const SIM_TOKEN = 'kindlab-sim-token';

export function defaultKubeconfigPath() {
  return join(process.env.HOME || homedir(), '.kube', 'config');
}

/** The files kubectl would read, in order. */
export function kubeconfigFiles(explicit) {
  if (typeof explicit === 'string' && explicit) return [explicit];
  const env = (process.env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  return env.length ? env : [defaultKubeconfigPath()];
}

/** The file a kubeconfig write goes to (kind: --kubeconfig, else the first $KUBECONFIG entry). */
export function kubeconfigWriteTarget(explicit) {
  return kubeconfigFiles(explicit)[0];
}

function readConfig(path) {
  if (!existsSync(path)) return undefined;
  return parseDocument(readFileSync(path, 'utf8')) ?? {};
}

export function loadMerged(files) {
  const merged = { clusters: [], contexts: [], users: [], 'current-context': undefined };
  for (const file of files) {
    const c = readConfig(file);
    if (!c) continue;
    for (const key of ['clusters', 'contexts', 'users']) {
      for (const entry of c[key] ?? []) if (!merged[key].some((e) => e.name === entry.name)) merged[key].push(entry);
    }
    merged['current-context'] ??= c['current-context'] || undefined;
  }
  return merged;
}

const fromData = (data) => (data ? Buffer.from(String(data), 'base64').toString('utf8') : undefined);
const fromFile = (file) => (file ? readFileSync(file, 'utf8') : undefined);

/**
 * TLS material of a cluster and user entry as kubectl reads it: *-data fields (base64) or file
 * paths; insecure-skip-tls-verify.
 */
function tlsOf(cluster, user) {
  return {
    ca: fromData(cluster['certificate-authority-data']) ?? fromFile(cluster['certificate-authority']),
    cert: fromData(user['client-certificate-data']) ?? fromFile(user['client-certificate']),
    key: fromData(user['client-key-data']) ?? fromFile(user['client-key']),
    insecure: cluster['insecure-skip-tls-verify'] === true,
  };
}

/**
 * Where a kubectl-like tool talks to: { context, server, token, tls, namespace }. Exits like
 * kubectl when the configuration is missing or the context unknown.
 */
export function resolveAccess(flags, kubeconfigFlags = ['--kubeconfig']) {
  const files = kubeconfigFiles(flags.get(...kubeconfigFlags));
  const config = loadMerged(files);
  const name = flags.get('--context') || config['current-context'];
  if (!name) die('error: current-context is not set\nThe connection to the server localhost:8080 was refused - did you specify the right host or port?', 1);
  const ctx = config.contexts.find((c) => c.name === name);
  if (!ctx) die(`error: context "${name}" does not exist`, 1);
  const cluster = config.clusters.find((c) => c.name === ctx.context?.cluster)?.cluster;
  if (!cluster?.server) die(`error: cluster "${ctx.context?.cluster}" has no server in ${files.join(', ')}`, 1);
  const user = config.users.find((u) => u.name === ctx.context?.user)?.user ?? {};
  const namespace = flags.get('-n', '--namespace') || ctx.context?.namespace || 'default';
  const tls = tlsOf(cluster, user);
  // A user without a client certificate or token still gets the sim's token over plain http.
  const token = user.token ?? (tls.cert ? undefined : SIM_TOKEN);
  return { context: name, server: String(cluster.server).replace(/\/+$/, ''), token, tls, namespace, files, config };
}

const b64 = (pem) => Buffer.from(pem, 'utf8').toString('base64');

/**
 * A kubeconfig holding one context, as `kind get kubeconfig` prints it: https server, the CA, and
 * the admin client certificate (creds: {caPem, certPem, keyPem}, from the sim); `user` replaces the
 * user entry (a token user, for istioctl's remote secrets).
 */
export function singleContextConfig(name, server, creds, user) {
  return {
    apiVersion: 'v1',
    clusters: [{ cluster: { 'certificate-authority-data': b64(creds.caPem), server }, name }],
    contexts: [{ context: { cluster: name, user: name }, name }],
    'current-context': name,
    kind: 'Config',
    preferences: {},
    users: [{ name, user: user ?? { 'client-certificate-data': b64(creds.certPem), 'client-key-data': b64(creds.keyPem) } }],
  };
}

/** Kubeconfigs are written as JSON: valid YAML for every reader, and quick for the fakes to read. */
function writeConfig(path, config) {
  writeFileEnsuringDir(path, `${JSON.stringify(config, null, 2)}\n`);
}

export function writeFileEnsuringDir(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text, { mode: 0o600 });
}

/**
 * Merges a context (cluster, user, context of the same name) into a kubeconfig file and makes it
 * current. `user` replaces the fields of the user entry (a client certificate read from the node).
 */
export function mergeContext(path, name, server, creds, user = {}) {
  const config = readConfig(path) ?? { apiVersion: 'v1', kind: 'Config', preferences: {} };
  const one = singleContextConfig(name, server, creds);
  one.users[0].user = { ...one.users[0].user, ...user };
  for (const key of ['clusters', 'users', 'contexts']) {
    config[key] = [...(config[key] ?? []).filter((e) => e.name !== name), ...one[key]];
  }
  config['current-context'] = name;
  writeConfig(path, config);
}

/** Removes a context (and its cluster and user) from a kubeconfig file, as `kind delete cluster` does. */
export function removeContext(path, name) {
  const config = readConfig(path);
  if (!config) return;
  for (const key of ['clusters', 'users', 'contexts']) config[key] = (config[key] ?? []).filter((e) => e.name !== name);
  if (config['current-context'] === name) config['current-context'] = '';
  writeConfig(path, config);
}

export function setCurrentContext(path, name) {
  const config = readConfig(path) ?? {};
  config['current-context'] = name;
  writeConfig(path, config);
}
