import type { ExprRuntime, Scope } from '../expr/index.ts';
import type { LogCursor, NoticeLevel, ResumeHandle, TaskIdentity } from '../runners/contract.ts';
import type { RunnerRegistry } from '../runners/registry.ts';
import type { InternalStorage, MetricRecord, StoredFile } from '../store/index.ts';

/** One line of task output on its way to the store: already masked by the engine. */
export interface TaskLogLine {
  level: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  line: string;
  stream?: 'stdout' | 'stderr';
  timestamp: string;
}

/**
 * What a task attempt gets from the engine (Kestra's RunContext). Tasks never see the store:
 * they report through these callbacks, and the engine persists.
 */
export interface TaskContext {
  identity: TaskIdentity;
  /** Expression variables for this attempt: flow, execution, inputs, vars, outputs, task, taskrun, envs. */
  scope: Scope;
  runtime: ExprRuntime;
  /** Host directory for this attempt, created empty (or kept from a crashed run when resuming). */
  attemptDir: string;
  storage: InternalStorage;
  runners: RunnerRegistry;
  /** Folder with this namespace's files (for `namespaceFiles`). */
  namespaceFilesDir: string;
  /** `--task-runner` from the command line: replaces every script task's runner for this run. */
  taskRunnerOverride?: 'process' | 'docker' | 'kubernetes';
  timeoutMs?: number;
  signal: AbortSignal;
  /** Set when this attempt was started by a harrier process that died: the runner re-attaches. */
  resume?: TaskResume;
  saveResumeHandle(handle: ResumeHandle): Promise<void>;
  /** Task output (stdout/stderr, or a message the task logs). */
  log(line: TaskLogLine): void;
  /** The engine's or runner's own messages. */
  notice(level: NoticeLevel, message: string): void;
  metric(metric: Omit<MetricRecord, 'executionId' | 'taskRunId'>): void;
  /** Outputs known so far: stored even when the attempt then fails. */
  recordOutputs(outputs: Record<string, unknown>, outputFiles?: Record<string, StoredFile>): void;
  /** The runner that ran (or re-attached), stored on the attempt. */
  recordRunner(kind: string): void;
}

export interface TaskResume {
  handle: ResumeHandle;
  logCursor?: LogCursor;
  /** What the attempt printed before the crash, oldest first: outputs announced there still count. */
  storedOutput(): Iterable<{ stream: 'stdout' | 'stderr'; line: string; timestamp: string }>;
}

export interface TaskOutcome {
  state: 'SUCCESS' | 'WARNING';
  outputs: Record<string, unknown>;
  outputFiles?: Record<string, StoredFile>;
}
