/**
 * Every error that can reach a user is a HarrierError: it carries a one-line message that says
 * where, what was expected and what to do, and a stable `code` from the catalogue below. The CLI
 * prints `message` (and `hint`) and never a stack; code branches on `code`, never on the message.
 */

interface CodeEntry {
  meaning: string;
  /** The HTTP status the code stands for, when it comes from an HTTP answer. */
  status?: number;
}

/** The catalogue: every code, what it means, and its HTTP status where one applies. */
export const ERROR_CODES = {
  // Command line, flows, inputs, expressions
  USAGE: { meaning: 'the command line is wrong: an unknown option, a missing or invalid argument' },
  FLOW_UNREADABLE: { meaning: 'a flow file cannot be read (no such file, a directory, no permission)' },
  FLOW_INVALID: { meaning: 'a flow file is not a valid flow; every problem is listed with its file:line:column' },
  INPUT_INVALID: { meaning: 'an input value is missing, unknown or does not fit its type' },
  EXPRESSION_FAILED: { meaning: 'a {{ ... }} expression failed to render' },
  SECRET_UNDEFINED: { meaning: 'secret(\'NAME\') names a secret that is not defined' },
  CONFIG_INVALID: { meaning: 'the configuration file (config.yaml) cannot be read, or holds an unknown setting or a bad value' },
  SECRETS_FILE_INVALID: { meaning: 'the secrets file cannot be read, or is neither NAME=value lines nor a YAML/JSON map' },

  // Executions
  EXECUTION_NOT_FOUND: { meaning: 'no execution has that id, or the id prefix matches several', status: 404 },
  EXECUTION_ENDED: { meaning: 'the execution already ended: there is nothing to resume' },
  EXECUTION_KILL_TIMEOUT: { meaning: 'harrier kill signalled the process that runs the execution, and the execution did not end in time' },
  EXECUTION_LOCKED: { meaning: 'another live harrier process is running the execution', status: 409 },
  LEASE_LOST: { meaning: 'another worker took the execution over (its lease has a newer epoch): this worker\'s write was refused and it stops its part', status: 409 },
  FLOW_NOT_FOUND: { meaning: 'no flow is deployed under that namespace and id', status: 404 },
  FLOW_REVISION_NOT_FOUND: { meaning: 'the deployed flow has no revision of that number', status: 404 },
  TASK_RUN_NOT_FOUND: { meaning: 'the execution has no task run of that id', status: 422 },
  SECRET_KEY_MISMATCH: { meaning: 'a stored secret does not decrypt with this process\'s key (HARRIER_SECRET_KEY, else the state dir\'s secret.key): servers and workers of one store need the same key; a worker ends such an execution FAILED' },
  FLOW_DELETED: { meaning: 'the flow of a queued or running execution was deleted from the server: the execution ends FAILED' },

  // Server and its API
  SERVER_INSECURE: { meaning: 'the server would listen beyond this machine without authentication' },
  SERVER_UNREACHABLE: { meaning: 'no harrier server answers at the given --server address' },
  SERVER_ERROR: { meaning: 'the harrier server answered with an error; `status` holds its HTTP status' },
  REQUEST_INVALID: { meaning: 'the HTTP request is malformed: a bad parameter, body or multipart part', status: 400 },
  UNAUTHORIZED: { meaning: 'the request carries no valid credentials', status: 401 },
  CROSS_SITE_REFUSED: { meaning: 'a mutating request came from another site (Origin, Sec-Fetch-Site or Host header)', status: 403 },
  NOT_FOUND: { meaning: 'no API endpoint or object at that path', status: 404 },
  METHOD_NOT_ALLOWED: { meaning: 'the endpoint does not take that HTTP method', status: 405 },
  CONFLICT: { meaning: 'the object already exists, or is in a state that forbids the request', status: 409 },
  BODY_TOO_LARGE: { meaning: 'the request body exceeds the server\'s limit', status: 413 },
  UNSUPPORTED_MEDIA_TYPE: { meaning: 'the request body has a Content-Type the endpoint does not take', status: 415 },

  // Tasks
  TASK_FAILED: { meaning: 'the task ran and failed: its command or container exited non-zero, or it ran too long' },
  OOM_KILLED: { meaning: 'the task\'s container was killed for lack of memory' },
  TASK_PROPERTY_INVALID: { meaning: 'a task property rendered to something the task cannot use' },
  PATH_UNSAFE: { meaning: 'a file name or glob would reach outside the working directory' },
  HOST_PATH_REFUSED: { meaning: 'a flow names a host file outside internal storage and the namespace files' },
  STORAGE_FILE_NOT_FOUND: { meaning: 'an internal storage URI is malformed or names no stored file' },
  FAIL_TASK: { meaning: 'a Fail task failed the execution on purpose (its errorMessage says why)' },
  FOR_EACH_VALUES_INVALID: { meaning: 'a ForEach\'s values did not render to a list of values' },
  SUBFLOW_NOT_FOUND: { meaning: 'a Subflow names a flow that is not deployed (on a server, or that revision) or that no flow file in the flow folders has' },
  SUBFLOW_TOO_DEEP: { meaning: 'subflows call subflows deeper than Harrier allows (a flow that calls itself without end)' },
  PYTHON_DEPENDENCIES_FAILED: { meaning: 'a Python task\'s dependencies could not be installed (no python3 on the host, or pip/uv failed)' },

  // HTTP tasks (Request, Download, the Google Cloud tasks)
  HTTP_STATUS_FAILED: { meaning: 'an HTTP server answered a failure status (400 or more, or one outside allowedResponseCodes); `status` holds it' },
  HTTP_UNREACHABLE: { meaning: 'the HTTP server cannot be reached: unknown host, connection refused or reset' },
  HTTP_TLS_UNTRUSTED: { meaning: 'the HTTP server\'s TLS certificate is not trusted (or does not name the host)' },
  HTTP_TIMEOUT: { meaning: 'the HTTP server took longer than the connect or read-idle timeout' },
  HTTP_RESPONSE_INVALID: { meaning: 'an HTTP answer cannot be used: cut short, too large, empty, or too many redirects' },
  GCP_CREDENTIALS_MISSING: { meaning: 'no Google Cloud credentials: no serviceAccount, GOOGLE_APPLICATION_CREDENTIALS or application default credentials' },
  GCP_CREDENTIALS_INVALID: { meaning: 'the Google Cloud credentials (serviceAccount or the GOOGLE_APPLICATION_CREDENTIALS file) are not a valid key' },
  GCP_AUTH_FAILED: { meaning: 'Google\'s token endpoint refused the credentials' },
  GCP_API_ERROR: { meaning: 'a Google Cloud API answered an error; `status` holds its HTTP status' },

  // Runners
  RUNNER_FAILED: { meaning: 'a task runner could not do its job, for a reason outside the task\'s own code' },
  RUNNER_PROPERTIES_INVALID: { meaning: 'the task runner\'s properties are invalid once rendered' },
  RUNNER_RESUME_FAILED: { meaning: 'the attempt a previous harrier process started cannot be re-attached' },
  ATTEMPT_GONE: { meaning: 'the container or pod of a resumed attempt was created, then deleted outside harrier: the attempt fails and the task\'s retry policy decides what follows' },
  ATTEMPT_NEVER_STARTED: { meaning: 'the container or pod of a resumed attempt was never created (harrier stopped before): the attempt is ended as interrupted and a new one starts' },
  ATTEMPT_NOT_RESUMED: { meaning: 'the task asks for a new pod on resume (`resume: false`): the pod of the interrupted attempt was deleted and a new attempt starts' },
  ARCHIVE_UNSAFE: { meaning: 'a file archive from a container or pod cannot be extracted: a directory or file stands in the way of an entry' },
  COMMAND_NOT_FOUND: { meaning: 'the Process runner cannot start the command' },
  DOCKER_UNREACHABLE: { meaning: 'no Docker engine answers at the configured address' },
  DOCKER_API_ERROR: { meaning: 'the Docker engine refused or failed a request' },
  DOCKER_OPTION_DISABLED: { meaning: 'a Docker runner option is turned off on this installation' },
  IMAGE_INVALID: { meaning: 'containerImage is not a valid image reference, or no image is given' },
  IMAGE_PULL: { meaning: 'the image cannot be pulled, or is absent under pullPolicy NEVER' },
  KUBE_UNAUTHORIZED: { meaning: 'the Kubernetes API server rejected the credentials', status: 401 },
  KUBE_FORBIDDEN: { meaning: 'the Kubernetes account lacks an RBAC permission', status: 403 },
  KUBE_NOT_FOUND: { meaning: 'the Kubernetes object (pod, its log) does not exist', status: 404 },
  KUBE_NAMESPACE_NOT_FOUND: { meaning: 'the Kubernetes namespace does not exist', status: 404 },
  KUBE_CONFLICT: { meaning: 'a Kubernetes object of that name already exists', status: 409 },
  KUBE_INVALID: { meaning: 'the Kubernetes API server rejected the object as invalid', status: 422 },
  KUBE_API_ERROR: { meaning: 'the Kubernetes API server answered another error; `status` holds its HTTP status' },
  KUBE_UNREACHABLE: { meaning: 'the Kubernetes API server cannot be reached' },
  KUBE_TLS_UNTRUSTED: { meaning: 'the Kubernetes API server\'s certificate is not trusted' },
  KUBE_CLIENT_CERT_REJECTED: { meaning: 'the Kubernetes API server rejected the client certificate' },
  KUBE_CREDENTIALS_UNREADABLE: { meaning: 'the certificate or key in the Kubernetes connection cannot be read' },
  KUBE_CONFIG_MISSING: { meaning: 'no Kubernetes connection is configured: no `config`, no kubeconfig file, not inside a cluster' },
  KUBE_CONFIG_UNREADABLE: { meaning: 'a kubeconfig file cannot be read or parsed' },
  KUBE_CONTEXT_UNKNOWN: { meaning: 'the kubeconfig has no such context, or no current context' },

  // State
  STORE_FAILED: { meaning: 'the state directory or its store cannot be used' },
  STORE_DISK_FULL: { meaning: 'the disk under the state directory is full' },
  STORE_DAMAGED: { meaning: 'the store file is damaged: restore it from a backup or move it aside' },
  STORE_NOT_A_STORE: { meaning: 'the file at the store\'s path is not a Harrier store' },
  STORE_UNWRITABLE: { meaning: 'the state directory or its store cannot be written' },
  STORE_LOCKED: { meaning: 'another process holds the store\'s lock' },
  STORE_VERSION: { meaning: 'the store was made by another harrier version' },
  STORE_URL_INVALID: { meaning: 'a --store URL is not of a form harrier accepts' },
  STORE_UNREACHABLE: { meaning: 'the PostgreSQL server of the store cannot be reached, or the connection to it was lost' },
  STORE_AUTH_FAILED: { meaning: 'the PostgreSQL server refused the store URL\'s user or password' },
  STORE_DATABASE_MISSING: { meaning: 'the store URL names a PostgreSQL database that does not exist' },
} as const satisfies Record<string, CodeEntry>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface HarrierErrorOptions {
  hint?: string;
  cause?: unknown;
  /** The HTTP status of the answer behind the error, when the code's own status is not fixed. */
  status?: number;
}

export class HarrierError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  /** The HTTP status behind the error, where one applies. */
  readonly status?: number;
  constructor(message: string, options: HarrierErrorOptions & { code: ErrorCode }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.hint = options.hint;
    const entry: CodeEntry = ERROR_CODES[options.code];
    this.status = entry.status ?? options.status;
  }

  /** The text the CLI prints: the message, then the hint when there is one. */
  userMessage(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}

/** Options of an error class with a default code. */
export type CodedOptions = HarrierErrorOptions & { code?: ErrorCode };

/** Bad command-line usage: unknown option, missing argument. Exit code 2. */
export class UsageError extends HarrierError {
  constructor(message: string, options: CodedOptions = {}) {
    super(message, { ...options, code: options.code ?? 'USAGE' });
  }
}

/** One problem found in a flow file, located in the source and inside the flow. */
export interface FlowIssue {
  file: string;
  line: number;
  column: number;
  /** Path inside the flow, e.g. `tasks[2].retry.interval`; empty for the whole document. */
  path: string;
  message: string;
}

export function formatFlowIssue(issue: FlowIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** A flow that cannot run: all its problems, listed together. Exit code 2. */
export class FlowValidationError extends HarrierError {
  readonly issues: FlowIssue[];
  constructor(issues: FlowIssue[]) {
    super(issues.map(formatFlowIssue).join('\n'), { code: 'FLOW_INVALID' });
    this.issues = issues;
  }
}

/** A bad `--input` value, an unknown input, a missing required input. Exit code 2. */
export class InputError extends HarrierError {
  constructor(message: string, options: CodedOptions = {}) {
    super(message, { ...options, code: options.code ?? 'INPUT_INVALID' });
  }
}

/** An expression that failed to render: names the expression, the task and the property. */
export class ExpressionError extends HarrierError {
  constructor(message: string, options: CodedOptions = {}) {
    super(message, { ...options, code: options.code ?? 'EXPRESSION_FAILED' });
  }
}

/** A task runner could not do its job for a reason outside the task's own code. */
export class RunnerError extends HarrierError {
  constructor(message: string, options: CodedOptions = {}) {
    super(message, { ...options, code: options.code ?? 'RUNNER_FAILED' });
  }
}

/** A task attempt failed: non-zero exit, timeout, or a task-level failure. */
export class TaskFailedError extends HarrierError {
  readonly exitCode?: number;
  constructor(message: string, options: CodedOptions & { exitCode?: number } = {}) {
    super(message, { ...options, code: options.code ?? 'TASK_FAILED' });
    this.exitCode = options.exitCode;
  }
}

/** The state directory or the embedded store cannot be used. */
export class StoreError extends HarrierError {
  constructor(message: string, options: CodedOptions = {}) {
    super(message, { ...options, code: options.code ?? 'STORE_FAILED' });
  }
}

/** The disk under the state directory is full: a store write or a file copy found no space. */
export function isDiskFull(error: unknown): boolean {
  if (error instanceof StoreError) return error.code === 'STORE_DISK_FULL';
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOSPC';
}

export function isHarrierError(error: unknown): error is HarrierError {
  return error instanceof HarrierError;
}

/** What a user reads of any error: a HarrierError's message with its hint, else the error's message. */
export function describeError(error: unknown): string {
  if (isHarrierError(error)) return error.userMessage();
  return error instanceof Error ? error.message : String(error);
}

/** Whether `error` is a HarrierError with one of these codes. */
export function hasCode(error: unknown, ...codes: ErrorCode[]): error is HarrierError {
  return error instanceof HarrierError && codes.includes(error.code);
}
