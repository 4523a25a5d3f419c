import type { FlowableTask, RunnerKind, TaskDef } from '../flow/model.ts';
import type { TaskContext, TaskOutcome } from './contract.ts';
import type { ChildTask, RunFlowable, TaskDescriptor } from './descriptor.ts';
import type { FlowableContext } from './flowable.ts';
import type { State } from '../store/index.ts';
import { TASKS } from './table.ts';

export type { TaskContext, TaskOutcome, TaskLogLine, TaskResume } from './contract.ts';
export type { Frame, FlowableContext, SharedDir } from './flowable.ts';

/** Tasks that do work themselves; flowable tasks schedule children the engine runs. */
export type RunnableTask = Exclude<TaskDef, FlowableTask>;

function descriptorOf<Def extends TaskDef>(task: Def): TaskDescriptor<Def> {
  return TASKS.find((descriptor) => descriptor.kind === task.kind) as unknown as TaskDescriptor<Def>;
}

export function isFlowable(task: TaskDef): task is FlowableTask {
  return descriptorOf(task).flowable !== undefined;
}

/** Runs one attempt with the task type's code, loaded on the type's first use. */
export async function runTask(task: RunnableTask, ctx: TaskContext): Promise<TaskOutcome> {
  const run = await descriptorOf(task).load!();
  return run(task, ctx);
}

/** Runs a flowable's own part: it picks the children, which the engine runs through `ctx`. */
export async function runFlowable(task: FlowableTask, ctx: FlowableContext): Promise<State> {
  const run = await descriptorOf(task).flowable!() as RunFlowable<FlowableTask>;
  return run(task, ctx);
}

/** Whether an attempt of this task can be re-attached after a crash instead of started again. */
export function taskReattaches(task: RunnableTask, override?: RunnerKind): boolean {
  return descriptorOf(task).reattaches?.(task, override) ?? false;
}

/** Whether the engine makes the attempt's host folder (TaskContext.attemptDir) for this task. */
export function taskHasAttemptDir(task: RunnableTask): boolean {
  return descriptorOf(task).attemptDir ?? true;
}

/** A flowable's child tasks (errors and finally included), each at its path relative to it; none for other tasks. */
export function childTasks(task: TaskDef): ChildTask[] {
  return descriptorOf(task).children?.(task) ?? [];
}
