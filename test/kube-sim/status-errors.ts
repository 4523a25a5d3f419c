/**
 * Kubernetes `Status` bodies, built with the field order and messages of apimachinery's errors.go,
 * so clients that parse or print them see what a real apiserver sends.
 */

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** An error that the HTTP layer turns into a Status response. */
export class ApiError extends Error {
  readonly status: Status;
  constructor(status: Status) {
    super(status.message ?? status.reason ?? `HTTP ${status.code}`);
    this.status = status;
  }
}

export function failure(code: number, reason: string | undefined, message: string, details?: StatusDetails): Status {
  // Keep the real order: kind, apiVersion, metadata, status, message, reason, details, code.
  const ordered: Record<string, unknown> = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message };
  if (reason) ordered.reason = reason;
  if (details) ordered.details = details;
  ordered.code = code;
  return ordered as unknown as Status;
}

export function notFound(resource: string, name: string): Status {
  return failure(404, 'NotFound', `${resource} "${name}" not found`, { name, kind: resource });
}

export function alreadyExists(resource: string, name: string): Status {
  return failure(409, 'AlreadyExists', `${resource} "${name}" already exists`, { name, kind: resource });
}

export function conflict(resource: string, name: string, detail: string): Status {
  return failure(409, 'Conflict', `Operation cannot be fulfilled on ${resource} "${name}": ${detail}`, { name, kind: resource });
}

export function badRequest(message: string): Status {
  return failure(400, 'BadRequest', message);
}

export function unauthorized(): Status {
  return failure(401, 'Unauthorized', 'Unauthorized');
}

export function methodNotAllowed(): Status {
  return failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

export function pathNotFound(): Status {
  return failure(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function internalError(message: string): Status {
  return failure(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}

export function expired(message: string): Status {
  return failure(410, 'Expired', message);
}

export function gone(message: string): Status {
  return failure(410, 'Gone', message);
}

export interface ForbiddenRequest {
  user: string;
  verb: string;
  /** `pods`, `pods/log`, `pods/exec`, `namespaces`... */
  resource: string;
  name?: string;
  namespace?: string;
}

/** apimachinery NewForbidden wrapping the RBAC authorizer's reason. */
export function forbidden(request: ForbiddenRequest): Status {
  const [resource] = request.resource.split('/');
  const subject = request.name ? `${resource} "${request.name}"` : resource;
  const scope = request.namespace ? ` in the namespace "${request.namespace}"` : ' at the cluster scope';
  const message = `${subject} is forbidden: User "${request.user}" cannot ${request.verb} resource "${request.resource}" in API group ""${scope}`;
  const details: StatusDetails = request.name ? { name: request.name, kind: resource } : { kind: resource };
  return failure(403, 'Forbidden', message, details);
}

export interface FieldError {
  /** FieldValueRequired, FieldValueInvalid, FieldValueDuplicate, FieldValueNotSupported, FieldValueForbidden. */
  type: 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueDuplicate' | 'FieldValueNotSupported' | 'FieldValueForbidden' | 'FieldValueNotFound';
  field: string;
  /** What a field.Error prints after the field, e.g. `Required value` or `Invalid value: "x": reason`. */
  detail: string;
  /** The cause message (the same text without the field). */
  causeMessage: string;
}

export function required(field: string, why?: string): FieldError {
  const detail = why ? `Required value: ${why}` : 'Required value';
  return { type: 'FieldValueRequired', field, detail, causeMessage: detail };
}

export function invalidValue(field: string, value: unknown, why: string): FieldError {
  const detail = `Invalid value: ${JSON.stringify(value)}: ${why}`;
  return { type: 'FieldValueInvalid', field, detail, causeMessage: detail };
}

export function duplicate(field: string, value: unknown): FieldError {
  const detail = `Duplicate value: ${JSON.stringify(value)}`;
  return { type: 'FieldValueDuplicate', field, detail, causeMessage: detail };
}

export function unsupported(field: string, value: unknown, supported: string[]): FieldError {
  const detail = `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => `"${s}"`).join(', ')}`;
  return { type: 'FieldValueNotSupported', field, detail, causeMessage: detail };
}

export function fieldNotFound(field: string, value: unknown): FieldError {
  const detail = `Not found: ${JSON.stringify(value)}`;
  return { type: 'FieldValueNotFound', field, detail, causeMessage: detail };
}

export function forbiddenField(field: string, why: string): FieldError {
  const detail = `Forbidden: ${why}`;
  return { type: 'FieldValueForbidden', field, detail, causeMessage: detail };
}

/** apimachinery NewInvalid: `Kind "name" is invalid: <err>` or `[err1, err2]` for several. */
export function invalid(kind: string, name: string, errors: FieldError[]): Status {
  const rendered = errors.map((e) => `${e.field}: ${e.detail}`);
  const summary = rendered.length === 1 ? rendered[0] : `[${rendered.join(', ')}]`;
  return failure(422, 'Invalid', `${kind} "${name}" is invalid: ${summary}`, {
    name,
    kind,
    causes: errors.map((e) => ({ reason: e.type, message: e.causeMessage, field: e.field })),
  });
}
