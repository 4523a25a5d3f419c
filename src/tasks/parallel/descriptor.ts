import type { TaskBase, TaskDef } from '../../flow/model.ts';
import { integer } from '../../flow/schema-kit.ts';
import type { TaskDescriptor } from '../descriptor.ts';

/** Runs its child tasks at the same time; the engine does it, so there is no task code. */
export interface ParallelTask extends TaskBase {
  kind: 'parallel';
  tasks: TaskDef[];
  /** 0 means unlimited, as in Kestra. */
  concurrent: number;
}

export const parallelTask: TaskDescriptor<ParallelTask> = {
  kind: 'parallel',
  variants: [{
    types: [['io.kestra.plugin.core.flow.Parallel', 'Parallel']],
    properties: (slots) => ({
      tasks: slots.tasks('The tasks run at the same time.'),
      concurrent: integer('a non-negative integer', 0).default(0).describe('How many of the tasks run at once; 0 means all of them.'),
    }),
  }],
  model: ({ properties, tasks }, common) => ({ ...common, kind: 'parallel', tasks, concurrent: properties.concurrent as number }),
};
