import type { TaskDef } from '../../flow/model.ts';
import { z } from 'zod';
import { either, integer, isList, isText, string } from '../../flow/schema-kit.ts';
import type { TaskDescriptor } from '../descriptor.ts';
import { flowableHandlers, handlerChildren, handlersOf, listChildren, type FlowableBase } from '../flowable.ts';

/** Runs its tasks once per value, `concurrencyLimit` iterations at a time. */
export interface ForEachTask extends FlowableBase {
  kind: 'forEach';
  /** A list, or a string rendering to a JSON list; rendered when the task runs. */
  values: unknown;
  /** 1: one iteration after the other; 0: all at once. */
  concurrencyLimit: number;
  tasks: TaskDef[];
}

const values = () => either('a list of values, or a string holding a JSON list',
  { accepts: isText, schema: string() },
  { accepts: isList, schema: z.array(z.unknown()) });

export const forEachTask: TaskDescriptor<ForEachTask> = {
  kind: 'forEach',
  variants: [
    {
      types: [['io.kestra.plugin.core.flow.ForEach', 'ForEach']],
      properties: (slots) => ({
        values: values().describe('The values to iterate over: a list, or a JSON list as a string (an expression may give it).'),
        concurrencyLimit: integer('a non-negative integer', 0).default(1)
          .describe('How many iterations run at once: 1 one after the other (the default), 0 all at once.'),
        tasks: slots.tasks('The tasks run for each value, one after the other; `{{ taskrun.value }}` is the value.'),
        ...flowableHandlers(slots),
      }),
    },
    {
      // Kestra's deprecated forms: `value` instead of `values`, sequential or all at once.
      types: [['io.kestra.plugin.core.flow.EachSequential', 'EachSequential', 'io.kestra.core.tasks.flows.EachSequential']],
      properties: (slots) => ({
        value: values().describe('The values to iterate over (deprecated task: use ForEach).'),
        tasks: slots.tasks('The tasks run for each value, one value after the other.'),
        ...flowableHandlers(slots),
      }),
    },
    {
      types: [['io.kestra.plugin.core.flow.EachParallel', 'EachParallel', 'io.kestra.core.tasks.flows.EachParallel']],
      properties: (slots) => ({
        value: values().describe('The values to iterate over (deprecated task: use ForEach).'),
        concurrent: integer('a non-negative integer', 0).default(0).describe('How many values run at once; 0: all of them.'),
        tasks: slots.tasks('The tasks run for each value.'),
        ...flowableHandlers(slots),
      }),
    },
  ],
  model: ({ type, properties, tasks, lists }, common) => {
    const limit = type.endsWith('EachSequential') ? 1 : type.endsWith('EachParallel') ? properties.concurrent : properties.concurrencyLimit;
    return {
      ...common, kind: 'forEach', values: properties.values ?? properties.value, concurrencyLimit: limit as number, tasks, ...handlersOf(lists),
    };
  },
  flowable: async () => (await import('./for-each.ts')).runForEach,
  children: (task) => [...listChildren('tasks', task.tasks), ...handlerChildren(task)],
};
