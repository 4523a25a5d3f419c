import type { TaskDef } from '../../flow/model.ts';
import { text } from '../../flow/schema-kit.ts';
import type { TaskDescriptor } from '../descriptor.ts';
import { flowableHandlers, handlerChildren, handlersOf, listChildren, type FlowableBase } from '../flowable.ts';

/** Runs the tasks of the case its rendered value names, else `defaults`. */
export interface SwitchTask extends FlowableBase {
  kind: 'switch';
  value: string;
  cases: Record<string, TaskDef[]>;
  defaults: TaskDef[];
}

export const switchTask: TaskDescriptor<SwitchTask> = {
  kind: 'switch',
  variants: [{
    types: [['io.kestra.plugin.core.flow.Switch', 'Switch', 'io.kestra.core.tasks.flows.Switch']],
    properties: (slots) => ({
      value: text().describe('An expression; its rendered text picks the case.'),
      cases: slots.taskMap('Case names to the tasks run when the value equals the name.'),
      defaults: slots.optionalTasks('The tasks run when no case matches.'),
      ...flowableHandlers(slots),
    }),
  }],
  model: ({ properties, maps, lists }, common) => ({
    ...common, kind: 'switch', value: properties.value as string, cases: maps.cases ?? {}, defaults: lists.defaults ?? [], ...handlersOf(lists),
  }),
  flowable: async () => (await import('./switch.ts')).runSwitch,
  children: (task) => [
    ...Object.entries(task.cases).flatMap(([name, tasks]) => tasks.map((child, index) => ({ at: ['cases', name, index], task: child }))),
    ...listChildren('defaults', task.defaults),
    ...handlerChildren(task),
  ],
  problems: (properties) => {
    const cases = properties.cases as Record<string, unknown[]> | undefined;
    const defaults = properties.defaults as unknown[] | undefined;
    return Object.keys(cases ?? {}).length === 0 && (defaults ?? []).length === 0
      ? [{ path: [], message: "a Switch needs tasks in 'cases' or 'defaults' (it has neither)" }]
      : [];
  },
};
