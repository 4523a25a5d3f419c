import { renderTemplate } from '../../expr/index.ts';
import type { State } from '../../store/index.ts';
import type { FlowableContext } from '../flowable.ts';
import type { SwitchTask } from './descriptor.ts';

/** `io.kestra.plugin.core.flow.Switch`; outputs `value` and `defaults` (whether no case matched), as Kestra's. */
export async function runSwitch(task: SwitchTask, ctx: FlowableContext): Promise<State> {
  const stored = ctx.storedOutputs()?.value;
  const value = typeof stored === 'string' ? stored : renderTemplate(task.value, ctx.scope(), ctx.runtime, `task '${task.id}', property 'value'`);
  const matched = Object.hasOwn(task.cases, value) ? task.cases[value] : undefined;
  await ctx.recordOutputs({ value, defaults: matched === undefined });
  return ctx.sequence(matched ?? task.defaults);
}
