import { StoreError } from '../shared/errors.ts';
import type { LogRecord } from './records.ts';
import type { Store } from './contract.ts';

/**
 * Batches log records into one transaction per flush: a task printing a million lines must not
 * cost a million commits. Flushes when the batch is full or after `intervalMs`, and on demand.
 * Writes come from runners' stream callbacks, which must never throw: when the store fails (a
 * full disk), the writer reports it once through `onFailure` and drops every line after it.
 * Batches are stored one at a time, in order; `flush()` resolves once every line written before
 * it is stored (or dropped after a failure), so a dependent write can follow it.
 */
export class LogWriter {
  private batch: LogRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly store: Pick<Store, 'insertLogs'>;
  private readonly maxBatch: number;
  private readonly intervalMs: number;
  private readonly onFailure: (error: StoreError) => void;
  private failure: StoreError | undefined;
  /** The batches' inserts, chained: one at a time, in order. */
  private stored: Promise<void> = Promise.resolve();

  constructor(store: Pick<Store, 'insertLogs'>, options: { maxBatch?: number; intervalMs?: number; onFailure?: (error: StoreError) => void } = {}) {
    this.store = store;
    this.maxBatch = options.maxBatch ?? 5_000;
    this.intervalMs = options.intervalMs ?? 100;
    this.onFailure = options.onFailure ?? (() => {});
  }

  write(record: LogRecord): void {
    this.batch.push(record);
    if (this.batch.length >= this.maxBatch) {
      void this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.intervalMs);
    }
  }

  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.batch.length > 0) {
      const records = this.batch;
      this.batch = [];
      this.stored = this.stored.then(() => this.insert(records));
    }
    return this.stored;
  }

  private async insert(records: readonly LogRecord[]): Promise<void> {
    if (this.failure) return;
    try {
      await this.store.insertLogs(records);
    } catch (error) {
      // Anything else is a bug, and no caller is there to catch it (a timer flushed): it is reported as a store failure.
      const failure = error instanceof StoreError ? error : new StoreError(`cannot store log lines: ${String(error)}`, { cause: error });
      this.failure = failure;
      this.onFailure(failure);
    }
  }
}
