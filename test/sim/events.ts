/**
 * Writing Events, and the events.k8s.io/v1 view of them. A real API server stores one kind of
 * Event and serves it in both groups (core v1: involvedObject, message, source, count,
 * first/lastTimestamp; events.k8s.io/v1: regarding, note, reportingController, deprecatedCount,
 * deprecatedFirst/LastTimestamp, eventTime). The sim stores the core v1 shape and converts on reads
 * and writes through events.k8s.io.
 */
import type { KubeObject } from '../../src/core/seams.js';
import { timestamp, type SimCluster } from './cluster.js';

type Obj = Record<string, unknown>;

let lastNanos = 0n;
/** Event names are "<object>.<hex UnixNano>" (client-go's recorder), so a list is in time order. */
function eventName(object: string): string {
  let nanos = BigInt(Date.now()) * 1_000_000n;
  if (nanos <= lastNanos) nanos = lastNanos + 1n;
  lastNanos = nanos;
  return `${object}.${nanos.toString(16)}`;
}

export interface EventSource {
  component: string;
  host?: string;
}

export interface EventSpec {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** The part of the object the event is about, e.g. spec.containers{nginx}. */
  fieldPath?: string;
}

const recorded = new WeakMap<SimCluster, Map<string, string>>();

/** Records an event about `about` (or counts a repeat of the same one). */
export function recordEvent(cluster: SimCluster, about: KubeObject, e: EventSpec, source: EventSource): KubeObject | undefined {
  const namespace = about.metadata.namespace ?? 'default';
  const now = timestamp();
  const involvedObject = {
    kind: about.kind,
    namespace: about.metadata.namespace,
    name: about.metadata.name,
    uid: about.metadata.uid,
    apiVersion: about.apiVersion,
    resourceVersion: about.metadata.resourceVersion,
    ...(e.fieldPath ? { fieldPath: e.fieldPath } : {}),
  };
  // The correlator's key: same object (and part), reason and message; looked up by name, not by listing.
  const key = JSON.stringify([about.metadata.uid, e.fieldPath ?? '', e.reason, e.message]);
  let names = recorded.get(cluster);
  if (!names) recorded.set(cluster, (names = new Map()));
  const earlier = names.get(key);
  const same = earlier ? cluster.get('v1', 'Event', earlier, namespace) : undefined;
  if (same) {
    const count = Number((same as Obj).count ?? 1) + 1;
    return cluster.replace({ ...same, count, lastTimestamp: now } as KubeObject);
  }
  const name = eventName(about.metadata.name);
  names.set(key, name);
  return cluster.create({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace },
    involvedObject,
    reason: e.reason,
    message: e.message,
    source: { component: source.component, ...(source.host ? { host: source.host } : {}) },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
    type: e.type,
    eventTime: null,
    reportingComponent: source.component,
    reportingInstance: source.host ?? '',
  } as KubeObject);
}

/** A stored (core v1) Event as events.k8s.io/v1 shows it. */
export function toEventsV1(core: KubeObject): KubeObject {
  const o = core as Obj;
  const source = (o.source ?? {}) as Obj;
  const regarding = o.involvedObject;
  return {
    apiVersion: core.apiVersion,
    kind: 'Event',
    metadata: core.metadata,
    eventTime: o.eventTime ?? null,
    reportingController: o.reportingComponent || source.component || '',
    reportingInstance: o.reportingInstance || source.host || '',
    action: o.action,
    reason: o.reason,
    regarding,
    note: o.message,
    type: o.type,
    deprecatedSource: source,
    deprecatedFirstTimestamp: o.firstTimestamp,
    deprecatedLastTimestamp: o.lastTimestamp,
    deprecatedCount: o.count,
  } as KubeObject;
}

/** An events.k8s.io/v1 Event in the stored (core v1) shape. */
export function fromEventsV1(e: KubeObject): KubeObject {
  const o = e as Obj;
  const source = (o.deprecatedSource ?? {}) as Obj;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: e.metadata,
    involvedObject: o.regarding ?? {},
    reason: o.reason,
    message: o.note,
    type: o.type,
    action: o.action,
    eventTime: o.eventTime ?? null,
    reportingComponent: o.reportingController,
    reportingInstance: o.reportingInstance,
    source: { component: source.component ?? o.reportingController, ...(source.host ? { host: source.host } : {}) },
    firstTimestamp: o.deprecatedFirstTimestamp ?? null,
    lastTimestamp: o.deprecatedLastTimestamp ?? null,
    count: o.deprecatedCount ?? 1,
  } as KubeObject;
}
