/**
 * The removal of what ended attempts ran in (a container and its volume, a pod), through the
 * runner that ran them (TaskRunner.release), only once the attempt's end is stored: a process that
 * dies before the removal leaves an ended attempt, released when the execution is resumed or taken
 * over, never one that runs again. A released handle is stored again marked `released` (no schema
 * change); handles are stored with secret values sealed, as outputs are.
 */
import type { ResumeHandle } from '../runners/contract.ts';
import type { RunnerRegistry } from '../runners/registry.ts';
import type { RunnerKind } from '../runners/table.ts';
import { describeError } from '../shared/errors.ts';
import { isTerminal, type AttemptRecord, type ExecutionStore, type TaskRunRecord } from '../store/index.ts';
import type { ExecutionSecrets } from './execution-secrets.ts';

const RELEASED = 'released';

export interface ReleaseDeps {
  store: Pick<ExecutionStore, 'attempts' | 'saveResumeHandle'>;
  runners: RunnerRegistry;
  secrets: Pick<ExecutionSecrets, 'seal' | 'open'>;
  /** The command line's settings for a runner kind (RunnerJob.settings). */
  settings(kind: RunnerKind): Record<string, string> | undefined;
  warn(taskRun: TaskRunRecord, attempt: number, message: string): void;
  /** Handed over to another process: its attempts are the new owner's, nothing is touched. */
  detached(): boolean;
  /** True when the error is a store failure that halts the run (see StoreHalt). */
  haltOnFailure(error: unknown): boolean;
}

interface Pending {
  taskRun: TaskRunRecord;
  number: number;
  kind: RunnerKind;
  handle: ResumeHandle;
}

export class AttemptReleases {
  private readonly deps: ReleaseDeps;
  /** Releases that failed during this run, tried once more as it ends. */
  private readonly failed: Pending[] = [];

  constructor(deps: ReleaseDeps) {
    this.deps = deps;
  }

  /** A resume handle as the store keeps it: strings that hold a secret (a connection's token) sealed. */
  sealed(handle: ResumeHandle): Record<string, unknown> {
    return this.deps.secrets.seal(handle) as Record<string, unknown>;
  }

  /** A stored handle in clear. */
  opened(stored: ResumeHandle): ResumeHandle {
    return this.deps.secrets.open(stored);
  }

  /**
   * On a resume or a take-over, before anything runs: the ended attempts whose handle is not
   * marked released (the process died between the stored end and the removal, or it failed).
   */
  async releaseEnded(taskRuns: Iterable<TaskRunRecord>): Promise<void> {
    for (const taskRun of taskRuns) {
      for (const attempt of await this.deps.store.attempts(taskRun.id)) {
        if (isTerminal(attempt.state) && attempt.resumeHandle?.[RELEASED] !== true) await this.releaseStored(taskRun, attempt);
      }
    }
  }

  /** An ended attempt as the store has it, when a runner ran it and saved a handle. */
  async releaseStored(taskRun: TaskRunRecord, attempt: AttemptRecord): Promise<void> {
    if (attempt.runnerKind && attempt.resumeHandle) await this.release(taskRun, attempt.number, attempt.runnerKind, this.opened(attempt.resumeHandle));
  }

  /**
   * Removes what the handle names through its runner, then marks it released. A failed removal is
   * a warning, never a task failure: it is tried once more before the run stores its end (retryFailed), and a
   * resume or take-over tries what is still not marked.
   */
  async release(taskRun: TaskRunRecord, number: number, kind: RunnerKind, handle: ResumeHandle, lastTry = false): Promise<void> {
    if (this.deps.detached()) return;
    try {
      const runner = await this.deps.runners.get(kind);
      await runner.release(handle, this.deps.settings(kind));
    } catch (error) {
      if (lastTry) {
        this.deps.warn(taskRun, number, `what attempt ${number} ran in is left behind: ${describeError(error)}`);
      } else {
        this.failed.push({ taskRun, number, kind, handle });
        this.deps.warn(taskRun, number, `what attempt ${number} ran in could not be removed: ${describeError(error)}; harrier tries again as the execution ends`);
      }
      return;
    }
    try {
      await this.deps.store.saveResumeHandle(taskRun.id, number, this.sealed({ ...handle, [RELEASED]: true }));
    } catch (error) {
      // Unmarked, the attempt is released again on resume, which finds it gone: no harm.
      if (!this.deps.haltOnFailure(error)) throw error;
    }
  }

  /** The releases that failed during this run, once more. */
  async retryFailed(): Promise<void> {
    for (const { taskRun, number, kind, handle } of this.failed.splice(0)) await this.release(taskRun, number, kind, handle, true);
  }
}
