/** kubectl's output formats: -o json|yaml|name|jsonpath=|custom-columns=|wide and the default tables. */
import { yaml } from './common.mjs';
import { renderJsonPath } from './jsonpath.mjs';
import { Kube } from './kube-client.mjs';

export function age(timestamp) {
  if (!timestamp) return '<unknown>';
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(timestamp)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 3600 * 3) return `${Math.floor(s / 60)}m`;
  if (s < 86400 * 2) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** Objects as kubectl shows them: without managedFields (--show-managed-fields=false). */
export function forDisplay(obj) {
  const { managedFields: _m, ...metadata } = obj.metadata ?? {};
  return { ...obj, metadata };
}

function podRow(p) {
  const statuses = p.status?.containerStatuses ?? [];
  const total = p.spec?.containers?.length ?? 0;
  const ready = statuses.filter((c) => c.ready).length;
  const waiting = statuses.find((c) => c.state?.waiting)?.state.waiting.reason;
  const restarts = statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0);
  return [`${ready}/${total}`, waiting ?? p.status?.phase ?? 'Pending', String(restarts)];
}

const COLUMNS = {
  Pod: { head: ['READY', 'STATUS', 'RESTARTS'], row: podRow },
  Deployment: {
    head: ['READY', 'UP-TO-DATE', 'AVAILABLE'],
    row: (d) => [`${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 1}`, String(d.status?.updatedReplicas ?? 0), String(d.status?.availableReplicas ?? 0)],
  },
  DaemonSet: {
    head: ['DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE'],
    row: (d) => [d.status?.desiredNumberScheduled, d.status?.currentNumberScheduled, d.status?.numberReady, d.status?.updatedNumberScheduled, d.status?.numberAvailable].map((n) => String(n ?? 0)),
  },
  StatefulSet: { head: ['READY'], row: (s) => [`${s.status?.readyReplicas ?? 0}/${s.spec?.replicas ?? 1}`] },
  Service: {
    head: ['TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)'],
    row: (s) => [
      s.spec?.type ?? 'ClusterIP',
      s.spec?.clusterIP ?? '<none>',
      s.status?.loadBalancer?.ingress?.[0]?.ip ?? (s.spec?.type === 'LoadBalancer' ? '<pending>' : '<none>'),
      (s.spec?.ports ?? []).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',') || '<none>',
    ],
  },
  Node: {
    head: ['STATUS', 'ROLES'],
    row: (n) => [
      n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? 'Ready' : 'NotReady',
      Object.keys(n.metadata.labels ?? {}).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.split('/')[1]).join(',') || '<none>',
    ],
    tail: (n) => [n.status?.nodeInfo?.kubeletVersion ?? ''],
    tailHead: ['VERSION'],
  },
  Namespace: { head: ['STATUS'], row: (n) => [n.status?.phase ?? 'Active'] },
  Job: { head: ['STATUS', 'COMPLETIONS'], row: (j) => [j.status?.completionTime ? 'Complete' : 'Running', `${j.status?.succeeded ?? 0}/${j.spec?.completions ?? 1}`] },
};

export function table(objects, { allNamespaces, labelColumns = [], noHeaders = false }) {
  const kind = objects[0]?.kind;
  const cols = COLUMNS[kind] ?? { head: [], row: () => [] };
  // -L key: one more column per label, headed by the key's last segment in upper case.
  const labelHead = labelColumns.map((k) => k.split('/').pop().toUpperCase());
  const head = [...(allNamespaces ? ['NAMESPACE'] : []), 'NAME', ...cols.head, 'AGE', ...(cols.tailHead ?? []), ...labelHead];
  const rows = objects.map((o) => [
    ...(allNamespaces ? [o.metadata.namespace ?? ''] : []),
    o.metadata.name,
    ...cols.row(o),
    age(o.metadata.creationTimestamp),
    ...(cols.tail ? cols.tail(o) : []),
    ...labelColumns.map((k) => o.metadata.labels?.[k] ?? ''),
  ]);
  return noHeaders ? (rows.length ? columns(rows) : '') : columns([head, ...rows]);
}

export function columns(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? String(c) : String(c).padEnd(widths[i] + 3))).join('').trimEnd()).join('\n');
}

/**
 * Prints objects in an output format. `single` is set when one object was asked for by name: json
 * and jsonpath then see the object itself instead of a List.
 */
export function render(objects, { output, single, allNamespaces, resource, labelColumns, noHeaders }) {
  const shown = objects.map(forDisplay);
  const list = { apiVersion: 'v1', kind: 'List', items: shown, metadata: { resourceVersion: '' } };
  const data = single && shown.length === 1 ? shown[0] : list;
  if (!output || output === 'wide') return table(shown, { allNamespaces, labelColumns, noHeaders });
  if (output === 'json') return JSON.stringify(data, null, 4);
  if (output === 'yaml') return yaml().stringify(data).trimEnd();
  if (output === 'name') return shown.map((o) => Kube.displayName(resource(o), o.metadata.name)).join('\n');
  if (output.startsWith('jsonpath=') || output.startsWith('jsonpath-as-json=')) {
    const template = output.slice(output.indexOf('=') + 1).replace(/^'(.*)'$/, '$1');
    return renderJsonPath(template, data);
  }
  if (output.startsWith('custom-columns=')) {
    const specs = output.slice('custom-columns='.length).split(',').map((s) => s.split(':'));
    const rows = [specs.map(([h]) => h), ...shown.map((o) => specs.map(([, path]) => renderJsonPath(`{${path}}`, o) || '<none>'))];
    if (noHeaders) return rows.length > 1 ? columns(rows.slice(1)) : '';
    return columns(rows);
  }
  if (output.startsWith('go-template')) throw new Error(`fake kubectl: not simulated: -o ${output}`);
  throw new Error(`error: unable to match a printer suitable for the output format "${output}", allowed formats are: custom-columns,go-template,json,jsonpath,name,wide,yaml`);
}
