import { isDiskFull, StoreError } from '../shared/errors.ts';
import { diskFullError, type ExecutionFailure, type Store } from '../store/index.ts';

/**
 * An execution's stop for a failed store (a full disk above all): the first failure aborts
 * `signal`, so running attempts end and nothing new starts; the execution ends FAILED with one
 * message that says how much of the log was kept, and a full disk leaves it resumable.
 */
export class StoreHalt {
  private readonly controller = new AbortController();
  private readonly stateDir: string;
  private error: StoreError | undefined;
  /** Set once an attempt's failure has told the user why: the execution does not say it twice. */
  reported = false;

  private readonly onLeaseLost: () => void;

  /** `onLeaseLost`: a write was refused because another worker took the execution over (no halt then). */
  constructor(stateDir: string, onLeaseLost: () => void = () => {}) {
    this.stateDir = stateDir;
    this.onLeaseLost = onLeaseLost;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get halted(): boolean {
    return this.error !== undefined;
  }

  /** The first store failure halts; later ones are its echoes. */
  haltOn(error: StoreError): void {
    if (error.code === 'LEASE_LOST') return this.onLeaseLost();
    if (this.error) return;
    this.error = error;
    this.controller.abort(error);
  }

  /** Halts on a StoreError, or on a full disk met by a file operation; false for any other error. */
  haltOnFailure(error: unknown): boolean {
    if (error instanceof StoreError) this.haltOn(error);
    else if (isDiskFull(error)) this.haltOn(diskFullError(this.stateDir, error));
    else return false;
    return true;
  }

  /** "no space left on device at DIR, N lines stored": what the user reads, and the attempt's error. */
  async message(store: Pick<Store, 'countLogs'>, executionId: string): Promise<string> {
    const error = this.error!;
    if (error.code !== 'STORE_DISK_FULL') return error.userMessage();
    let stored: string;
    try {
      stored = `${(await store.countLogs(executionId)).toLocaleString('en-US')} lines stored`;
    } catch {
      stored = 'the count of stored lines is unknown';
    }
    return `${error.message}, ${stored}`;
  }

  /** What the execution record keeps: only a full disk makes a FAILED execution resumable. */
  failure(message: string): ExecutionFailure | undefined {
    return this.error?.code === 'STORE_DISK_FULL' ? { code: 'STORE_DISK_FULL', message } : undefined;
  }
}
