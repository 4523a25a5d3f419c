import type { RunnerKind, TaskDef } from '../flow/model.ts';
import { RUNNER_REATTACHES } from '../runners/registry.ts';
import type { TaskContext, TaskOutcome } from './contract.ts';
import { runLogTask } from './log-task.ts';
import { runOutputValuesTask } from './output-values-task.ts';
import { runScriptTask } from './script/script-task.ts';

export type { TaskContext, TaskOutcome, TaskLogLine, TaskResume } from './contract.ts';

/** Tasks that do work themselves; flowable tasks (Parallel, Sequential) are the engine's. */
export type RunnableTask = Exclude<TaskDef, { kind: 'parallel' | 'sequential' }>;

export async function runTask(task: RunnableTask, ctx: TaskContext): Promise<TaskOutcome> {
  switch (task.kind) {
    case 'script':
      return runScriptTask(task, ctx);
    case 'log':
      return runLogTask(task, ctx);
    case 'outputValues':
      return runOutputValuesTask(task, ctx);
    case 'podCreate':
      return (await import('./pod-create-task.ts')).runPodCreateTask(task, ctx);
  }
}

/** Whether an attempt of this task can be re-attached after a crash instead of started again. */
export function taskReattaches(task: RunnableTask, override?: RunnerKind): boolean {
  if (task.kind === 'podCreate') return true;
  if (task.kind === 'script') return RUNNER_REATTACHES[override ?? task.taskRunner.kind];
  return false;
}
