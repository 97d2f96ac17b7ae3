/**
 * Server-side printing: the meta.k8s.io/v1 Table a real API server returns for
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` (what `kubectl get` asks for). Columns and
 * cells follow the printers of kube-apiserver (pkg/printers/internalversion/printers.go): pods
 * READY/STATUS/RESTARTS/AGE (+ IP/NODE/NOMINATED NODE/READINESS GATES at priority 1), nodes
 * STATUS/ROLES/AGE/VERSION, workloads, services, endpoints, namespaces, config maps, secrets, jobs,
 * ingresses, events. CRDs print their additionalPrinterColumns (JSONPath per row) or AGE; other kinds
 * NAME/AGE. Priority-1 columns are what `-o wide` adds.
 */
import type { KubeObject } from '../../src/core/seams.js';
import { renderJsonPath } from './fakes/lib/jsonpath.mjs';
import type { PrinterColumn, ResourceType } from './resources.js';
import { selectorToString } from './selectors.js';

type Obj = Record<string, unknown>;
type Cell = string | number | boolean;

interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

interface Printer {
  /** Events print their name last, as a wide column; everything else starts with NAME. */
  nameLast?: boolean;
  columns: Array<[name: string, type: string, priority?: number]>;
  cells(o: KubeObject, now: number): Cell[];
}

const col = (name: string, type: string, priority = 0): [string, string, number] => [name, type, priority];

/** kube's duration.HumanDuration: 45s, 3m12s, 15m, 5h2m, 10h, 3d4h, 12d, 2y30d. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${Math.floor(days / 365)}y` : `${Math.floor(days / 365)}y${days % 365}d`;
  return `${Math.floor(days / 365)}y`;
}

const since = (ts: unknown, now: number) => (typeof ts === 'string' && ts ? humanDuration(now - Date.parse(ts)) : '<unknown>');
const age = (o: KubeObject, now: number) => since(o.metadata.creationTimestamp, now);
const spec = (o: KubeObject) => (o.spec ?? {}) as Obj;
const status = (o: KubeObject) => (o.status ?? {}) as Obj;
const num = (v: unknown) => (typeof v === 'number' ? v : 0);
const list = <T = Obj>(v: unknown) => (Array.isArray(v) ? (v as T[]) : []);
const orNone = (s: string) => s || '<none>';

function podTemplateCells(o: KubeObject): Cell[] {
  const containers = list(((spec(o).template as Obj | undefined)?.spec as Obj | undefined)?.containers);
  return [containers.map((c) => c.name).join(','), containers.map((c) => c.image).join(','), orNone(selectorToString(spec(o).selector as never))];
}

/** The STATUS column of a pod, as printPod works it out from phase, reasons and container states. */
function podStatus(pod: KubeObject): { reason: string; ready: number; total: number; restarts: number; lastRestart?: string } {
  const st = status(pod);
  let reason = (st.reason as string | undefined) || (st.phase as string | undefined) || 'Pending';
  const total = list(spec(pod).containers).length;
  let ready = 0;
  let restarts = 0;
  let lastRestart: string | undefined;
  const noteRestart = (cs: Obj) => {
    restarts += num(cs.restartCount);
    const finished = ((cs.lastState as Obj | undefined)?.terminated as Obj | undefined)?.finishedAt;
    if (typeof finished === 'string' && (!lastRestart || finished > lastRestart)) lastRestart = finished;
  };
  let initializing = false;
  const inits = list(st.initContainerStatuses);
  inits.forEach((cs, i) => {
    noteRestart(cs);
    const state = (cs.state ?? {}) as Obj;
    const term = state.terminated as Obj | undefined;
    const wait = state.waiting as Obj | undefined;
    if (term && term.exitCode === 0) return;
    if (initializing) return;
    if (term) reason = `Init:${(term.reason as string) || (term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode}`)}`;
    else if (wait?.reason && wait.reason !== 'PodInitializing') reason = `Init:${wait.reason}`;
    else reason = `Init:${i}/${list(spec(pod).initContainers).length}`;
    initializing = true;
  });
  if (!initializing) {
    let hasRunning = false;
    for (const cs of [...list(st.containerStatuses)].reverse()) {
      noteRestart(cs);
      const state = (cs.state ?? {}) as Obj;
      const wait = state.waiting as Obj | undefined;
      const term = state.terminated as Obj | undefined;
      if (wait?.reason) reason = wait.reason as string;
      else if (term) reason = (term.reason as string) || (term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode}`);
      else if (state.running && cs.ready) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = list(st.conditions).some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
  }
  if (pod.metadata.deletionTimestamp) reason = st.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return { reason, ready, total, restarts, ...(lastRestart ? { lastRestart } : {}) };
}

function servicePorts(svc: KubeObject): string {
  const ports = list(spec(svc).ports).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`);
  return orNone(ports.join(','));
}

function loadBalancerAddresses(o: KubeObject): string[] {
  return list(((status(o).loadBalancer as Obj | undefined)?.ingress)).map((i) => String(i.ip ?? i.hostname ?? ''));
}

function externalIp(svc: KubeObject): string {
  const s = spec(svc);
  const external = list<string>(s.externalIPs);
  switch (s.type) {
    case 'LoadBalancer': {
      const lb = [...loadBalancerAddresses(svc), ...external];
      return lb.length ? lb.join(',') : '<pending>';
    }
    case 'ExternalName':
      return String(s.externalName ?? '');
    default:
      return external.length ? external.join(',') : '<none>';
  }
}

function endpointsCell(ep: KubeObject): string {
  const all: string[] = [];
  for (const subset of list((ep as Obj).subsets)) {
    const ports = list(subset.ports);
    for (const a of list(subset.addresses)) {
      if (ports.length === 0) all.push(String(a.ip));
      for (const p of ports) all.push(`${a.ip}:${p.port}`);
    }
  }
  if (all.length === 0) return '<none>';
  return all.length > 3 ? `${all.slice(0, 3).join(',')} + ${all.length - 3} more...` : all.join(',');
}

function jobStatus(job: KubeObject): string {
  const conds = list(status(job).conditions).filter((c) => c.status === 'True');
  for (const type of ['Failed', 'Complete', 'SuccessCriteriaMet', 'FailureTarget', 'Suspended']) {
    if (conds.some((c) => c.type === type)) return type === 'SuccessCriteriaMet' ? 'Complete' : type === 'FailureTarget' ? 'Failed' : type;
  }
  return 'Running';
}

function eventObject(e: Obj): string {
  const ref = ((e.involvedObject ?? e.regarding) ?? {}) as Obj;
  return `${String(ref.kind ?? '').toLowerCase()}/${ref.name ?? ''}`;
}

function eventSource(e: Obj): string {
  const src = (e.source ?? {}) as Obj;
  const component = (src.component ?? e.reportingController ?? '') as string;
  const host = (src.host ?? e.reportingInstance ?? '') as string;
  return host ? `${component}, ${host}` : component;
}

const PRINTERS: Record<string, Printer> = {
  '/Pod': {
    columns: [col('Ready', 'string'), col('Status', 'string'), col('Restarts', 'string'), col('Age', 'string'), col('IP', 'string', 1), col('Node', 'string', 1), col('Nominated Node', 'string', 1), col('Readiness Gates', 'string', 1)],
    cells(o, now) {
      const s = podStatus(o);
      const gates = list(spec(o).readinessGates);
      const gatesReady = gates.filter((g) => list(status(o).conditions).some((c) => c.type === g.conditionType && c.status === 'True')).length;
      return [
        `${s.ready}/${s.total}`,
        s.reason,
        s.lastRestart ? `${s.restarts} (${since(s.lastRestart, now)} ago)` : String(s.restarts),
        age(o, now),
        orNone(String(status(o).podIP ?? '')),
        orNone(String(spec(o).nodeName ?? '')),
        orNone(String(status(o).nominatedNodeName ?? '')),
        gates.length ? `${gatesReady}/${gates.length}` : '<none>',
      ];
    },
  },
  '/Node': {
    columns: [col('Status', 'string'), col('Roles', 'string'), col('Age', 'string'), col('Version', 'string'), col('Internal-IP', 'string', 1), col('External-IP', 'string', 1), col('OS-Image', 'string', 1), col('Kernel-Version', 'string', 1), col('Container-Runtime', 'string', 1)],
    cells(o, now) {
      const ready = list(status(o).conditions).find((c) => c.type === 'Ready');
      let st = ready?.status === 'True' ? 'Ready' : 'NotReady';
      if (!ready) st = 'Unknown';
      if (spec(o).unschedulable) st += ',SchedulingDisabled';
      const roles = Object.keys(o.metadata.labels ?? {})
        .filter((l) => l.startsWith('node-role.kubernetes.io/'))
        .map((l) => l.slice('node-role.kubernetes.io/'.length))
        .filter(Boolean);
      const addr = (t: string) => orNone(String(list(status(o).addresses).find((a) => a.type === t)?.address ?? ''));
      const info = (status(o).nodeInfo ?? {}) as Obj;
      return [st, orNone(roles.sort().join(',')), age(o, now), String(info.kubeletVersion ?? ''), addr('InternalIP'), addr('ExternalIP'), String(info.osImage ?? '<unknown>'), String(info.kernelVersion ?? '<unknown>'), String(info.containerRuntimeVersion ?? '<unknown>')];
    },
  },
  'apps/Deployment': {
    columns: [col('Ready', 'string'), col('Up-to-date', 'integer'), col('Available', 'integer'), col('Age', 'string'), col('Containers', 'string', 1), col('Images', 'string', 1), col('Selector', 'string', 1)],
    cells: (o, now) => [`${num(status(o).readyReplicas)}/${num(spec(o).replicas)}`, num(status(o).updatedReplicas), num(status(o).availableReplicas), age(o, now), ...podTemplateCells(o)],
  },
  'apps/ReplicaSet': {
    columns: [col('Desired', 'integer'), col('Current', 'integer'), col('Ready', 'integer'), col('Age', 'string'), col('Containers', 'string', 1), col('Images', 'string', 1), col('Selector', 'string', 1)],
    cells: (o, now) => [num(spec(o).replicas), num(status(o).replicas), num(status(o).readyReplicas), age(o, now), ...podTemplateCells(o)],
  },
  'apps/DaemonSet': {
    columns: [col('Desired', 'integer'), col('Current', 'integer'), col('Ready', 'integer'), col('Up-to-date', 'integer'), col('Available', 'integer'), col('Node Selector', 'string'), col('Age', 'string'), col('Containers', 'string', 1), col('Images', 'string', 1), col('Selector', 'string', 1)],
    cells(o, now) {
      const st = status(o);
      const selector = ((spec(o).template as Obj | undefined)?.spec as Obj | undefined)?.nodeSelector as Record<string, string> | undefined;
      const nodeSelector = Object.entries(selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
      return [num(st.desiredNumberScheduled), num(st.currentNumberScheduled), num(st.numberReady), num(st.updatedNumberScheduled), num(st.numberAvailable), orNone(nodeSelector), age(o, now), ...podTemplateCells(o)];
    },
  },
  'apps/StatefulSet': {
    columns: [col('Ready', 'string'), col('Age', 'string'), col('Containers', 'string', 1), col('Images', 'string', 1)],
    cells: (o, now) => [`${num(status(o).readyReplicas)}/${num(spec(o).replicas)}`, age(o, now), ...podTemplateCells(o).slice(0, 2)],
  },
  '/Service': {
    columns: [col('Type', 'string'), col('Cluster-IP', 'string'), col('External-IP', 'string'), col('Port(s)', 'string'), col('Age', 'string'), col('Selector', 'string', 1)],
    cells: (o, now) => [
      String(spec(o).type ?? 'ClusterIP'),
      orNone(String(spec(o).clusterIP ?? '')),
      externalIp(o),
      servicePorts(o),
      age(o, now),
      orNone(Object.entries((spec(o).selector ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',')),
    ],
  },
  '/Endpoints': { columns: [col('Endpoints', 'string'), col('Age', 'string')], cells: (o, now) => [endpointsCell(o), age(o, now)] },
  '/Namespace': { columns: [col('Status', 'string'), col('Age', 'string')], cells: (o, now) => [String(status(o).phase ?? ''), age(o, now)] },
  '/ConfigMap': {
    columns: [col('Data', 'integer'), col('Age', 'string')],
    cells: (o, now) => [Object.keys(((o as Obj).data ?? {}) as Obj).length + Object.keys(((o as Obj).binaryData ?? {}) as Obj).length, age(o, now)],
  },
  '/Secret': {
    columns: [col('Type', 'string'), col('Data', 'integer'), col('Age', 'string')],
    cells: (o, now) => [String((o as Obj).type ?? 'Opaque'), Object.keys(((o as Obj).data ?? {}) as Obj).length, age(o, now)],
  },
  '/ServiceAccount': { columns: [col('Secrets', 'string'), col('Age', 'string')], cells: (o, now) => [list((o as Obj).secrets).length, age(o, now)] },
  'batch/Job': {
    columns: [col('Status', 'string'), col('Completions', 'string'), col('Duration', 'string'), col('Age', 'string'), col('Containers', 'string', 1), col('Images', 'string', 1), col('Selector', 'string', 1)],
    cells(o, now) {
      const st = status(o);
      const completions = spec(o).completions;
      const start = st.startTime as string | undefined;
      const end = (st.completionTime as string | undefined) ?? undefined;
      const duration = start ? humanDuration((end ? Date.parse(end) : now) - Date.parse(start)) : '';
      return [jobStatus(o), completions === undefined ? `${num(st.succeeded)}/1 of ${num(spec(o).parallelism)}` : `${num(st.succeeded)}/${completions}`, duration, age(o, now), ...podTemplateCells(o)];
    },
  },
  'networking.k8s.io/Ingress': {
    columns: [col('Class', 'string'), col('Hosts', 'string'), col('Address', 'string'), col('Ports', 'string'), col('Age', 'string')],
    cells(o, now) {
      const hosts = list(spec(o).rules).map((r) => r.host).filter(Boolean) as string[];
      return [orNone(String(spec(o).ingressClassName ?? '')), hosts.length ? hosts.join(',') : '*', loadBalancerAddresses(o).join(','), list(spec(o).tls).length ? '80, 443' : '80', age(o, now)];
    },
  },
  '/Event': {
    nameLast: true,
    columns: [col('Last Seen', 'string'), col('Type', 'string'), col('Reason', 'string'), col('Object', 'string'), col('Subobject', 'string', 1), col('Source', 'string', 1), col('Message', 'string'), col('First Seen', 'string', 1), col('Count', 'string', 1), col('Name', 'string', 1)],
    cells(o, now) {
      const e = o as Obj;
      const last = (e.lastTimestamp ?? e.deprecatedLastTimestamp ?? e.eventTime ?? o.metadata.creationTimestamp) as string | undefined;
      const first = (e.firstTimestamp ?? e.deprecatedFirstTimestamp ?? e.eventTime ?? o.metadata.creationTimestamp) as string | undefined;
      const fieldPath = ((e.involvedObject ?? e.regarding ?? {}) as Obj).fieldPath as string | undefined;
      return [since(last, now), String(e.type ?? ''), String(e.reason ?? ''), eventObject(e), fieldPath ?? '', eventSource(e), String(e.message ?? e.note ?? ''), since(first, now), String(e.count ?? e.deprecatedCount ?? 1), o.metadata.name];
    },
  },
  'apiextensions.k8s.io/CustomResourceDefinition': { columns: [col('Created At', 'date')], cells: (o) => [String(o.metadata.creationTimestamp ?? '')] },
};
PRINTERS['events.k8s.io/Event'] = PRINTERS['/Event']!;

const DESCRIPTIONS: Record<string, string> = {
  Name: 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically.',
  Age: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
};

function column(name: string, type: string, priority: number, format = ''): Column {
  return { name, type, format, description: DESCRIPTIONS[name] ?? '', priority };
}

/** Columns and cells of a CRD version's additionalPrinterColumns (CRDs default to Age). */
function crdPrinter(columns: PrinterColumn[]): Printer {
  return {
    columns: columns.map((c) => [c.name, c.type, c.priority ?? 0]),
    cells: (o, now) =>
      columns.map((c) => {
        const text = renderJsonPath(`{${c.jsonPath}}`, o);
        if (c.type === 'date') return text ? humanDuration(now - Date.parse(text)) : '<unknown>';
        if ((c.type === 'integer' || c.type === 'number') && text !== '' && !Number.isNaN(Number(text))) return Number(text);
        if (c.type === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
        return text;
      }),
  };
}

const AGE_ONLY: Printer = { columns: [col('Age', 'string')], cells: (o, now) => [age(o, now)] };
const CRD_AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

function printerFor(r: ResourceType, version: string): Printer {
  if (r.crdSchemas) return crdPrinter(r.printerColumns?.[version] ?? [CRD_AGE]);
  return PRINTERS[`${r.group}/${r.kind}`] ?? AGE_ONLY;
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** True for the Accept header of a Table request (kubectl get). */
export function wantsTable(accept: string | undefined): boolean {
  return /as=Table/.test(accept ?? '') && /g=meta\.k8s\.io/.test(accept ?? '');
}

/** A Table of objects (a list, or one object for a GET by name). */
export function toTable(r: ResourceType, version: string, objects: KubeObject[], opts: { includeObject?: string | null; resourceVersion?: string } = {}) {
  const printer = printerFor(r, version);
  const now = Date.now();
  const include = (opts.includeObject ?? 'Metadata') as IncludeObject;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: opts.resourceVersion ? { resourceVersion: opts.resourceVersion } : {},
    columnDefinitions: [...(printer.nameLast ? [] : [column('Name', 'string', 0, 'name')]), ...printer.columns.map(([name, type, priority = 0]) => column(name, type, priority))],
    rows: objects.map((o) => ({
      cells: printer.nameLast ? printer.cells(o, now) : [o.metadata.name, ...printer.cells(o, now)],
      ...(include === 'None'
        ? {}
        : {
            object:
              include === 'Object'
                ? o
                : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
          }),
    })),
  };
}
