import type { TaskDef } from '../../flow/model.ts';
import { text } from '../../flow/schema-kit.ts';
import type { TaskDescriptor } from '../descriptor.ts';
import { flowableHandlers, handlerChildren, handlersOf, listChildren, type FlowableBase } from '../flowable.ts';

/** Runs `then` when its condition renders truthy, else `else`. */
export interface IfTask extends FlowableBase {
  kind: 'if';
  condition: string;
  then: TaskDef[];
  else: TaskDef[];
}

export const ifTask: TaskDescriptor<IfTask> = {
  kind: 'if',
  variants: [{
    types: [['io.kestra.plugin.core.flow.If', 'If', 'io.kestra.core.tasks.flows.If']],
    properties: (slots) => ({
      condition: text().describe("An expression; false, 0, -0, '' and null are false, anything else true."),
      then: slots.tasks('The tasks run when the condition is true.'),
      else: slots.optionalTasks('The tasks run when the condition is false.'),
      ...flowableHandlers(slots),
    }),
  }],
  model: ({ properties, lists }, common) => ({
    ...common, kind: 'if', condition: properties.condition as string, then: lists.then ?? [], else: lists.else ?? [], ...handlersOf(lists),
  }),
  flowable: async () => (await import('./if.ts')).runIf,
  children: (task) => [...listChildren('then', task.then), ...listChildren('else', task.else), ...handlerChildren(task)],
};
