/**
 * Kubernetes `Status` responses. The sim answers failures the way a real API server does (same
 * code, reason and message shape), so client libraries produce the errors users would see.
 */
import { qualifiedKind, qualifiedName, type ResourceType } from './resources.js';

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: Array<Record<string, string>> };
  code: number;
}

/** Thrown inside the sim; the HTTP layer turns it into a Status response. */
export class SimHttpError extends Error {
  readonly body: StatusBody;
  constructor(code: number, reason: string, message: string, details?: StatusBody['details']) {
    super(message);
    this.body = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      ...(details ? { details } : {}),
      code,
    };
  }
  get code(): number {
    return this.body.code;
  }
}

const detailsOf = (r: ResourceType, name: string) => ({ name, group: r.group, kind: r.plural });

export const notFound = (r: ResourceType, name: string) =>
  new SimHttpError(404, 'NotFound', `${qualifiedName(r)} "${name}" not found`, detailsOf(r, name));

export const namespaceNotFound = (ns: string) =>
  new SimHttpError(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' });

export const alreadyExists = (r: ResourceType, name: string) =>
  new SimHttpError(409, 'AlreadyExists', `${qualifiedName(r)} "${name}" already exists`, detailsOf(r, name));

export const conflict = (r: ResourceType, name: string, why: string) =>
  new SimHttpError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedName(r)} "${name}": ${why}`, detailsOf(r, name));

export const invalid = (r: ResourceType, name: string, field: string, why: string) =>
  new SimHttpError(422, 'Invalid', `${qualifiedKind(r)} "${name}" is invalid: ${field}: ${why}`, {
    ...detailsOf(r, name),
    kind: r.kind,
    causes: [{ reason: 'FieldValueInvalid', message: why, field }],
  });

export const badRequest = (message: string) => new SimHttpError(400, 'BadRequest', message);

export const methodNotAllowed = (message = 'the server does not allow this method on the requested resource') =>
  new SimHttpError(405, 'MethodNotAllowed', message);

export const unsupportedMediaType = (type: string) =>
  new SimHttpError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, got ${type}`);

export const expired = (message: string) => new SimHttpError(410, 'Expired', message);

export const unauthorized = () => new SimHttpError(401, 'Unauthorized', 'Unauthorized');

export const pageNotFound = () => new SimHttpError(404, 'NotFound', 'the server could not find the requested resource');

export function success(r: ResourceType, name: string, uid?: string): StatusBody {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { ...detailsOf(r, name), ...(uid ? { uid } : {}) },
    code: 200,
  };
}
