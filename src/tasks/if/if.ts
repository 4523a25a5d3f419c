import { renderTemplate } from '../../expr/index.ts';
import type { State } from '../../store/index.ts';
import { isTruthy } from '../truthiness.ts';
import type { FlowableContext } from '../flowable.ts';
import type { IfTask } from './descriptor.ts';

/**
 * `io.kestra.plugin.core.flow.If`. The condition is rendered once and kept as the task run's
 * `evaluationResult`, so a resumed run takes the branch it took before, as Kestra does.
 */
export async function runIf(task: IfTask, ctx: FlowableContext): Promise<State> {
  const stored = ctx.storedOutputs()?.evaluationResult;
  const result = typeof stored === 'boolean'
    ? stored
    : isTruthy(renderTemplate(task.condition, ctx.scope(), ctx.runtime, `task '${task.id}', property 'condition'`));
  await ctx.recordOutputs({ evaluationResult: result });
  return ctx.sequence(result ? task.then : task.else);
}
