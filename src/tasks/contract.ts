import type { ExprRuntime, Scope } from '../expr/index.ts';
import type { NoticeLevel, ResumeHandle, RunnerProgress, RunnerResume, TaskIdentity } from '../runners/contract.ts';
import type { RunnerRegistry } from '../runners/registry.ts';
import type { RunnerKind } from '../runners/table.ts';
import type { InternalStorage, MetricRecord, State, StoredFile, StoredOutputLine } from '../store/index.ts';
import type { SharedDir } from './flowable.ts';

/** One line of task output on its way to the store: already masked by the engine. */
export interface TaskLogLine {
  level: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  line: string;
  stream?: 'stdout' | 'stderr';
  timestamp: string;
  /** The container that printed it, when the task has several (PodCreate). */
  container?: string;
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
  /**
   * Host directory for this attempt, created empty (or kept from a crashed run when resuming);
   * not created for a task whose descriptor says `attemptDir: false`.
   */
  attemptDir: string;
  /**
   * Set inside a WorkingDirectory task: the folder its tasks share, used instead of `attemptDir`
   * as the working directory; it holds what earlier tasks left there.
   */
  sharedDir?: SharedDir;
  storage: InternalStorage;
  /** `<state dir>/cache`: what tasks keep between executions (installed Python dependencies). */
  cacheDir: string;
  runners: RunnerRegistry;
  /** Folder with this namespace's files (for `namespaceFiles`). */
  namespaceFilesDir: string;
  /** Folder with another namespace's files (`namespaceFiles.namespaces`). */
  namespaceFilesOf(namespace: string): string;
  /** `--task-runner` from the command line: replaces every script task's runner for this run. */
  taskRunnerOverride?: RunnerKind;
  /** The override runner's properties from the flow's pluginDefaults (unrendered). */
  taskRunnerOverrideProperties?: Record<string, unknown>;
  /** The command line's settings per runner kind (RunnerJob.settings). */
  runnerSettings?: Partial<Record<RunnerKind, Record<string, string>>>;
  timeoutMs?: number;
  signal: AbortSignal;
  /** Set when this attempt was started by a harrier process that died: the runner re-attaches. */
  resume?: TaskResume;
  /** Set on the first attempt after a restart of the execution (Kestra's restart): the resume handle the attempt before it saved. */
  restartedFrom?: ResumeHandle;
  saveResumeHandle(handle: ResumeHandle): Promise<void>;
  /** Task output (stdout/stderr, or a message the task logs). */
  log(line: TaskLogLine): void;
  /** The engine's or runner's own messages. */
  notice(level: NoticeLevel, message: string): void;
  /** The runner's live progress (RunnerJob.progress), for the caller's status line. */
  progress?(progress: RunnerProgress): void;
  metric(metric: Omit<MetricRecord, 'executionId' | 'taskRunId'>): void;
  /**
   * Outputs known so far, merged over those recorded before (output files replace earlier ones):
   * the one way outputs reach the engine, and stored even when the attempt then fails.
   */
  recordOutputs(outputs: Record<string, unknown>, outputFiles?: Record<string, StoredFile>): void;
  /** The runner that ran (or re-attached), stored on the attempt. */
  recordRunner(kind: RunnerKind): void;
  subflows: SubflowLauncher;
}

/** What a Subflow task asks for: which flow, with which inputs and labels. */
export interface SubflowRequest {
  namespace: string;
  flowId: string;
  /** A deployed revision (executions of deployed flows only); default the latest. */
  revision?: number;
  inputs: Record<string, unknown>;
  labels: Record<string, string>;
  /** The child gets all of this execution's labels, not only the system ones. */
  inheritLabels: boolean;
  /** The child starts no earlier than this (an ISO-8601 instant). */
  notBefore?: string;
}

export interface SubflowRun {
  executionId: string;
  /** The child execution's end: its state and its flow outputs. */
  ended: Promise<{ state: State; outputs: Record<string, unknown> }>;
}

/** How a Subflow task starts a child execution in the same store (the engine runs it). */
export interface SubflowLauncher {
  newExecutionId(): string;
  /**
   * Runs the child execution with that id, or goes on with it when one exists (after a crash),
   * for the task to wait for; aborting `signal` kills it, unless the parent was handed over to
   * another worker, which then goes on with the child too. With `restartFailed`, an existing child
   * that ended FAILED or KILLED is restarted first: its failed task runs run again, the rest stay.
   */
  run(executionId: string, request: SubflowRequest, signal: AbortSignal, options?: { restartFailed?: boolean }): Promise<SubflowRun>;
  /** Starts the child without waiting for it: a server queues it; `harrier run` waits for it before exiting. */
  start(executionId: string, request: SubflowRequest): Promise<void>;
}

/** The runner's resume (handle and log cursors, see log-replay.ts), plus what was stored before the crash. */
export interface TaskResume extends RunnerResume {
  /** What the attempt printed before the crash, oldest first: outputs announced there still count. */
  storedOutput(): AsyncIterable<StoredOutputLine>;
}

/** How an attempt that did not throw ended; its outputs went through `recordOutputs`. */
export interface TaskOutcome {
  state: 'SUCCESS' | 'WARNING';
  /** The exit code of the command the task ran, if it ran one. */
  exitCode?: number;
}
