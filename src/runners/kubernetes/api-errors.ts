/**
 * Turns what the API server (or the network) answered into one-line RunnerErrors that name the
 * request, the server and what to do: Forbidden names the verb and resource the account lacks.
 * Each carries a KUBE_* code (src/shared/errors.ts), which callers branch on.
 */
import { type ErrorCode, RunnerError } from '../../shared/errors.ts';

export interface RequestContext {
  /** RBAC verb: get, list, watch, create, delete. */
  verb: string;
  /** RBAC resource: pods, pods/log, pods/exec. */
  resource: string;
  namespace: string;
  server: string;
  name?: string;
}

export interface KubeStatus {
  code?: number;
  reason?: string;
  message?: string;
}

export const RBAC_HINT = 'grant it to the account the runner uses; deploy/rbac.yaml holds the minimal Role and RoleBinding';

/** A Kubernetes Status body, if `text` is one. */
export function parseStatus(text: string | undefined): KubeStatus | undefined {
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as KubeStatus & { kind?: string };
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function target(ctx: RequestContext): string {
  return `${ctx.resource}${ctx.name ? ` ${ctx.name}` : ''} in namespace ${ctx.namespace}`;
}

/** The error for an HTTP answer outside 2xx. */
export function errorFromStatus(code: number, body: string | undefined, ctx: RequestContext): RunnerError {
  const status = parseStatus(body);
  const message = (status?.message ?? body ?? '').toString().trim().split('\n')[0] || `HTTP ${code}`;
  const reason = status?.reason ?? '';
  if (code === 403) {
    // The verb the authoriser checked, which can differ from the request's (an exec WebSocket is a
    // get that must also be allowed to create); shown to the user, never branched on.
    const deniedVerb = /cannot (\w+) resource/.exec(message)?.[1] ?? ctx.verb;
    return new RunnerError(
      `Kubernetes API ${ctx.server} forbids '${deniedVerb}' on ${ctx.resource} in namespace ${ctx.namespace}: ${message}`,
      { code: 'KUBE_FORBIDDEN', hint: RBAC_HINT },
    );
  }
  if (code === 401) {
    return new RunnerError(`Kubernetes API ${ctx.server} rejected the credentials (401 Unauthorized) for ${ctx.verb} ${ctx.resource}`, {
      code: 'KUBE_UNAUTHORIZED',
      hint: 'check oauthToken, username/password or the client certificate in the runner config or kubeconfig',
    });
  }
  if (code === 404 && /namespaces? "?[^"]*"? not found/.test(message)) {
    return new RunnerError(`Kubernetes namespace ${ctx.namespace} does not exist on ${ctx.server} (${message})`, {
      code: 'KUBE_NAMESPACE_NOT_FOUND',
      hint: 'create the namespace or set the `namespace` property to an existing one',
    });
  }
  if (code === 422) {
    return new RunnerError(`Kubernetes API ${ctx.server} rejected ${target(ctx)} as invalid: ${message}`, {
      code: 'KUBE_INVALID',
      hint: 'fix the pod spec (podSpec, containerDefaultSpec, resources or the PodCreate spec)',
    });
  }
  return new RunnerError(`Kubernetes API ${ctx.server}: ${ctx.verb} ${target(ctx)} failed (${code}${reason ? ` ${reason}` : ''}): ${message}`, {
    code: STATUS_CODES[code] ?? 'KUBE_API_ERROR',
    status: code,
  });
}

/** Answers callers branch on, whose message stays the generic one. */
const STATUS_CODES: Record<number, ErrorCode> = { 404: 'KUBE_NOT_FOUND', 409: 'KUBE_CONFLICT' };

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);
const UNTRUSTED_SERVER = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_SIGNATURE_FAILURE',
]);

/** The innermost error code of a (possibly wrapped) network error. */
export function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function innermostMessage(error: unknown): string {
  let current: unknown = error;
  let message = String((error as Error)?.message ?? error);
  for (let depth = 0; depth < 5 && current; depth++) {
    if ((current as Error).message) message = (current as Error).message;
    current = (current as { cause?: unknown }).cause;
  }
  return message;
}

/** The error for a request that got no HTTP answer (connection, TLS). Undefined for other errors. */
export function errorFromNetwork(error: unknown, ctx: RequestContext): RunnerError | undefined {
  const code = errorCode(error);
  const message = innermostMessage(error);
  if (code && UNTRUSTED_SERVER.has(code)) {
    return new RunnerError(`Kubernetes API server ${ctx.server} presented a certificate that is not trusted (${code}: ${message})`, {
      code: 'KUBE_TLS_UNTRUSTED',
      hint: 'set caCertData / certificate-authority-data to the cluster CA, or trustCerts: true for a test cluster', cause: error,
    });
  }
  if (/alert (bad certificate|certificate required|unknown ca|certificate unknown)|ALERT_(BAD_CERTIFICATE|CERTIFICATE_REQUIRED|UNKNOWN_CA)/i.test(`${code} ${message}`)) {
    return new RunnerError(`Kubernetes API server ${ctx.server} rejected the client certificate (${code ?? message})`, {
      code: 'KUBE_CLIENT_CERT_REJECTED',
      hint: 'check clientCertData / clientKeyData (client-certificate-data / client-key-data)', cause: error,
    });
  }
  if ((code && code.startsWith('ERR_OSSL')) || /PEM|DECODER routines|bad base64|no start line|key values mismatch/i.test(message)) {
    return new RunnerError(`Kubernetes connection to ${ctx.server}: the certificate or key in the configuration cannot be read (${message})`, {
      code: 'KUBE_CREDENTIALS_UNREADABLE',
      hint: 'caCertData, clientCertData and clientKeyData must be the base64 of the PEM, as in a kubeconfig', cause: error,
    });
  }
  if ((code && UNREACHABLE.has(code)) || /fetch failed|socket hang up|connect/i.test(message)) {
    return new RunnerError(`Kubernetes API server ${ctx.server} is unreachable (${code ?? message})`, {
      code: 'KUBE_UNREACHABLE',
      hint: 'check masterUrl / the kubeconfig server and that the cluster is up and reachable from here', cause: error,
    });
  }
  return undefined;
}

/** Any error from a request (client-node ApiException, HTTP answer, network) → RunnerError. */
export function toRunnerError(error: unknown, ctx: RequestContext): RunnerError {
  if (error instanceof RunnerError) return error;
  const apiCode = (error as { code?: unknown }).code;
  if (typeof apiCode === 'number') {
    const body = (error as { body?: unknown }).body;
    return errorFromStatus(apiCode, typeof body === 'string' ? body : body === undefined ? undefined : JSON.stringify(body), ctx);
  }
  return errorFromNetwork(error, ctx)
    ?? new RunnerError(`Kubernetes API ${ctx.server}: ${ctx.verb} ${target(ctx)} failed: ${innermostMessage(error)}`, { code: 'KUBE_API_ERROR', cause: error });
}
