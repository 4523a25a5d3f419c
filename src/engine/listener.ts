import type { ExecutionRecord, LogRecord, TaskRunRecord } from '../store/index.ts';

/** What the engine tells its caller (the CLI) while an execution runs. Every method is optional. */
export interface ExecutionListener {
  executionStarted?(execution: ExecutionRecord): void;
  /** Every log record, already masked and stored. */
  log?(record: LogRecord): void;
  taskRunChanged?(taskRun: TaskRunRecord): void;
  executionEnded?(execution: ExecutionRecord): void;
}
