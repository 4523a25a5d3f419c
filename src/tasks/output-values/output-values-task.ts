import { renderDeep } from '../../expr/index.ts';
import type { OutputValuesTask } from './descriptor.ts';
import type { TaskContext, TaskOutcome } from '../contract.ts';

/**
 * `io.kestra.plugin.core.output.OutputValues`: Kestra exposes them as `outputs.<id>.values.<key>`;
 * Harrier also exposes `outputs.<id>.<key>`.
 */
export async function runOutputValuesTask(task: OutputValuesTask, ctx: TaskContext): Promise<TaskOutcome> {
  const values = renderDeep(task.values, ctx.scope, ctx.runtime, `task '${task.id}', property 'values'`);
  ctx.recordOutputs({ ...values, values });
  return { state: 'SUCCESS' };
}
