/**
 * The query options of a watch request, read the way a 1.35 API server reads them: defaulted
 * (`SetListOptionsDefaults` with the WatchList feature on: a watch without a resourceVersion, or with
 * "0", means sendInitialEvents=true, resourceVersionMatch=NotOlderThan) and validated
 * (`validateWatchOptions` in k8s.io/apimachinery/pkg/apis/meta/internalversion/validation), with
 * the same 422 Invalid Status for a forbidden combination. Source read: kubernetes/kubernetes
 * staging/src/k8s.io/apimachinery/pkg/apis/meta/internalversion/{defaults,validation/validation}.go
 * and staging/src/k8s.io/apiserver/pkg/storage/cacher (isInitialEventsEndBookmarkRequired).
 */
import type { ResourceType } from './resources.js';
import { SimHttpError } from './status.js';

export interface WatchOptions {
  /** Replay the current objects as ADDED before the live events. */
  initialEvents: boolean;
  /** After the initial events, a BOOKMARK annotated k8s.io/initial-events-end (needs allowWatchBookmarks). */
  initialEventsEndBookmark: boolean;
  /** allowWatchBookmarks: periodic BOOKMARK events are welcome. */
  bookmarks: boolean;
  /** The requested resourceVersion (0: none, or "0"). */
  resourceVersion: number;
  timeoutSeconds: number;
}

/** A query flag as the API server's parameter codec converts it: anything but "0"/"false" is true. */
export function queryFlag(query: URLSearchParams, name: string): boolean | undefined {
  const v = query.get(name);
  if (v === null) return undefined;
  return !(v === '0' || v.toLowerCase() === 'false');
}

interface FieldError {
  field: string;
  type: 'FieldValueForbidden' | 'FieldValueNotSupported' | 'FieldValueInvalid';
  detail: string;
}

const NOT_OLDER_THAN = 'NotOlderThan';

function forbidden(field: string, detail: string): FieldError {
  return { field, type: 'FieldValueForbidden', detail: `Forbidden: ${detail}` };
}

/** The Status of errors.NewInvalid(kind, "", errs): one error inline, several as a [list]. */
function invalid(group: string, kind: string, errs: FieldError[]): SimHttpError {
  const text = errs.map((e) => `${e.field}: ${e.detail}`);
  const qualified = group ? `${kind}.${group}` : kind;
  return new SimHttpError(422, 'Invalid', `${qualified} "" is invalid: ${text.length === 1 ? text[0] : `[${text.join(', ')}]`}`, {
    name: '',
    group,
    kind,
    causes: errs.map((e) => ({ reason: e.type, message: e.detail, field: e.field })),
  });
}

/** Parses and validates; throws the Status the API server answers with (before any event is sent). */
export function parseWatchOptions(query: URLSearchParams, r: ResourceType): WatchOptions {
  const rvText = query.get('resourceVersion') ?? '';
  let match = query.get('resourceVersionMatch') ?? '';
  let sendInitialEvents = queryFlag(query, 'sendInitialEvents');
  const legacyRv = rvText === '' || rvText === '0';
  if (sendInitialEvents === undefined && match === '' && legacyRv) {
    sendInitialEvents = true;
    match = NOT_OLDER_THAN;
  }

  const errs: FieldError[] = [];
  if (sendInitialEvents !== undefined && match !== NOT_OLDER_THAN) {
    errs.push(forbidden('resourceVersionMatch', `sendInitialEvents requires setting resourceVersionMatch to ${NOT_OLDER_THAN}`));
  }
  if (match !== '') {
    if (sendInitialEvents === undefined) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
    if (match !== NOT_OLDER_THAN) {
      errs.push({ field: 'resourceVersionMatch', type: 'FieldValueNotSupported', detail: `Unsupported value: "${match}": supported values: "${NOT_OLDER_THAN}"` });
    }
    if (query.get('continue')) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
  }
  if (errs.length) throw invalid('meta.k8s.io', 'ListOptions', errs);

  let resourceVersion = 0;
  if (!legacyRv) {
    if (!/^\d+$/.test(rvText)) {
      // The storage layer's versioner refuses it; the handler reports it against the resource.
      throw invalid(r.group, r.plural, [{ field: 'resourceVersion', type: 'FieldValueInvalid', detail: `Invalid value: "${rvText}": strconv.ParseUint: parsing "${rvText}": invalid syntax` }]);
    }
    resourceVersion = Number(rvText);
  }
  const bookmarks = queryFlag(query, 'allowWatchBookmarks') ?? false;
  const initialEvents = sendInitialEvents === true;
  return {
    initialEvents,
    initialEventsEndBookmark: initialEvents && bookmarks,
    bookmarks,
    resourceVersion,
    timeoutSeconds: Number(query.get('timeoutSeconds') ?? 0) || 0,
  };
}
