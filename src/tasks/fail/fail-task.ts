import { renderTemplate } from '../../expr/index.ts';
import { TaskFailedError } from '../../shared/errors.ts';
import type { TaskContext, TaskOutcome } from '../contract.ts';
import { isTruthy } from '../truthiness.ts';
import type { FailTask } from './descriptor.ts';

/**
 * `io.kestra.plugin.core.execution.Fail`, as Kestra's: without a condition it fails with its
 * errorMessage; with one that holds it logs the errorMessage as an error and fails "on a condition".
 */
export async function runFailTask(task: FailTask, ctx: TaskContext): Promise<TaskOutcome> {
  const render = (template: string, property: string): string => renderTemplate(template, ctx.scope, ctx.runtime, `task '${task.id}', property '${property}'`);
  if (task.condition === undefined) throw new TaskFailedError(render(task.errorMessage, 'errorMessage'), { code: 'FAIL_TASK' });
  if (!isTruthy(render(task.condition, 'condition'))) return { state: 'SUCCESS' };
  ctx.log({ level: 'ERROR', line: render(task.errorMessage, 'errorMessage'), timestamp: new Date().toISOString() });
  throw new TaskFailedError('Fail on a condition', { code: 'FAIL_TASK' });
}
