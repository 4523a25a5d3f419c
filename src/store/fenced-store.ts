import type { RunnerKind } from '../runners/table.ts';
import type { AttemptEnd, AttemptOutputs, AttemptRecord, ExecutionFailure, ExecutionRecord, Fence, LogRecord, MetricRecord, State, StoredFile, TaskRunRecord } from './records.ts';
import type { Store } from './contract.ts';

/** What an ExecutionRun asks of the store: the plain Store for `harrier run`, a FencedStore under a server lease. */
export type ExecutionStore = Pick<Store,
  | 'taskRuns' | 'attempts' | 'outputLines' | 'outputStampsNewestFirst' | 'countLogs' | 'transaction'
  | 'insertExecution' | 'setExecutionState' | 'setExecutionOutputs' | 'setSecretNames' | 'insertTaskRun' | 'updateTaskRun'
  | 'saveTaskRunOutputs' | 'insertAttempt' | 'finishAttempt' | 'saveResumeHandle' | 'insertLogs' | 'insertMetrics'>;

/**
 * The store as a worker slot's ExecutionRun sees it: every write is fenced by the slot's lease
 * (Store.fenced), and refused with LEASE_LOST once another slot took the execution over. So a
 * worker that was frozen or cut off past its lease cannot write a single line after that. Reads
 * go straight through.
 */
export class FencedStore implements ExecutionStore {
  private readonly store: Store;
  private readonly fence: Fence;
  private readonly successorsQueued: boolean;

  /** `successorsQueued: false`: a run that goes on with its own successors (a subflow in its parent's slot) keeps them out of the queue. */
  constructor(store: Store, fence: Fence, options: { successorsQueued?: boolean } = {}) {
    this.store = store;
    this.fence = fence;
    this.successorsQueued = options.successorsQueued ?? true;
  }

  private write<T>(work: () => Promise<T>): Promise<T> {
    return this.store.fenced(this.fence, work);
  }

  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.write(() => this.store.transaction(work));
  }

  /** A `CREATE_NEW_EXECUTION` successor joins the server's queue, where any slot takes it (unless successors are not queued). */
  insertExecution(execution: ExecutionRecord): Promise<void> {
    return this.write(() => this.store.insertExecution(execution, { queued: this.successorsQueued }));
  }

  setExecutionState(id: string, state: State, endedAt?: string, failure?: ExecutionFailure): Promise<void> {
    return this.write(() => this.store.setExecutionState(id, state, endedAt, failure));
  }

  setExecutionOutputs(id: string, outputs: Record<string, unknown>): Promise<void> {
    return this.write(() => this.store.setExecutionOutputs(id, outputs));
  }

  setSecretNames(id: string, names: readonly string[]): Promise<void> {
    return this.write(() => this.store.setSecretNames(id, names));
  }

  insertTaskRun(taskRun: TaskRunRecord): Promise<void> {
    return this.write(() => this.store.insertTaskRun(taskRun));
  }

  updateTaskRun(id: string, change: { state: State; endedAt?: string; nextAttemptAt?: string }): Promise<void> {
    return this.write(() => this.store.updateTaskRun(id, change));
  }

  saveTaskRunOutputs(id: string, outputs: Record<string, unknown>, outputFiles: Record<string, StoredFile> | undefined): Promise<void> {
    return this.write(() => this.store.saveTaskRunOutputs(id, outputs, outputFiles));
  }

  insertAttempt(attempt: AttemptRecord): Promise<void> {
    return this.write(() => this.store.insertAttempt(attempt));
  }

  finishAttempt(taskRunId: string, number: number, end: AttemptEnd, outputs?: AttemptOutputs): Promise<void> {
    return this.write(() => this.store.finishAttempt(taskRunId, number, end, outputs));
  }

  saveResumeHandle(taskRunId: string, number: number, handle: Record<string, unknown>, runnerKind?: RunnerKind): Promise<void> {
    return this.write(() => this.store.saveResumeHandle(taskRunId, number, handle, runnerKind));
  }

  insertLogs(records: readonly LogRecord[]): Promise<void> {
    return this.write(() => this.store.insertLogs(records));
  }

  insertMetrics(records: readonly MetricRecord[]): Promise<void> {
    return this.write(() => this.store.insertMetrics(records));
  }

  taskRuns(executionId: string): Promise<TaskRunRecord[]> {
    return this.store.taskRuns(executionId);
  }

  attempts(taskRunId: string): Promise<AttemptRecord[]> {
    return this.store.attempts(taskRunId);
  }

  outputLines(taskRunId: string, attempt: number): ReturnType<Store['outputLines']> {
    return this.store.outputLines(taskRunId, attempt);
  }

  outputStampsNewestFirst(taskRunId: string, attempt: number): ReturnType<Store['outputStampsNewestFirst']> {
    return this.store.outputStampsNewestFirst(taskRunId, attempt);
  }

  countLogs(executionId: string): Promise<number> {
    return this.store.countLogs(executionId);
  }
}
