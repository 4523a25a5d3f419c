import type { TaskDef } from '../../flow/model.ts';
import type { TaskDescriptor } from '../descriptor.ts';
import { flowableHandlers, handlerChildren, handlersOf, listChildren, type FlowableBase } from '../flowable.ts';

/** Runs its child tasks one after the other. */
export interface SequentialTask extends FlowableBase {
  kind: 'sequential';
  tasks: TaskDef[];
}

export const sequentialTask: TaskDescriptor<SequentialTask> = {
  kind: 'sequential',
  variants: [{
    types: [['io.kestra.plugin.core.flow.Sequential', 'Sequential', 'io.kestra.core.tasks.flows.Sequential']],
    properties: (slots) => ({ tasks: slots.tasks('The tasks, run one after the other.'), ...flowableHandlers(slots) }),
  }],
  model: ({ tasks, lists }, common) => ({ ...common, kind: 'sequential', tasks, ...handlersOf(lists) }),
  flowable: async () => (task, ctx) => ctx.sequence(task.tasks),
  children: (task) => [...listChildren('tasks', task.tasks), ...handlerChildren(task)],
};
