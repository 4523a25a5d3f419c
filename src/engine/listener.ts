import type { RunnerProgress } from '../runners/contract.ts';
import type { LogRecord, TaskRunRecord } from '../store/index.ts';

/** What the engine tells its caller while an execution runs. Every method is optional. */
export interface ExecutionListener {
  /** Every log record, already masked and stored (the CLI prints them). */
  log?(record: LogRecord): void;
  /** Every change of a task run's state, once stored (the engine's tests follow them). */
  taskRunChanged?(taskRun: TaskRunRecord): void;
  /** A running task's live progress from its runner (never stored). */
  progress?(taskRun: TaskRunRecord, progress: RunnerProgress): void;
}
