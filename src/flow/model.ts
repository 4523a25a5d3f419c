/**
 * The typed model of a parsed, validated flow. String properties may still hold `{{ ... }}`
 * expressions: they are rendered when the task runs, against that run's context.
 * Durations are already converted to milliseconds.
 */

export interface Flow {
  id: string;
  namespace: string;
  description?: string;
  labels: Record<string, string>;
  inputs: InputDef[];
  variables: Record<string, unknown>;
  tasks: TaskDef[];
  /** Flow-level retry: applies to every runnable task that has none of its own. */
  retry?: RetryPolicy;
  /** Where the flow came from, so run-time errors can point back into the file. */
  source: { file: string };
}

export const INPUT_TYPES = [
  'STRING', 'INT', 'FLOAT', 'BOOLEAN', 'DATETIME', 'DATE', 'TIME', 'DURATION', 'JSON', 'ENUM', 'SELECT',
  'MULTISELECT', 'ARRAY', 'URI', 'EMAIL', 'YAML', 'FILE', 'SECRET',
] as const;
export type InputType = (typeof INPUT_TYPES)[number];

export interface InputDef {
  id: string;
  type: InputType;
  description?: string;
  /** Kestra's default is true. */
  required: boolean;
  defaults?: unknown;
  /** Allowed values of ENUM / SELECT / MULTISELECT. */
  values?: string[];
  /** Element type of ARRAY. */
  itemType?: InputType;
}

export type RetryType = 'constant' | 'exponential' | 'random';

export interface RetryPolicy {
  type: RetryType;
  /** constant and exponential: the base interval. */
  intervalMs?: number;
  /** exponential and random: the cap / upper bound. */
  maxIntervalMs?: number;
  /** random: the lower bound. */
  minIntervalMs?: number;
  /** exponential: the factor, Kestra's default 2. */
  delayFactor?: number;
  /** Total attempts allowed, the first included. */
  maxAttempt?: number;
  /** No retry is scheduled later than the first attempt's start plus this. */
  maxDurationMs?: number;
  warningOnRetry: boolean;
  behavior: 'RETRY_FAILED_TASK' | 'CREATE_NEW_EXECUTION';
}

export type RunnerKind = 'process' | 'docker' | 'kubernetes';

export interface TaskRunnerDef {
  /** The type exactly as written (or as pluginDefaults supplied it). */
  type: string;
  kind: RunnerKind;
  /** Runner properties, validated against the runner's schema; expressions not yet rendered. */
  properties: Record<string, unknown>;
}

interface TaskBase {
  id: string;
  /** The type exactly as written. */
  type: string;
  description?: string;
  retry?: RetryPolicy;
  timeoutMs?: number;
  disabled: boolean;
  /** Path inside the flow, e.g. `tasks[1].tasks[0]`, for run-time error messages. */
  path: string;
}

export type ScriptLanguage = 'shell' | 'python' | 'node' | 'dbt';

export interface NamespaceFilesDef {
  enabled: boolean;
  include: string[];
  exclude: string[];
}

export interface ScriptTask extends TaskBase {
  kind: 'script';
  language: ScriptLanguage;
  /** `commands`: each entry a shell command; `script`: one program in the task's language. */
  mode: 'commands' | 'script';
  commands: string[];
  script?: string;
  /** Default `["/bin/sh","-c"]`. */
  interpreter: string[];
  beforeCommands: string[];
  /** Default true: the command line starts with `set -e`. */
  failFast: boolean;
  env: Record<string, string>;
  /** File name → content (or a `kestra://` URI), or an expression rendering to such a map as JSON. */
  inputFiles: Record<string, string> | string;
  outputFiles: string[];
  namespaceFiles?: NamespaceFilesDef;
  containerImage?: string;
  taskRunner: TaskRunnerDef;
  /** Default true: a successful run that wrote to stderr ends in WARNING. */
  warningOnStdErr: boolean;
  /** DbtCLI only: the content of a profiles.yml to write next to the project. */
  profiles?: string;
  /** DbtCLI only: the dbt project folder, relative to the working directory. */
  projectDir?: string;
}

export interface LogTask extends TaskBase {
  kind: 'log';
  message: string | string[];
  level: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
}

export interface OutputValuesTask extends TaskBase {
  kind: 'outputValues';
  values: Record<string, unknown>;
}

export interface ParallelTask extends TaskBase {
  kind: 'parallel';
  tasks: TaskDef[];
  /** 0 means unlimited, as in Kestra. */
  concurrent: number;
}

export interface SequentialTask extends TaskBase {
  kind: 'sequential';
  tasks: TaskDef[];
}

export interface PodCreateTask extends TaskBase {
  kind: 'podCreate';
  /** Kubernetes namespace, default `default`. */
  namespace: string;
  metadata: Record<string, unknown>;
  spec: Record<string, unknown>;
  inputFiles: Record<string, string> | string;
  outputFiles: string[];
  connection?: Record<string, unknown>;
  waitUntilRunningMs: number;
  waitRunningMs: number;
  delete: boolean;
  resume: boolean;
  fileSidecar: Record<string, unknown>;
  containerDefaultSpec?: Record<string, unknown>;
  /** Pause after the pod completed, before the last log fetch (Kestra's default PT30S). */
  waitForLogIntervalMs?: number;
}

export type TaskDef = ScriptTask | LogTask | OutputValuesTask | ParallelTask | SequentialTask | PodCreateTask;
export type TaskKind = TaskDef['kind'];

/** Tasks that hold other tasks rather than doing work themselves. */
export type FlowableTask = ParallelTask | SequentialTask;

export function isFlowable(task: TaskDef): task is FlowableTask {
  return task.kind === 'parallel' || task.kind === 'sequential';
}
