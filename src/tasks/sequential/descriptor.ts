import type { TaskBase, TaskDef } from '../../flow/model.ts';
import type { TaskDescriptor } from '../descriptor.ts';

/** Runs its child tasks one after the other; the engine does it, so there is no task code. */
export interface SequentialTask extends TaskBase {
  kind: 'sequential';
  tasks: TaskDef[];
}

export const sequentialTask: TaskDescriptor<SequentialTask> = {
  kind: 'sequential',
  variants: [{
    types: [['io.kestra.plugin.core.flow.Sequential', 'Sequential']],
    properties: (slots) => ({ tasks: slots.tasks('The tasks, run one after the other.') }),
  }],
  model: ({ tasks }, common) => ({ ...common, kind: 'sequential', tasks }),
};
