import type { TaskDef } from '../../flow/model.ts';
import { integer } from '../../flow/schema-kit.ts';
import type { DagEntry, TaskDescriptor } from '../descriptor.ts';
import { flowableHandlers, handlerChildren, handlersOf, type FlowableBase } from '../flowable.ts';
import { dagProblems } from './graph.ts';

/** Runs each task once the tasks it depends on succeeded, at most `concurrent` at once. */
export interface DagTask extends FlowableBase {
  kind: 'dag';
  tasks: DagEntry[];
  /** 0: no limit, as in Kestra. */
  concurrent: number;
}

export const dagTask: TaskDescriptor<DagTask> = {
  kind: 'dag',
  variants: [{
    types: [['io.kestra.plugin.core.flow.Dag', 'Dag', 'io.kestra.core.tasks.flows.Dag']],
    properties: (slots) => ({
      tasks: slots.dagTasks('The tasks, each with the ids of the tasks of this Dag it waits for (dependsOn).'),
      concurrent: integer('a non-negative integer', 0).default(0).describe('How many tasks run at once; 0: no limit.'),
      ...flowableHandlers(slots),
    }),
  }],
  model: ({ properties, dag, lists }, common) => ({ ...common, kind: 'dag', tasks: dag, concurrent: properties.concurrent as number, ...handlersOf(lists) }),
  flowable: async () => (await import('./dag.ts')).runDag,
  children: (task) => [...task.tasks.map((entry, index) => ({ at: ['tasks', index, 'task'], task: entry.task as TaskDef })), ...handlerChildren(task)],
  problems: (properties) => dagProblems((properties.tasks as Array<{ task: { id?: unknown }; dependsOn?: string[] }>).map((entry) => ({
    id: String(entry.task?.id), dependsOn: entry.dependsOn ?? [],
  }))),
};
