import { renderDeep } from '../../expr/index.ts';
import type { LogTask } from './descriptor.ts';
import type { TaskContext, TaskOutcome } from '../contract.ts';

/** `io.kestra.plugin.core.log.Log`: renders the message(s) and logs them at the task's level. */
export async function runLogTask(task: LogTask, ctx: TaskContext): Promise<TaskOutcome> {
  const messages = renderDeep(Array.isArray(task.message) ? task.message : [task.message], ctx.scope, ctx.runtime,
    `task '${task.id}', property 'message'`);
  for (const message of messages) {
    for (const line of String(message).split('\n')) ctx.log({ level: task.level, line, timestamp: new Date().toISOString() });
  }
  return { state: 'SUCCESS' };
}
