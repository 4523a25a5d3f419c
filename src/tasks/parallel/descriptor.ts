import type { TaskDef } from '../../flow/model.ts';
import { integer } from '../../flow/schema-kit.ts';
import type { TaskDescriptor } from '../descriptor.ts';
import { flowableHandlers, handlerChildren, handlersOf, listChildren, type FlowableBase } from '../flowable.ts';

/** Runs its child tasks at the same time. */
export interface ParallelTask extends FlowableBase {
  kind: 'parallel';
  tasks: TaskDef[];
  /** 0 means unlimited, as in Kestra. */
  concurrent: number;
}

export const parallelTask: TaskDescriptor<ParallelTask> = {
  kind: 'parallel',
  variants: [{
    types: [['io.kestra.plugin.core.flow.Parallel', 'Parallel', 'io.kestra.core.tasks.flows.Parallel']],
    properties: (slots) => ({
      tasks: slots.tasks('The tasks run at the same time.'),
      concurrent: integer('a non-negative integer', 0).default(0).describe('How many of the tasks run at once; 0 means all of them.'),
      ...flowableHandlers(slots),
    }),
  }],
  model: ({ properties, tasks, lists }, common) => ({ ...common, kind: 'parallel', tasks, concurrent: properties.concurrent as number, ...handlersOf(lists) }),
  // A failed branch starts no more branches; those never started are visited after a kill only to settle them.
  flowable: async () => (task, ctx) => ctx.concurrently(task.tasks.filter((child) => !child.disabled), task.concurrent,
    (child) => ctx.one(child), (child) => ctx.sequence([child])),
  children: (task) => [...listChildren('tasks', task.tasks), ...handlerChildren(task)],
};
