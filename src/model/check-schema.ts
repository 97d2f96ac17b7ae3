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
import { duration, patterned } from './frontmatter-schema.js';

// ---------------------------------------------------------------- shared pieces

const selector = z.string().describe('a label selector, e.g. app=nginx,track=new');

/** A case-insensitive pattern: JSON Schema patterns have no flags, so the description keeps the `i`. */
const anyCase = (pattern: RegExp) => z.string().regex(pattern).describe(`a string matching ${String(pattern)}`);

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

/**
 * An expected share: a number is judged statistically (two-sided exact binomial test at the
 * check's confidence; 0 and 1 are judged exactly); bounds are judged as given on the observed share.
 */
export const share = z.union([
  z.number().min(0).max(1),
  z
    .strictObject({ min: z.number().min(0).max(1).optional(), max: z.number().min(0).max(1).optional() })
    .refine((b) => b.min !== undefined || b.max !== undefined, 'give min, max or both')
    .refine((b) => b.min === undefined || b.max === undefined || b.min <= b.max, 'min must not exceed max'),
]);

const podRef = z.strictObject({
  namespace: z.string().default('default'),
  /** Label selector; the first Running and Ready pod (by name) is used. */
  selector: selector.optional(),
  /** Or a workload such as deployment/fortio-deploy. */
  workload: anyCase(/^(deployment|daemonset|statefulset|pod)\/[a-z0-9.-]+$/i).optional(),
  /** Default: the pod's kubectl.kubernetes.io/default-container, else its first container. */
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
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']).default('GET'),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
  /** Log in first (Bookinfo: POST /login sets the session cookie that becomes the end-user header). */
  login: z
    .strictObject({ url: z.string(), form: z.record(z.string(), z.string()) })
    .optional(),
  /** Skip TLS verification (self-signed lab certificates). */
  insecure: z.boolean().default(false),
  /**
   * Connect to this IP address instead of resolving the URL's host name (curl --resolve): the
   * Host header and the TLS server name stay the URL's host, e.g. https://bookinfo.lab.local via ${GATEWAY_IP}.
   */
  resolve: z.string().optional(),
  /** Per-request timeout. */
  requestTimeout: duration.default('10s'),
};

/** Omitted fields are not checked; an omitted `expect` means status 200. */
const httpExpect = z.strictObject({
  status: z.union([z.int(), z.array(z.int())]).optional(),
  /** Regular expression the body must match. */
  body: z.string().optional(),
  /** Regular expression the body must not match. */
  bodyNot: z.string().optional(),
  /** Header name → regular expression. */
  headers: z.record(z.string(), z.string()).optional(),
  /** Dotted path in a JSON body ("" for the whole body) → expected value (deep partial match, /regex/ strings). */
  json: z.record(z.string(), z.unknown()).optional(),
  /** The response must arrive within this time. */
  maxTime: duration.optional(),
});

/** How each response of a sample is put in a class. */
const classify = z.strictObject({
  /**
   * What to look at: the body, a header (header:<name>), a JSON field (json:<dotted.path>; a missing
   * field reads as "") or the status code. Requests that got no response are never classified.
   */
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
  /**
   * Partial shape every selected object must match (maps: subset; lists: each expected item matches
   * its own observed item, one-to-one; scalars: equal by their text, so 20 matches "20"; "/regex/" strings match by pattern;
   * null: the field must be absent).
   */
  match: z.record(z.string(), z.unknown()).optional(),
  /** The object (or every object matching the selector) must not exist. */
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
const rollout = z.union([anyCase(/^(deployment|daemonset|statefulset)\/([a-z0-9.-]+\/)?[a-z0-9.-]+$/i), rolloutObject]);

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
  /** Pods to inspect: a label selector, a workload (deployment/reviews-v1), or neither for every pod of the namespace. */
  selector: selector.optional(),
  workload: anyCase(/^(deployment|daemonset|statefulset)\/[a-z0-9.-]+$/i).optional(),
  /** Expect the proxy (true) or expect no proxy (false). */
  present: z.boolean().default(true),
  /** Capabilities the istio-init container must add (e.g. NET_ADMIN, NET_RAW); [] means no init container (CNI). */
  initCapabilities: z.array(z.string()).optional(),
});

const http = z.strictObject({ ...requestFields, expect: httpExpect.default({ status: 200 }) });

const traffic = z.strictObject({
  ...requestFields,
  /** Number of requests; omitted: computed from `tolerance`, `confidence` and `power`. */
  requests: z.int().min(1).max(5000).optional(),
  classify,
  /**
   * Class name → expected share (0..1). Shares must add up to 1. 0 and 1 are judged exactly; a
   * response in no class counts against the check like a class expected at 0.
   */
  expect: z
    .record(z.string(), z.number().min(0).max(1))
    .refine((e) => Object.keys(e).length > 0, 'name at least one class')
    .refine((e) => Math.abs(Object.values(e).reduce((a, b) => a + b, 0) - 1) < 1e-6, 'expected shares must add up to 1'),
  /** Confidence level of the goodness-of-fit test (a correct split fails with probability 1 - confidence). */
  confidence: z.number().min(0.5).max(0.99999).default(0.999),
  /** Largest deviation of a share the sample size must be able to detect (used when requests is omitted). */
  tolerance: z.number().min(0.01).max(0.5).default(0.15),
  /** Probability of detecting a share that is off by `tolerance` (used when requests is omitted). */
  power: z.number().min(0.5).max(0.999).default(0.95),
});

const latency = z.strictObject({
  ...requestFields,
  requests: z.int().min(1).max(1000).default(20),
  /** Responses slower than this count as slow (curl's time_total; a request that timed out counts as slow). */
  threshold: duration,
  /** Expected share of slow responses. */
  slowShare: share,
  confidence: z.number().min(0.5).max(0.99999).default(0.999),
});

const errors = z.strictObject({
  ...requestFields,
  requests: z.int().min(1).max(2000).default(100),
  /** Status codes counted as errors. Requests that got no response count as errors too, unless `body` is given. */
  codes: z.array(z.int()).default([500, 502, 503, 504]),
  /** Optional regular expression an error body must match to count (e.g. "fault filter abort"). */
  body: z.string().optional(),
  /** Expected share of error responses. */
  share,
  confidence: z.number().min(0.5).max(0.99999).default(0.999),
});

const envoyStat = z.strictObject({
  /** The pod whose sidecar is read (the container defaults to istio-proxy). */
  pod: podRef,
  /** Exact stat name, or /regular expression/ (values of all matching stats are summed). No match fails the check. */
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
  /** Status code (fortio's -1 = socket error) → expected count of calls. */
  codes: z.record(z.string().regex(/^-?\d+$/), comparison).optional(),
  /** Status code → expected share of all calls (a number is judged by a binomial test at `confidence`). */
  codeShares: z.record(z.string().regex(/^-?\d+$/), share).optional(),
  confidence: z.number().min(0.5).max(0.99999).default(0.999),
});

const metrics = z.strictObject({
  /**
   * Prometheus service (default: prometheus:9090 in istio-system). The query is sent with curl from
   * `from` (default: the control-plane node) to the Service's cluster IP.
   */
  prometheus: z
    .strictObject({ namespace: z.string().default('istio-system'), service: z.string().default('prometheus'), port: z.int().default(9090) })
    .default({ namespace: 'istio-system', service: 'prometheus', port: 9090 }),
  from: vantage.optional(),
  query: z.string(),
  /** Expectation on the number of series returned. */
  series: comparison.optional(),
  /** Expectation on the value of every series returned (the last sample of a range vector); needs at least one series. */
  value: comparison.optional(),
});

const traces = z.strictObject({
  backend: z.enum(['jaeger', 'zipkin']).default('jaeger'),
  /**
   * Where the tracing API is served (default: service tracing in istio-system, port 80), reached with
   * curl from `from` (default: the control-plane node) at the Service's cluster IP. basePath defaults
   * to /jaeger for Jaeger (the Istio addon's UI base path) and to nothing for Zipkin.
   */
  api: z
    .strictObject({
      namespace: z.string().default('istio-system'),
      service: z.string().default('tracing'),
      port: z.int().default(80),
      basePath: z.string().optional(),
    })
    .default({ namespace: 'istio-system', service: 'tracing', port: 80 }),
  from: vantage.optional(),
  /** Service whose traces are searched, as the backend names it (productpage.default). */
  service: z.string(),
  /** Services that spans of a single trace must cover ("reviews" also matches "reviews.default"). */
  covers: z.array(z.string()).min(1),
  minSpans: z.int().min(1).optional(),
  lookback: duration.default('1h'),
  limit: z.int().min(1).max(1000).default(50),
});

/** A time to compare with: an ISO date, ${VAR}, or "stepStart" (the value a `check before` saw for the same certificate). */
const certTime = z.string();

const certificate = z
  .strictObject({
    /** host:port to handshake with (from `from`: default the control-plane node; "host" handshakes from kindlab itself). */
    endpoint: patterned(/^(\[[0-9a-f:]+\]|[^:\s]+):\d+$/i, 'host:port').optional(),
    /** Or a PEM file in a node container (the first certificate in the file is read). */
    file: z.strictObject({ node: z.string(), path: z.string() }).optional(),
    from: vantage.optional(),
    serverName: z.string().optional(),
    /** NotAfter must be later than this time. */
    notAfterAfter: certTime.optional(),
    /** NotBefore must be later than this time (the certificate was re-issued). */
    notBeforeAfter: certTime.optional(),
    /** NotAfter must be at least this far in the future. */
    validFor: duration.optional(),
    /** Subject alternative names that must be present: "DNS:name", "IP:address", or a bare name matching either. */
    sans: z.array(z.string()).optional(),
    /** Regular expressions the subject / issuer (e.g. "CN=kube-apiserver") must match. */
    subject: z.string().optional(),
    issuer: z.string().optional(),
  })
  .refine((c) => (c.endpoint === undefined) !== (c.file === undefined), 'give either endpoint or file');

const command = z.strictObject({
  /**
   * The script: bash with `set -euo pipefail` on the host (in the lab's environment), `sh -c` in a
   * node or container. ${VAR} naming a lab variable is replaced; any other ${VAR} is left to the shell.
   */
  run: z.string(),
  /** Where to run: the host (default, with the lab's environment), a node or a container. */
  on: z.union([z.literal('host'), z.strictObject({ node: z.string() }), z.strictObject({ container: z.string() })]).default('host'),
  exitCode: z.int().default(0),
  /** Regular expressions stdout must match / must not match, and stderr must match. */
  stdout: z.string().optional(),
  stdoutNot: z.string().optional(),
  stderr: z.string().optional(),
});

const custom = z.strictObject({
  /** Path of a .ts or .js module beside lab.md; it exports a CustomCheck (src/checks/types.ts). */
  module: z.string().regex(/\.(ts|mts|js|mjs)$/),
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
  /**
   * Most attempts before giving up (default: until the timeout; traffic, latency, errors and load:
   * `consecutive` + 1, each a fresh sample, so that retrying cannot turn a statistical test into a
   * lottery while one retry still absorbs configuration that was not yet in effect).
   */
  attempts: z.int().min(1).max(100).optional(),
  /** Which lab cluster (default: the first). */
  cluster: z.string().optional(),
  /** Variable name → dotted path into the check's observed data (its `data`), saved for later steps. */
  capture: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/), z.string()).optional(),
  /** Shown when this check fails, after the step's own hints. */
  hint: z.string().optional(),
  /**
   * Why this checkpoint already holds before the step's commands run. `kindlab run --self-test`
   * requires every checkpoint to fail before its solution; a marked one is accepted with this reason.
   */
  holdsBefore: z.string().regex(/\S/).describe("a sentence saying why the checkpoint already holds before the step's commands").optional(),
});

export type CommonCheckOptions = z.infer<typeof commonCheckOptions>;
export type CheckSpecOf<K extends CheckKind> = z.infer<(typeof checkKinds)[K]>;

/** A parsed check: its kind, the kind's settings and the common options. */
export type CheckSpec = {
  [K in CheckKind]: { kind: K; spec: CheckSpecOf<K>; options: CommonCheckOptions; line: number };
}[CheckKind];
