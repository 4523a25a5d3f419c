/**
 * Kestra's replay from a task run: which of the old execution's task runs a new execution starts
 * with, so that what ran before the chosen run is kept and the chosen run and all after it run
 * again. The engine re-uses stored runs by run key: a successful one is not run again, an
 * unfinished flowable runs its children again. Pure.
 */
import { isSuccessful, type AttemptRecord, type TaskRunRecord } from '../store/index.ts';

export interface ReplaySource {
  /** The old execution's task runs, in any order. */
  taskRuns: readonly TaskRunRecord[];
  attempts: readonly AttemptRecord[];
}

export interface ReplayTarget {
  executionId: string;
  /** When the new execution is made: the start of the runs made to run again. */
  createdAt: string;
  newId(): string;
  /**
   * Tasks whose children share a folder of their run (WorkingDirectory): the new execution has
   * a new folder, so when one of them runs again, none of its children is kept.
   */
  sharesFolder(taskId: string): boolean;
}

export interface ReplayPlan {
  /** In ordinal order, parents before their children. */
  taskRuns: TaskRunRecord[];
  attempts: AttemptRecord[];
}

/** The runs to copy into the new execution, or undefined when `fromTaskRunId` is not one of the old execution's. */
export function replayPlan(source: ReplaySource, fromTaskRunId: string, target: ReplayTarget): ReplayPlan | undefined {
  const byId = new Map(source.taskRuns.map((taskRun) => [taskRun.id, taskRun]));
  const from = byId.get(fromTaskRunId);
  if (!from) return undefined;

  const rerun = new Set<string>();
  for (let id = from.parentTaskRunId; id !== undefined && byId.has(id) && !rerun.has(id); id = byId.get(id)!.parentTaskRunId) rerun.add(id);
  const folderShared = [...rerun].some((id) => target.sharesFolder(byId.get(id)!.taskId));

  const children = new Map<string, TaskRunRecord[]>();
  for (const taskRun of source.taskRuns) {
    if (taskRun.parentTaskRunId !== undefined) children.set(taskRun.parentTaskRunId, [...(children.get(taskRun.parentTaskRunId) ?? []), taskRun]);
  }
  // A kept flowable is not run again: it is kept only when all its children are, else they would never run.
  const complete = memo((taskRun: TaskRunRecord, self: (run: TaskRunRecord) => boolean): boolean =>
    isSuccessful(taskRun.state) && taskRun.ordinal < from.ordinal && !rerun.has(taskRun.id) && (children.get(taskRun.id) ?? []).every(self));
  const kept = memo((taskRun: TaskRunRecord, self: (run: TaskRunRecord) => boolean): boolean => {
    if (!complete(taskRun)) return false;
    if (taskRun.parentTaskRunId === undefined) return true;
    const parent = byId.get(taskRun.parentTaskRunId);
    return parent !== undefined && (rerun.has(parent.id) ? !folderShared : self(parent));
  });

  const copied = [...source.taskRuns].filter((taskRun) => rerun.has(taskRun.id) || kept(taskRun)).sort((a, b) => a.ordinal - b.ordinal);
  const ids = new Map(copied.map((taskRun) => [taskRun.id, target.newId()]));
  const taskRuns = copied.map((taskRun): TaskRunRecord => {
    const common = { ...taskRun, id: ids.get(taskRun.id)!, executionId: target.executionId, parentTaskRunId: taskRun.parentTaskRunId && ids.get(taskRun.parentTaskRunId) };
    if (!rerun.has(taskRun.id)) return common;
    return { ...common, state: 'CREATED', startedAt: target.createdAt, endedAt: undefined, outputs: undefined, outputFiles: undefined, nextAttemptAt: undefined };
  });
  const attempts = source.attempts
    .filter((attempt) => ids.has(attempt.taskRunId) && !rerun.has(attempt.taskRunId))
    // A resume handle names the old execution's container or pod: copied, the new execution would release or re-attach it.
    .map((attempt): AttemptRecord => ({ ...attempt, taskRunId: ids.get(attempt.taskRunId)!, resumeHandle: undefined }));
  return { taskRuns, attempts };
}

/** A recursive predicate over task runs, computed once per run; a cycle in corrupt data answers false. */
function memo(decide: (taskRun: TaskRunRecord, self: (taskRun: TaskRunRecord) => boolean) => boolean): (taskRun: TaskRunRecord) => boolean {
  const decided = new Map<string, boolean>();
  const self = (taskRun: TaskRunRecord): boolean => {
    const known = decided.get(taskRun.id);
    if (known !== undefined) return known;
    decided.set(taskRun.id, false);
    const answer = decide(taskRun, self);
    decided.set(taskRun.id, answer);
    return answer;
  };
  return self;
}
