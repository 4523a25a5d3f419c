import type { RunnerKind, TaskDef } from '../flow/model.ts';
import type { TaskContext, TaskOutcome } from './contract.ts';
import type { TaskDescriptor } from './descriptor.ts';
import { TASKS } from './table.ts';

export type { TaskContext, TaskOutcome, TaskLogLine, TaskResume } from './contract.ts';

/** Tasks that do work themselves; flowable tasks (Parallel, Sequential) are the engine's. */
export type RunnableTask = Exclude<TaskDef, { kind: 'parallel' | 'sequential' }>;

function descriptorOf(task: RunnableTask): TaskDescriptor<RunnableTask> {
  return TASKS.find((descriptor) => descriptor.kind === task.kind) as TaskDescriptor<RunnableTask>;
}

/** Runs one attempt with the task type's code, loaded on the type's first use. */
export async function runTask(task: RunnableTask, ctx: TaskContext): Promise<TaskOutcome> {
  const run = await descriptorOf(task).load!();
  return run(task, ctx);
}

/** Whether an attempt of this task can be re-attached after a crash instead of started again. */
export function taskReattaches(task: RunnableTask, override?: RunnerKind): boolean {
  return descriptorOf(task).reattaches?.(task, override) ?? false;
}
