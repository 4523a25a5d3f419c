import { StoreError } from '../shared/errors.ts';
import type { LogRecord } from './records.ts';
import type { Store } from './store.ts';

/**
 * Batches log records into one transaction per flush: a task printing a million lines must not
 * cost a million commits. Flushes when the batch is full or after `intervalMs`, and on demand.
 * Writes come from runners' stream callbacks, which must never throw: when the store fails (a
 * full disk), the writer reports it once through `onFailure` and drops every line after it.
 */
export class LogWriter {
  private batch: LogRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly store: Pick<Store, 'insertLogs'>;
  private readonly maxBatch: number;
  private readonly intervalMs: number;
  private readonly onFailure: (error: StoreError) => void;
  private failure: StoreError | undefined;

  constructor(store: Pick<Store, 'insertLogs'>, options: { maxBatch?: number; intervalMs?: number; onFailure?: (error: StoreError) => void } = {}) {
    this.store = store;
    this.maxBatch = options.maxBatch ?? 5_000;
    this.intervalMs = options.intervalMs ?? 100;
    this.onFailure = options.onFailure ?? (() => {});
  }

  write(record: LogRecord): void {
    this.batch.push(record);
    if (this.batch.length >= this.maxBatch) {
      this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.intervalMs);
    }
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.batch.length === 0) return;
    const records = this.batch;
    this.batch = [];
    if (this.failure) return;
    try {
      this.store.insertLogs(records);
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      this.failure = error;
      this.onFailure(error);
    }
  }
}
