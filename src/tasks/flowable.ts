/**
 * The contract between the engine and a flowable task's scheduling code (ForEach, If, Dag, ...):
 * the flowable decides which children run and in what order; the engine runs each child as a task
 * run of its own (attempts, retries, timeouts, kill, resume) and persists everything.
 */
import type { ExprRuntime, Scope } from '../expr/index.ts';
import type { RetryPolicy, TaskBase, TaskDef } from '../flow/model.ts';
import type { NoticeLevel } from '../runners/contract.ts';
import type { InternalStorage, State } from '../store/index.ts';
import type { TaskSlots } from './descriptor.ts';

/**
 * Where child tasks run: the iteration of the enclosing ForEach tasks, if any. An opaque value
 * for flowable code, which gets new ones from `iteration()`.
 */
export interface Frame {
  /** The enclosing iterations' numbers, outermost first, joined by '/'; '' outside any ForEach. */
  readonly loopPath: string;
  /** The enclosing iterations' values, outermost first: where outputs are filed (`outputs.t[v1][v2]`). */
  readonly values: readonly string[];
  /** Set for the direct children of a ForEach iteration: their `taskrun.value` and `taskrun.iteration`. */
  readonly iteration?: { value: string; index: number };
  /** The task run of the flowable whose children run here. */
  readonly parentTaskRunId?: string;
  /** The shared working directory of an enclosing WorkingDirectory task, if any. */
  readonly sharedDir?: SharedDir;
  /** The retry of the nearest enclosing flowable that has one: its children without their own use it. */
  readonly retry?: RetryPolicy;
  /** Aborted when an enclosing flowable's `timeout` is reached: its children stop, and no more start. */
  readonly deadline?: AbortSignal;
}

/** A WorkingDirectory's folder, which every script task inside it uses as its working directory. */
export interface SharedDir {
  /** The host folder. */
  hostDir: string;
  /** The WorkingDirectory task's id, for messages. */
  taskId: string;
}

/** What a flowable's code gets; its children run in the flowable's frame unless it makes new ones. */
export interface FlowableContext {
  /** The flowable's own expression scope (its `taskrun`, `parent`, outputs so far). */
  scope(): Scope;
  runtime: ExprRuntime;
  /** Killed, or the store cannot write: start nothing more. */
  stopped(): boolean;
  /** Killed (Ctrl-C, SIGTERM): the flowable ends KILLED. */
  killed(): boolean;
  /** Runs tasks one after another in `frame`; stops at the first that does not succeed. */
  sequence(tasks: readonly TaskDef[], frame?: Frame): Promise<State>;
  /** Runs one child task to its end in `frame` (allowFailure applied). */
  one(task: TaskDef, frame?: Frame): Promise<State>;
  /**
   * Runs `run(item)` for each item, at most `limit` at once (0: all at once). Once one does not
   * succeed no more start; after a kill, `settle` visits the items that never started.
   */
  concurrently<T>(items: readonly T[], limit: number, run: (item: T) => Promise<State>, settle?: (item: T) => Promise<unknown>): Promise<State>;
  /** The frame of one ForEach iteration of this flowable. */
  iteration(value: string, index: number): Frame;
  /** A frame whose script tasks share `dir` as their working directory. */
  withSharedDir(dir: SharedDir): Frame;
  /** This flowable's task run's id. */
  taskRunId: string;
  /** A host folder of this task run's own (a WorkingDirectory's shared folder goes inside), removed when it ends. */
  workDir: string;
  /** Outputs of the flowable's own task run (If's `evaluationResult`, Switch's `value`). */
  recordOutputs(outputs: Record<string, unknown>): Promise<void>;
  /** The flowable's own task-run outputs stored so far (a resumed run keeps its first decision). */
  storedOutputs(): Record<string, unknown> | undefined;
  notice(level: NoticeLevel, message: string): void;
  /** Files for a flowable that prepares a folder (WorkingDirectory). */
  files: FlowableFiles;
}

export interface FlowableFiles {
  storage: InternalStorage;
  namespaceFilesDir: string;
  namespaceFilesOf(namespace: string): string;
  /** Who stores files: output files are keyed by the flowable's execution, task and task run. */
  scope: { namespace: string; flowId: string; executionId: string };
}

/** What every flowable has in Kestra: tasks run when a child failed, and tasks run whatever the end. */
export function flowableHandlers(slots: TaskSlots) {
  return {
    errors: slots.optionalTasks('Tasks run when a child task failed; the flowable stays FAILED.'),
    finally: slots.optionalTasks('Tasks run after the children (and errors), whatever their end.'),
  };
}

/** The `errors` and `finally` of a flowable's model. */
export interface FlowableHandlers {
  errors: TaskDef[];
  finally: TaskDef[];
}

export function handlersOf(lists: Record<string, TaskDef[]>): FlowableHandlers {
  return { errors: lists.errors ?? [], finally: lists.finally ?? [] };
}

/** The children of each handler list, for a descriptor's `children`. */
export function handlerChildren(task: FlowableHandlers): Array<{ at: [string, number]; task: TaskDef }> {
  return [
    ...task.errors.map((child, index) => ({ at: ['errors', index] as [string, number], task: child })),
    ...task.finally.map((child, index) => ({ at: ['finally', index] as [string, number], task: child })),
  ];
}

/** The children of a list property, for a descriptor's `children`. */
export function listChildren(key: string, tasks: readonly TaskDef[]): Array<{ at: [string, number]; task: TaskDef }> {
  return tasks.map((task, index) => ({ at: [key, index], task }));
}

export type FlowableBase = TaskBase & FlowableHandlers;

/** Several children's states as one: a failure wins, then a kill, then a warning. */
export function combineStates(states: readonly State[], killed: boolean): State {
  if (killed) return 'KILLED';
  if (states.includes('FAILED')) return 'FAILED';
  if (states.includes('KILLED')) return 'KILLED';
  return states.includes('WARNING') ? 'WARNING' : 'SUCCESS';
}
