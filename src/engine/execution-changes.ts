import type { ExecutionStore } from '../store/index.ts';

/**
 * Wakes those who follow an execution (the API's SSE streams and `?wait=true`) as soon as a run
 * of this process stored something of it, instead of at their next poll. Changes made by other
 * processes (workers on other machines) are still seen by polling, so a wait always has a limit.
 */
export class ExecutionChanges {
  private readonly waiting = new Map<string, Set<() => void>>();

  /** Called after each stored write of a run of the execution. */
  touch(executionId: string): void {
    const waiters = this.waiting.get(executionId);
    if (!waiters) return;
    this.waiting.delete(executionId);
    for (const wake of waiters) wake();
  }

  /**
   * Resolves at the execution's next change in this process, or after `timeoutMs`. Ask before
   * reading the store, then await it after: a change made during the read is not missed.
   */
  next(executionId: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      let waiters = this.waiting.get(executionId);
      if (!waiters) this.waiting.set(executionId, (waiters = new Set()));
      const set = waiters;
      const wake = (): void => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0 && this.waiting.get(executionId) === set) this.waiting.delete(executionId);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      set.add(wake);
    });
  }

  /** How many executions someone waits for now (tests check that none is left behind). */
  get followed(): number {
    return this.waiting.size;
  }
}

/** The store as one execution's run writes to it, calling `changed` after each write that went through. */
export function signallingStore(store: ExecutionStore, changed: () => void): ExecutionStore {
  const after = <A extends unknown[], R>(write: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    const result = await write(...args);
    changed();
    return result;
  };
  return {
    taskRuns: (executionId) => store.taskRuns(executionId),
    attempts: (taskRunId) => store.attempts(taskRunId),
    outputLines: (taskRunId, attempt) => store.outputLines(taskRunId, attempt),
    outputStampsNewestFirst: (taskRunId, attempt) => store.outputStampsNewestFirst(taskRunId, attempt),
    countLogs: (executionId) => store.countLogs(executionId),
    transaction: after((work) => store.transaction(work)),
    insertExecution: after((execution, options) => store.insertExecution(execution, options)),
    setExecutionState: after((id, state, endedAt, failure) => store.setExecutionState(id, state, endedAt, failure)),
    setExecutionOutputs: after((id, outputs) => store.setExecutionOutputs(id, outputs)),
    setSecretNames: after((id, names) => store.setSecretNames(id, names)),
    insertTaskRun: after((taskRun) => store.insertTaskRun(taskRun)),
    updateTaskRun: after((id, change) => store.updateTaskRun(id, change)),
    saveTaskRunOutputs: after((id, outputs, files) => store.saveTaskRunOutputs(id, outputs, files)),
    insertAttempt: after((attempt) => store.insertAttempt(attempt)),
    finishAttempt: after((taskRunId, number, end, outputs) => store.finishAttempt(taskRunId, number, end, outputs)),
    saveResumeHandle: after((taskRunId, number, handle, runnerKind) => store.saveResumeHandle(taskRunId, number, handle, runnerKind)),
    insertLogs: after((records) => store.insertLogs(records)),
    insertMetrics: after((records) => store.insertMetrics(records)),
  };
}
