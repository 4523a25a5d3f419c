import type { LogRecord } from '../store/index.ts';

/** What the engine tells its caller (the CLI) while an execution runs. */
export interface ExecutionListener {
  /** Every log record, already masked and stored. */
  log?(record: LogRecord): void;
}
