/**
 * The schema of ```check blocks. A check block is a YAML list; each item has exactly one key
 * naming its kind (resource, rollout, http, traffic, ...) plus the common options below.
 * Strings anywhere in a check may use ${VAR} (lab variables, captured values, environment).
 *
 * This file is the contract between lab authors (labs/README.md), the lab parser and the check
 * implementations in src/checks/kinds/. It must stay free of heavy imports (it is loaded by
 * `kindlab validate`).
 */
import { z } from 'zod';
import { duration } from '../lab/frontmatter-schema.js';

// ---------------------------------------------------------------- shared pieces

const selector = z.string().describe('a label selector, e.g. app=nginx,track=new');

/** A numeric expectation: at least one bound. */
export const comparison = z
  .strictObject({
    eq: z.number().optional(),
    gt: z.number().optional(),
    gte: z.number().optional(),
    lt: z.number().optional(),
    lte: z.number().optional(),
  })
  .refine((c) => Object.values(c).some((v) => v !== undefined), 'give at least one of eq, gt, gte, lt, lte');

/** An expected share: a number is judged statistically; bounds are judged as given. */
export const share = z.union([z.number().min(0).max(1), z.strictObject({ min: z.number().min(0).max(1).optional(), max: z.number().min(0).max(1).optional() })]);

const podRef = z.strictObject({
  namespace: z.string().default('default'),
  /** Label selector; the first Running pod is used. */
  selector: selector.optional(),
  /** Or a workload such as deployment/fortio-deploy. */
  workload: z.string().regex(/^(deployment|daemonset|statefulset|pod)\/[a-z0-9.-]+$/i).optional(),
  container: z.string().optional(),
});

/**
 * Where a request is sent from. Sending from inside the Docker network (a node container or a
 * pod) works on Docker Desktop too, where container IPs are not reachable from the host.
 */
export const vantage = z.union([
  z.literal('host'),
  z.strictObject({ node: z.string().describe('node name suffix, e.g. control-plane or worker2') }),
  z.strictObject({ pod: podRef }),
  z.strictObject({ container: z.string().describe('a Docker container the lab created, e.g. vm1') }),
]);

const requestFields = {
  /** Default: the cluster's control-plane node container. */
  from: vantage.optional(),
  url: z.string(),
  method: z.enum(['GET', 'POST', 'PUT', 'DELETE', 'HEAD']).default('GET'),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
  /** Log in first (Bookinfo: POST /login sets the session cookie that becomes the end-user header). */
  login: z
    .strictObject({ url: z.string(), form: z.record(z.string(), z.string()) })
    .optional(),
  /** Skip TLS verification (self-signed lab certificates). */
  insecure: z.boolean().default(false),
  /** Per-request timeout. */
  requestTimeout: duration.default('10s'),
};

const httpExpect = z.strictObject({
  status: z.union([z.int(), z.array(z.int())]).optional(),
  /** Regular expression the body must match. */
  body: z.string().optional(),
  /** Regular expression the body must not match. */
  bodyNot: z.string().optional(),
  /** Header name → regular expression. */
  headers: z.record(z.string(), z.string()).optional(),
  /** Dotted path in a JSON body → expected value (deep partial match). */
  json: z.record(z.string(), z.unknown()).optional(),
});

/** How each response of a sample is put in a class. */
const classify = z.strictObject({
  /** What to look at: the body, a header (header:<name>), a JSON field (json:<dotted.path>) or the status code. */
  source: z.string().regex(/^(body|status|header:.+|json:.+)$/).default('body'),
  /** Class name → regular expression matched against the source; the first matching class wins. */
  classes: z.record(z.string(), z.string()),
});

// ---------------------------------------------------------------- the kinds

const resource = z.strictObject({
  /** Optional for core and well-known kinds (Deployment, Service, VirtualService, ...). */
  apiVersion: z.string().optional(),
  kind: z.string(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  selector: selector.optional(),
  /** With a selector: how many objects must match it. */
  count: z.union([z.int().min(0), comparison]).optional(),
  /** Partial shape every selected object must match (maps: subset; lists: every expected item matches some item). */
  match: z.record(z.string(), z.unknown()).optional(),
  absent: z.boolean().default(false),
});

const rolloutObject = z.strictObject({
  kind: z.enum(['Deployment', 'DaemonSet', 'StatefulSet']).default('Deployment'),
  name: z.string(),
  namespace: z.string().default('default'),
  /** Expected ready replicas (default: the desired count). */
  replicas: z.int().min(0).optional(),
  /** Every pod must run on a node carrying these labels. */
  nodeSelector: z.record(z.string(), z.string()).optional(),
  /** Pods must be spread over exactly this many distinct nodes. */
  distinctNodes: z.int().min(1).optional(),
});
/** Shorthand "deployment/name" or "daemonset/ns/name". */
const rollout = z.union([z.string().regex(/^(deployment|daemonset|statefulset)\/([a-z0-9.-]+\/)?[a-z0-9.-]+$/i), rolloutObject]);

const nodes = z.strictObject({
  count: z.int().min(1).optional(),
  ready: z.boolean().default(true),
  /** Role → number of nodes with that role (control-plane, worker = no role label, or any node-role.kubernetes.io/<role>). */
  roles: z.record(z.string(), z.int().min(0)).optional(),
  /** Label selector → number of nodes matching it. */
  labeled: z.record(z.string(), z.int().min(0)).optional(),
});

const sidecar = z.strictObject({
  namespace: z.string().default('default'),
  selector: selector.optional(),
  /** Expect the proxy (true) or expect no proxy (false). */
  present: z.boolean().default(true),
  /** Capabilities the istio-init container must add (e.g. NET_ADMIN, NET_RAW); [] means no init container (CNI). */
  initCapabilities: z.array(z.string()).optional(),
});

const http = z.strictObject({ ...requestFields, expect: httpExpect.default({ status: 200 }) });

const traffic = z.strictObject({
  ...requestFields,
  /** Number of requests; omitted: computed from `tolerance` and `confidence`. */
  requests: z.int().min(1).max(5000).optional(),
  classify,
  /** Class name → expected share (0..1). Shares must add up to 1. 0 and 1 are judged exactly. */
  expect: z.record(z.string(), z.number().min(0).max(1)),
  /** Confidence level of the goodness-of-fit test. */
  confidence: z.number().min(0.5).max(0.99999).default(0.999),
  /** Largest deviation of a share the sample size must be able to detect (used when requests is omitted). */
  tolerance: z.number().min(0.01).max(0.5).default(0.15),
});

const latency = z.strictObject({
  ...requestFields,
  requests: z.int().min(1).max(1000).default(20),
  /** Responses slower than this count as slow. */
  threshold: duration,
  /** Expected share of slow responses. */
  slowShare: share,
  confidence: z.number().min(0.5).max(0.99999).default(0.999),
});

const errors = z.strictObject({
  ...requestFields,
  requests: z.int().min(1).max(2000).default(100),
  /** Status codes counted as errors. */
  codes: z.array(z.int()).default([500, 502, 503, 504]),
  /** Optional regular expression an error body must match to count (e.g. "fault filter abort"). */
  body: z.string().optional(),
  /** Expected share of error responses. */
  share,
  confidence: z.number().min(0.5).max(0.99999).default(0.999),
});

const envoyStat = z.strictObject({
  pod: podRef,
  /** Stat name or regular expression (values of all matching stats are summed). */
  stat: z.string(),
  expect: comparison,
});

const load = z.strictObject({
  /** The pod running fortio (its container must have the fortio binary). */
  pod: podRef,
  url: z.string(),
  connections: z.int().min(1).max(64).default(1),
  requests: z.int().min(1).max(10000).default(100),
  qps: z.number().min(0).default(0),
  /** Status code → expected count or share (share when the bound is between 0 and 1 and named share). */
  codes: z.record(z.string(), comparison).optional(),
  /** Status code → expected share of all calls. */
  codeShares: z.record(z.string(), share).optional(),
});

const metrics = z.strictObject({
  /** Prometheus service (default: prometheus:9090 in istio-system). */
  prometheus: z
    .strictObject({ namespace: z.string().default('istio-system'), service: z.string().default('prometheus'), port: z.int().default(9090) })
    .default({ namespace: 'istio-system', service: 'prometheus', port: 9090 }),
  query: z.string(),
  /** Expectation on the number of series returned. */
  series: comparison.optional(),
  /** Expectation on the value of every series returned. */
  value: comparison.optional(),
});

const traces = z.strictObject({
  backend: z.enum(['jaeger', 'zipkin']).default('jaeger'),
  /** Where the tracing API is served (default: service tracing in istio-system, port 80). */
  api: z
    .strictObject({ namespace: z.string().default('istio-system'), service: z.string().default('tracing'), port: z.int().default(80) })
    .default({ namespace: 'istio-system', service: 'tracing', port: 80 }),
  service: z.string(),
  /** Services that spans of a single trace must cover. */
  covers: z.array(z.string()).min(1),
  minSpans: z.int().min(1).optional(),
  lookback: duration.default('1h'),
});

const certificate = z.strictObject({
  /** host:port to handshake with (from the vantage point), or a file on a node. */
  endpoint: z.string().optional(),
  file: z.strictObject({ node: z.string(), path: z.string() }).optional(),
  from: vantage.optional(),
  serverName: z.string().optional(),
  /** NotAfter must be later than this time: an ISO date, ${VAR}, or "stepStart" (the NotAfter seen when the step began). */
  notAfterAfter: z.string().optional(),
  /** NotAfter must be at least this far in the future. */
  validFor: duration.optional(),
  /** Subject alternative names that must be present. */
  sans: z.array(z.string()).optional(),
});

const command = z.strictObject({
  run: z.string(),
  /** Where to run: the host (default, with the lab's environment), a node or a container. */
  on: z.union([z.literal('host'), z.strictObject({ node: z.string() }), z.strictObject({ container: z.string() })]).default('host'),
  exitCode: z.int().default(0),
  stdout: z.string().optional(),
  stdoutNot: z.string().optional(),
  stderr: z.string().optional(),
});

const custom = z.strictObject({
  /** Path of a .ts or .js module beside lab.md. */
  module: z.string().regex(/\.(ts|js|mjs)$/),
  /** Exported function name (default: default). */
  export: z.string().default('default'),
  args: z.record(z.string(), z.unknown()).default({}),
});

export const checkKinds = {
  resource,
  rollout,
  nodes,
  sidecar,
  http,
  traffic,
  latency,
  errors,
  envoyStat,
  load,
  metrics,
  traces,
  certificate,
  command,
  custom,
} as const;
export type CheckKind = keyof typeof checkKinds;
export const checkKindNames = Object.keys(checkKinds) as CheckKind[];

/** Options every check accepts beside its kind key. */
export const commonCheckOptions = z.strictObject({
  /** Shown in results instead of the generated description. */
  name: z.string().optional(),
  /** Give up after this long (default depends on the kind). */
  timeout: duration.optional(),
  /** Pass only after this many consecutive successful attempts (for behaviour that settles). */
  consecutive: z.int().min(1).max(20).default(1),
  /** Which lab cluster (default: the first). */
  cluster: z.string().optional(),
  /** Variable name → dotted path into the check's observed data, saved for later steps. */
  capture: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/), z.string()).optional(),
  /** Shown when this check fails, after the step's own hints. */
  hint: z.string().optional(),
});

export type CommonCheckOptions = z.infer<typeof commonCheckOptions>;
export type CheckSpecOf<K extends CheckKind> = z.infer<(typeof checkKinds)[K]>;

/** A parsed check: its kind, the kind's settings and the common options. */
export type CheckSpec = {
  [K in CheckKind]: { kind: K; spec: CheckSpecOf<K>; options: CommonCheckOptions; line: number };
}[CheckKind];
