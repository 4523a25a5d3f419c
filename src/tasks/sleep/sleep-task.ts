import { setTimeout as wait } from 'node:timers/promises';
import { formatDurationMs } from '../../shared/duration.ts';
import type { TaskContext, TaskOutcome } from '../contract.ts';
import type { SleepTask } from './descriptor.ts';

/** `io.kestra.plugin.core.flow.Sleep`: rejects with the signal's reason when killed or timed out. */
export async function runSleepTask(task: SleepTask, ctx: TaskContext): Promise<TaskOutcome> {
  ctx.log({ level: 'INFO', line: `Waiting for ${formatDurationMs(task.durationMs)}`, timestamp: new Date().toISOString() });
  await wait(task.durationMs, undefined, { signal: ctx.signal });
  return { state: 'SUCCESS' };
}
