import type { RunnerKind } from '../runners/table.ts';
import type {
  AttemptEnd, AttemptOutputs, AttemptRecord, DeployedFlow, ExecutionFailure, ExecutionFilter, ExecutionOptions, ExecutionOwner, ExecutionRecord, Fence, Lease, LeaseHolder, LogRecord,
  MetricRecord, State, StoredFile, StoredOutputLine, TakenLease, TaskRunRecord,
} from './records.ts';

/**
 * The one store interface: the embedded SQLite store (sqlite/) and PostgreSQL (postgres/) both
 * implement it, and one contract suite (test/unit/store/store-contract.ts) checks both.
 *
 * Every call is asynchronous. A call made inside `transaction(work)`, anywhere down `work`'s
 * async call chain, joins that transaction (the implementations track it with
 * AsyncLocalStorage), and calls from other async contexts never see its uncommitted writes.
 * Every failure is a StoreError with a stable code (STORE_DISK_FULL, LEASE_LOST, STORE_UNREACHABLE, ...).
 */
export interface Store {
  /** Where the store is, for messages: the SQLite file's state directory, or the database URL without its password. */
  readonly location: string;

  /** Runs `work` in one write transaction; inside another, `work` joins it. */
  transaction<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Fencing: runs `work` so that each of its writes, and each transaction it opens, is refused with
   * LEASE_LOST and changes nothing once the lease of `fence.executionId` has moved past `fence.epoch`,
   * and so that a take-over waits for (or passes over) a fenced write in progress. Writes that must
   * land together go in one `transaction`; others are fenced one by one (on PostgreSQL, the check
   * is part of each write's own statement: one round trip).
   */
  fenced<T>(fence: Fence, work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;

  // Executions
  /** With `queued`, the execution also joins the queue, atomically (see queueExecution). */
  insertExecution(execution: ExecutionRecord, options?: { queued?: boolean }): Promise<void>;
  /** The names of the secrets an execution read (see ExecutionOptions.secretNames). */
  setSecretNames(id: string, names: readonly string[]): Promise<void>;
  /** A resume's own command-line runner settings replace the run's (see ExecutionOptions.runnerSettings). */
  setRunnerSettings(id: string, settings: NonNullable<ExecutionOptions['runnerSettings']>): Promise<void>;
  /** Sets one label, the others unchanged (Kestra's `system.replayed` on an execution that was replayed). */
  setLabel(id: string, key: string, value: string): Promise<void>;
  /** The new state, appended to the histories unless unchanged; `failure` is kept only with the state it explains. */
  setExecutionState(id: string, state: State, endedAt?: string, failure?: ExecutionFailure): Promise<void>;
  setExecutionOutputs(id: string, outputs: Record<string, unknown>): Promise<void>;
  getExecution(id: string): Promise<ExecutionRecord | undefined>;
  /** The execution a `CREATE_NEW_EXECUTION` retry made from this one. */
  successorOf(id: string): Promise<ExecutionRecord | undefined>;
  /** Up to 5 execution ids that start with `prefix`, so users can type a short prefix as with git. */
  findExecutionIds(prefix: string): Promise<string[]>;
  /** The newest executions first. */
  listExecutions(limit?: number): Promise<ExecutionRecord[]>;
  /** Executions newest first, filtered as the API's search asks; `total` counts every match. */
  searchExecutions(filter: ExecutionFilter, page: { offset: number; limit: number }): Promise<{ results: ExecutionRecord[]; total: number }>;
  /** Asks the worker slot that runs the execution, in whatever process, to kill it. */
  requestKill(id: string): Promise<void>;
  killRequested(id: string): Promise<boolean>;

  // Leases (worker slots)
  /** Puts an execution in the queue: a lease row nobody holds. Its epoch is kept across re-queues. */
  queueExecution(executionId: string): Promise<void>;
  /**
   * Takes the oldest unfinished execution whose lease nobody holds (queued, released, or expired)
   * for `holder` until `now + durationMs`, with the next epoch, atomically across processes and
   * machines. Returns the new lease and the holder it replaced. Without `now` (which tests give),
   * the time is the store's: PostgreSQL's clock, so that machines need not agree on theirs.
   */
  takeNextLease(holder: LeaseHolder, durationMs: number, now?: number): Promise<TakenLease | undefined>;
  /** Extends a lease; false when its epoch moved on (another slot took the execution over). */
  renewLease(executionId: string, epoch: number, durationMs: number, now?: number): Promise<boolean>;
  /** Gives a lease up at once; with `fence`, the epoch moves on too, so the releaser's late writes are refused. */
  releaseLease(executionId: string, epoch: number, options?: { fence?: boolean }): Promise<void>;
  leaseOf(executionId: string): Promise<Lease | undefined>;
  /** Ends an execution nobody holds at once, bumping the epoch; false when a live lease holds it. */
  endUnheld(executionId: string, state: State, failure?: ExecutionFailure, now?: number): Promise<boolean>;
  /**
   * Kestra's restart: a FAILED or KILLED execution goes back to CREATED, its failed task runs too,
   * and to the queue unless `queued` is false (a subflow its parent's slot restarts and runs). False when it cannot.
   */
  restartExecution(executionId: string, options?: { queued?: boolean }): Promise<boolean>;
  /**
   * Calls `onQueued` soon after any process queues an execution or releases an unfinished one, so idle slots need
   * not poll fast (PostgreSQL: LISTEN/NOTIFY; SQLite: this process only). Returns the unsubscribe.
   */
  watchQueue(onQueued: () => void): Promise<() => Promise<void>>;

  // Deployed flows
  /**
   * Saves a new revision of a flow (the first is 1; a deleted flow saved again goes on counting).
   * The same source as the latest revision makes none, as Kestra: the latest is answered.
   */
  saveFlow(namespace: string, id: string, source: string): Promise<DeployedFlow>;
  getFlow(namespace: string, id: string): Promise<DeployedFlow | undefined>;
  /** Deployed flows, optionally of a namespace (and its children) or whose id contains `query`. */
  listFlows(filter: { namespace?: string; query?: string }): Promise<DeployedFlow[]>;
  flowRevisions(namespace: string, id: string): Promise<DeployedFlow[]>;
  /** Marks a flow deleted (its revisions stay); false when there was none. */
  deleteFlow(namespace: string, id: string): Promise<boolean>;

  // Ownership (`harrier run` and `harrier resume` in one process)
  /** Compare-and-set of the owner: `claimant` becomes it unless a live other owner is recorded, which is returned then. */
  claimExecution(executionId: string, claimant: ExecutionOwner, isAlive: (owner: ExecutionOwner) => boolean): Promise<ExecutionOwner | undefined>;
  /** Gives the execution up, only when `owner` still holds it. */
  releaseExecution(executionId: string, owner: ExecutionOwner): Promise<void>;
  ownerOf(executionId: string): Promise<ExecutionOwner | undefined>;

  // Task runs and attempts
  insertTaskRun(taskRun: TaskRunRecord): Promise<void>;
  updateTaskRun(id: string, change: { state: State; endedAt?: string; nextAttemptAt?: string }): Promise<void>;
  /** An attempt's outputs replace the task run's; its output files only when there are some. */
  saveTaskRunOutputs(id: string, outputs: Record<string, unknown>, outputFiles: Record<string, StoredFile> | undefined): Promise<void>;
  /** In ordinal order. */
  taskRuns(executionId: string): Promise<TaskRunRecord[]>;
  insertAttempt(attempt: AttemptRecord): Promise<void>;
  /** The attempt's end (its runner kind too when `end` has one) and, with `outputs`, its task run's outputs, in one write. */
  finishAttempt(taskRunId: string, number: number, end: AttemptEnd, outputs?: AttemptOutputs): Promise<void>;
  /** The attempt's resume handle; its runner kind too when given (a later process needs it to release the attempt). */
  saveResumeHandle(taskRunId: string, number: number, handle: Record<string, unknown>, runnerKind?: RunnerKind): Promise<void>;
  /** In number order. */
  attempts(taskRunId: string): Promise<AttemptRecord[]>;
  /** In task-run ordinal, then number order. */
  attemptsOfExecution(executionId: string): Promise<AttemptRecord[]>;

  // Logs and metrics
  /** Stores records in order, in one transaction (a batch from LogWriter). */
  insertLogs(records: readonly LogRecord[]): Promise<void>;
  /** Log lines of an execution in order, after position `afterSeq` (each record's `seq`), optionally of one task. */
  logs(executionId: string, options?: { taskId?: string; afterSeq?: number; limit?: number }): Promise<LogRecord[]>;
  countLogs(executionId: string): Promise<number>;
  /** The task-output lines stored for an attempt, oldest first (notices left out). */
  outputLines(taskRunId: string, attempt: number): AsyncIterable<StoredOutputLine>;
  /** The stamps (and containers) of the task-output lines stored for an attempt, newest first (notices left out). */
  outputStampsNewestFirst(taskRunId: string, attempt: number): AsyncIterable<{ timestamp: string; container?: string }>;
  insertMetrics(records: readonly MetricRecord[]): Promise<void>;
  /** In insertion order. */
  metrics(executionId: string): Promise<MetricRecord[]>;
}
