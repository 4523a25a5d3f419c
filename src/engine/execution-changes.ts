import type { ExecutionStore } from '../store/index.ts';

/** What a write changed: the execution's own row (state, outputs), its task runs and attempts, or its log. */
export type ChangeKind = 'execution' | 'taskRuns' | 'logs';

interface Waiter {
  kinds: readonly ChangeKind[];
  wake(): void;
}

/**
 * Wakes those who follow an execution (the API's SSE streams and `?wait=true`) as soon as a run
 * of this process stored the kind of change they follow, instead of at their next poll. Changes
 * made by other processes (workers on other machines) are still seen by polling, so a wait always
 * has a limit.
 */
export class ExecutionChanges {
  private readonly waiting = new Map<string, Set<Waiter>>();

  /** Called after each stored write of a run of the execution. */
  touch(executionId: string, kind: ChangeKind): void {
    for (const waiter of this.waiting.get(executionId) ?? []) if (waiter.kinds.includes(kind)) waiter.wake();
  }

  /**
   * Resolves at the execution's next change of one of `kinds` in this process, or after
   * `timeoutMs`. Ask before reading the store, then await it after: a change made during the read
   * is not missed.
   */
  next(executionId: string, kinds: readonly ChangeKind[], timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      let waiters = this.waiting.get(executionId);
      if (!waiters) this.waiting.set(executionId, (waiters = new Set()));
      const set = waiters;
      const waiter: Waiter = {
        kinds,
        wake: () => {
          clearTimeout(timer);
          set.delete(waiter);
          if (set.size === 0 && this.waiting.get(executionId) === set) this.waiting.delete(executionId);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, timeoutMs);
      set.add(waiter);
    });
  }

  /** How many executions someone waits for now (tests check that none is left behind). */
  get followed(): number {
    return this.waiting.size;
  }
}

/** The store as one execution's run writes to it, calling `changed` with what changed after each write that went through. */
export function signallingStore(store: ExecutionStore, changed: (kind: ChangeKind) => void): ExecutionStore {
  const after = <A extends unknown[], R>(kinds: readonly ChangeKind[], write: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    const result = await write(...args);
    for (const kind of kinds) changed(kind);
    return result;
  };
  const execution = ['execution'] as const;
  const taskRuns = ['taskRuns'] as const;
  return {
    taskRuns: (executionId) => store.taskRuns(executionId),
    attempts: (taskRunId) => store.attempts(taskRunId),
    outputLines: (taskRunId, attempt) => store.outputLines(taskRunId, attempt),
    outputStampsNewestFirst: (taskRunId, attempt) => store.outputStampsNewestFirst(taskRunId, attempt),
    countLogs: (executionId) => store.countLogs(executionId),
    transaction: after(['execution', 'taskRuns', 'logs'], (work) => store.transaction(work)),
    insertExecution: after(execution, (record, options) => store.insertExecution(record, options)),
    setExecutionState: after(execution, (id, state, endedAt, failure) => store.setExecutionState(id, state, endedAt, failure)),
    setExecutionOutputs: after(execution, (id, outputs) => store.setExecutionOutputs(id, outputs)),
    setSecretNames: after(execution, (id, names) => store.setSecretNames(id, names)),
    insertTaskRun: after(taskRuns, (taskRun) => store.insertTaskRun(taskRun)),
    updateTaskRun: after(taskRuns, (id, change) => store.updateTaskRun(id, change)),
    saveTaskRunOutputs: after(taskRuns, (id, outputs, files) => store.saveTaskRunOutputs(id, outputs, files)),
    insertAttempt: after(taskRuns, (attempt) => store.insertAttempt(attempt)),
    finishAttempt: after(taskRuns, (taskRunId, number, end, outputs) => store.finishAttempt(taskRunId, number, end, outputs)),
    saveResumeHandle: after(taskRuns, (taskRunId, number, handle, runnerKind) => store.saveResumeHandle(taskRunId, number, handle, runnerKind)),
    insertLogs: after(['logs'], (records) => store.insertLogs(records)),
    insertMetrics: after([], (records) => store.insertMetrics(records)),
  };
}
