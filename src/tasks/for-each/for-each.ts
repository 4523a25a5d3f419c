import { renderDeep, renderTemplate } from '../../expr/index.ts';
import type { State } from '../../store/index.ts';
import type { FlowableContext } from '../flowable.ts';
import type { ForEachTask } from './descriptor.ts';
import { resolveForEachValues } from './values.ts';

/**
 * `io.kestra.plugin.core.flow.ForEach`: the tasks once per value, each iteration a frame of its own
 * (its task runs carry the value and the iteration number), `concurrencyLimit` iterations at once.
 */
export async function runForEach(task: ForEachTask, ctx: FlowableContext): Promise<State> {
  const where = `task '${task.id}', property 'values'`;
  const scope = ctx.scope();
  const values = resolveForEachValues(task.values, {
    text: (template) => renderTemplate(template, scope, ctx.runtime, where),
    deep: (value) => renderDeep(value, scope, ctx.runtime, where),
  }, where);
  const iterations = values.map((value, index) => ctx.iteration(value, index));
  const body = (frame: (typeof iterations)[number]) => ctx.sequence(task.tasks, frame);
  return ctx.concurrently(iterations, task.concurrencyLimit, body, body);
}
