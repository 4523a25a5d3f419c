/**
 * The typed model of a parsed, validated flow. String properties may still hold `{{ ... }}`
 * expressions: they are rendered when the task runs, against that run's context.
 * Durations are already converted to milliseconds.
 */
import type { RunnerKind } from '../runners/table.ts';
import type { FlowIssue } from '../shared/errors.ts';
import type { TaskDescriptor } from '../tasks/descriptor.ts';
import type { TASKS } from '../tasks/table.ts';

export interface Flow {
  id: string;
  namespace: string;
  description?: string;
  labels: Record<string, string>;
  inputs: InputDef[];
  variables: Record<string, unknown>;
  tasks: TaskDef[];
  /** Kestra's `errors`: run when the tasks failed; the execution stays FAILED. */
  errors: TaskDef[];
  /** Kestra's `finally`: run after the tasks (and errors), whatever their end. */
  finally: TaskDef[];
  /** Kestra's `afterExecution`: run once the execution's state is known, without changing it. */
  afterExecution: TaskDef[];
  /** Rendered when the tasks are done, into the execution's outputs. */
  outputs: FlowOutputDef[];
  /** Flow-level retry: applies to every runnable task that has none of its own. */
  retry?: RetryPolicy;
  /**
   * The properties pluginDefaults give each runner type, for a run whose `--task-runner` replaces
   * the runner a task names: a flow tested locally then gets its cluster settings from its defaults.
   */
  runnerDefaults: Partial<Record<RunnerKind, Record<string, unknown>>>;
  /** Checked and kept; nothing fires them yet, so a run of the flow simply runs it. */
  triggers: TriggerDef[];
  /** Where the flow came from, so run-time errors can point back into the file. */
  source: { file: string };
  /** What the flow may keep, but should change (deprecated spellings), located like validation issues. */
  warnings: FlowIssue[];
}

export const INPUT_TYPES = [
  'STRING', 'INT', 'FLOAT', 'BOOLEAN', 'DATETIME', 'DATE', 'TIME', 'DURATION', 'JSON', 'ENUM', 'SELECT',
  'MULTISELECT', 'ARRAY', 'URI', 'EMAIL', 'YAML', 'FILE', 'SECRET',
] as const;
export type InputType = (typeof INPUT_TYPES)[number];

export interface FlowOutputDef {
  id: string;
  type: InputType;
  /** Unrendered; may be any YAML value holding expressions. */
  value: unknown;
  displayName?: string;
  description?: string;
  required: boolean;
}

export interface InputDef {
  id: string;
  type: InputType;
  displayName?: string;
  description?: string;
  /** Kestra's default is true. */
  required: boolean;
  defaults?: unknown;
  /** Allowed values of ENUM / SELECT / MULTISELECT. */
  values?: string[];
  /** Element type of ARRAY. */
  itemType?: InputType;
}

export interface TriggerDef {
  id: string;
  /** Kestra's full name of the trigger's type. */
  type: string;
  disabled: boolean;
  /** The other properties, checked by the trigger's schema; expressions not yet rendered. */
  properties: Record<string, unknown>;
}

export type LogLevel = 'ERROR' | 'WARN' | 'INFO' | 'DEBUG' | 'TRACE';

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

export type { RunnerKind } from '../runners/table.ts';

export interface TaskRunnerDef {
  /** The type exactly as written (or as pluginDefaults supplied it). */
  type: string;
  kind: RunnerKind;
  /** Runner properties, validated against the runner's schema; expressions not yet rendered. */
  properties: Record<string, unknown>;
}

/** What every task has; each task type adds its own properties (see src/tasks/table.ts). */
export interface TaskBase {
  id: string;
  /** The type exactly as written. */
  type: string;
  description?: string;
  retry?: RetryPolicy;
  timeoutMs?: number;
  disabled: boolean;
  /** A failure makes the execution WARNING instead of FAILED, and the next tasks run. */
  allowFailure: boolean;
  /** A WARNING of this task counts as SUCCESS. */
  allowWarning: boolean;
  /** Rendered before the task starts; false skips it (SKIPPED). Kestra's default "true". */
  runIf: string;
  /** The lowest level of the task's log lines that is kept. */
  logLevel?: LogLevel;
  /** Path inside the flow, e.g. `tasks[1].tasks[0]`, for run-time error messages. */
  path: string;
}

export type { ScriptLanguage, NamespaceFilesDef, ScriptTask } from '../tasks/script/descriptor.ts';
export type { LogTask } from '../tasks/log/descriptor.ts';
export type { OutputValuesTask } from '../tasks/output-values/descriptor.ts';
export type { ParallelTask } from '../tasks/parallel/descriptor.ts';
export type { SequentialTask } from '../tasks/sequential/descriptor.ts';
export type { PodCreateTask } from '../tasks/pod-create/descriptor.ts';
export type { ForEachTask } from '../tasks/for-each/descriptor.ts';
export type { IfTask } from '../tasks/if/descriptor.ts';
export type { SwitchTask } from '../tasks/switch/descriptor.ts';
export type { DagTask } from '../tasks/dag/descriptor.ts';
export type { FailTask } from '../tasks/fail/descriptor.ts';
export type { SleepTask } from '../tasks/sleep/descriptor.ts';
export type { SubflowTask } from '../tasks/subflow/descriptor.ts';
export type { WorkingDirectoryTask } from '../tasks/working-directory/descriptor.ts';

/** A task of any type: the union of the models the task table declares. */
export type TaskDef = ModelOf<(typeof TASKS)[number]>;
type ModelOf<Descriptor> = Descriptor extends TaskDescriptor<infer Def> ? Def : never;
export type TaskKind = TaskDef['kind'];

/** Tasks that hold other tasks rather than doing work themselves: their descriptor has `flowable`. */
export type FlowableTask = Extract<TaskDef, { errors: TaskDef[]; finally: TaskDef[] }>;
