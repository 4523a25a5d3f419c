/** What the store keeps: Kestra's Execution → TaskRun → Attempt vocabulary, plus logs and metrics. */
import type { RunnerKind } from '../runners/table.ts';

export const STATES = ['CREATED', 'RUNNING', 'SUCCESS', 'WARNING', 'FAILED', 'KILLED', 'RETRYING', 'RETRIED', 'SKIPPED'] as const;
export type State = (typeof STATES)[number];

export const TERMINAL_STATES: ReadonlySet<State> = new Set(['SUCCESS', 'WARNING', 'FAILED', 'KILLED', 'RETRIED', 'SKIPPED']);

export function isTerminal(state: State): boolean {
  return TERMINAL_STATES.has(state);
}

export function isSuccessful(state: State): boolean {
  return state === 'SUCCESS' || state === 'WARNING' || state === 'SKIPPED';
}

export interface ExecutionOptions {
  taskRunnerOverride?: RunnerKind;
  secretsFile?: string;
  namespaceFilesDir?: string;
  /** The command line's settings per runner kind (RunnerJob.settings), so that a resume uses the same. */
  runnerSettings?: Partial<Record<RunnerKind, Record<string, string>>>;
  /**
   * Names (never values) of the secrets this execution's expressions read: a resumed execution
   * resolves them again to mask their values.
   */
  secretNames?: string[];
  /** Set on an execution made by a `CREATE_NEW_EXECUTION` retry of an earlier one. */
  retryOf?: ExecutionLineage;
  /** A retried execution, or a Subflow's child with a scheduleDate, starts no earlier than this. */
  notBefore?: string;
  /** Folders where a Subflow task looks for flow files (absolute); by default the running flow's folder. */
  flowsDirs?: string[];
  /** Set on an execution a Subflow task started: the execution and task run that started it. */
  parent?: ParentExecution;
  /** Set on executions of a flow deployed to the server: the revision they run. */
  flowRevision?: number;
  /**
   * Set on a replay: the executions it was replayed from, oldest first. Its kept task runs' output
   * files and its FILE inputs are stored in their folders, so it may read those too.
   */
  replayOf?: string[];
}

/** Kestra's `trigger` of a subflow execution: who started it. */
export interface ParentExecution {
  executionId: string;
  namespace: string;
  flowId: string;
  taskId: string;
  taskRunId: string;
}

/** Where an execution stands in its chain of flow retries; the first execution is number 1 of its own chain. */
export function lineageOf(execution: ExecutionRecord): Omit<ExecutionLineage, 'previousId'> {
  const { retryOf } = execution.options;
  return {
    originalId: retryOf?.originalId ?? execution.id,
    originalCreatedAt: retryOf?.originalCreatedAt ?? execution.createdAt,
    attemptNumber: retryOf?.attemptNumber ?? 1,
  };
}

/** Kestra's execution metadata for flow retries: the first execution of the chain, and this one's number. */
export interface ExecutionLineage {
  originalId: string;
  originalCreatedAt: string;
  attemptNumber: number;
  previousId: string;
}

export interface ExecutionRecord {
  id: string;
  flowId: string;
  namespace: string;
  state: State;
  flowFile: string;
  /** The flow's YAML as it was when the execution started: `resume` runs exactly that. */
  flowSource: string;
  inputs: Record<string, unknown>;
  labels: Record<string, string>;
  options: ExecutionOptions;
  createdAt: string;
  endedAt?: string;
  /** Why harrier itself stopped the execution, when it did (the task's own failures are on its attempts). */
  failure?: ExecutionFailure;
  /** The flow's `outputs`, rendered once its tasks ended successfully. */
  outputs?: Record<string, unknown>;
  /** Every state it went through, oldest first (filled by the store). */
  histories?: StateChange[];
  /**
   * Set by the store when a kill was asked for (Store.requestKill) and not yet cleared by a restart:
   * read with the row, so that a worker taking the execution needs no second read to know.
   */
  killRequested?: true;
}

/**
 * `STORE_DISK_FULL`: the state directory ran out of space; `harrier resume` continues once there is
 * room. `FLOW_DELETED`: the server's flow was deleted before the execution could go on.
 * `SECRET_KEY_MISMATCH`: the worker that took it could not decrypt its secrets (another key).
 */
export interface ExecutionFailure {
  code: 'STORE_DISK_FULL' | 'FLOW_DELETED' | 'SECRET_KEY_MISMATCH';
  message: string;
}

/** One entry of Kestra's `state.histories`. */
export interface StateChange {
  state: State;
  date: string;
}

export interface StoredFile {
  uri: string;
  path: string;
}

export interface TaskRunRecord {
  id: string;
  executionId: string;
  taskId: string;
  parentTaskRunId?: string;
  /** The ForEach iteration's value, on the ForEach's direct children (Kestra's `taskrun.value`). */
  value?: string;
  /** The iteration's number from 0, with `value` (Kestra's `taskrun.iteration`). */
  iteration?: number;
  /** Which iteration of the enclosing ForEach tasks this run belongs to: their numbers joined by '/', '' outside any. */
  loopPath: string;
  /** Order of creation inside the execution, for listings. */
  ordinal: number;
  state: State;
  outputs?: Record<string, unknown>;
  outputFiles?: Record<string, StoredFile>;
  /** Set while RETRYING: when the next attempt may start. */
  nextAttemptAt?: string;
  startedAt: string;
  endedAt?: string;
}

export interface AttemptRecord {
  taskRunId: string;
  number: number;
  state: State;
  runnerKind?: RunnerKind;
  exitCode?: number;
  error?: string;
  resumeHandle?: Record<string, string | number | boolean>;
  startedAt: string;
  endedAt?: string;
}

export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface LogRecord {
  seq?: number;
  executionId: string;
  taskRunId?: string;
  taskId?: string;
  /** The ForEach value of the task run, when it has one (read from the task run, never stored with the line). */
  taskRunValue?: string;
  attempt?: number;
  level: LogLevel;
  stream?: 'stdout' | 'stderr';
  timestamp: string;
  line: string;
  /** The container that printed the line, when the task has several (PodCreate). */
  container?: string;
}

/** A line the task printed, as stored for its attempt. */
export interface StoredOutputLine {
  stream: 'stdout' | 'stderr';
  line: string;
  timestamp: string;
  container?: string;
}

export interface MetricRecord {
  executionId: string;
  taskRunId: string;
  name: string;
  type: 'counter' | 'timer';
  value: number;
  tags: Record<string, string>;
  timestamp: string;
}

/** The harrier process driving an execution. */
export interface ExecutionOwner {
  pid: number;
  /** What the system says about when that process started (Linux: /proc/PID/stat), to tell pid reuse apart. */
  processStart?: string;
  since: string;
}

/** Who holds a server lease: a worker slot's process. */
export interface LeaseHolder {
  /** The worker's name (the server's, or --name), for people reading the store. */
  worker: string;
  pid: number;
  processStart?: string;
}

export interface Lease {
  executionId: string;
  /** Grows at every take-over; every write of the execution must carry the current one. */
  epoch: number;
  /** Milliseconds since the Unix epoch; 0 when nobody holds it. */
  expiresAt: number;
  holder?: LeaseHolder;
}

/** The lease a worker slot writes an execution under: its writes carry this epoch. */
export interface Fence {
  executionId: string;
  epoch: number;
}

/** How an attempt ended, with the runner kind that ran it when the attempt knows it. */
export interface AttemptEnd {
  state: State;
  exitCode?: number;
  error?: string;
  endedAt: string;
  runnerKind?: RunnerKind;
}

/** What an attempt leaves its task run: outputs that replace the task run's, and output files when it recorded some. */
export interface AttemptOutputs {
  values: Record<string, unknown>;
  files?: Record<string, StoredFile>;
}

/** A lease just taken, with the holder it replaced when that one let it expire. */
export interface TakenLease {
  executionId: string;
  epoch: number;
  expiresAt: number;
  previous?: LeaseHolder;
}

/** A flow deployed to the server: its current (or one past) revision. */
export interface DeployedFlow {
  namespace: string;
  id: string;
  revision: number;
  source: string;
  updatedAt: string;
}

/** The API's execution search: every field optional. */
export interface ExecutionFilter {
  namespace?: string;
  flowId?: string;
  states?: State[];
  labels?: Record<string, string>;
  startDate?: string;
  endDate?: string;
}
