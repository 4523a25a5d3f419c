import { inputFiles } from '../../flow/flow-schemas.ts';
import type { NamespaceFilesDef, TaskDef } from '../../flow/model.ts';
import { duration, strictMap, stringList } from '../../flow/schema-kit.ts';
import type { TaskDescriptor } from '../descriptor.ts';
import { flowableHandlers, handlerChildren, handlersOf, listChildren, type FlowableBase } from '../flowable.ts';
import { namespaceFilesSchema } from '../script/schema.ts';

/** Runs its tasks one after the other in one working directory that they share. */
export interface WorkingDirectoryTask extends FlowableBase {
  kind: 'workingDirectory';
  tasks: TaskDef[];
  inputFiles: Record<string, string> | string;
  outputFiles: string[];
  namespaceFiles?: NamespaceFilesDef;
  /** Accepted as Kestra writes it; Harrier does not cache the folder between executions (a warning says so). */
  cache?: { patterns: string[]; ttl?: string };
}

export const workingDirectoryTask: TaskDescriptor<WorkingDirectoryTask> = {
  kind: 'workingDirectory',
  variants: [{
    types: [['io.kestra.plugin.core.flow.WorkingDirectory', 'WorkingDirectory', 'io.kestra.core.tasks.flows.WorkingDirectory', 'io.kestra.core.tasks.flows.Worker']],
    properties: (slots) => ({
      tasks: slots.tasks('The tasks, run one after the other in the shared working directory.'),
      inputFiles: inputFiles().optional().describe('Files written into the shared directory before the tasks: name to content or kestra:// URI.'),
      outputFiles: stringList().default([]).describe('Globs of files of the shared directory kept in storage when the tasks end (outputs.<id>.outputFiles).'),
      namespaceFiles: namespaceFilesSchema().describe('Namespace files copied into the shared directory before the tasks.'),
      cache: strictMap({
        patterns: stringList().describe('Globs of the files to cache.'),
        ttl: duration().optional().describe('How long the cache is kept.'),
      }, 'a cache map (patterns, ttl)').optional().describe("Kestra's cache of the folder between executions; accepted, not implemented by Harrier."),
      ...flowableHandlers(slots),
    }),
  }],
  model: ({ properties, tasks, lists }, common) => ({
    ...common,
    kind: 'workingDirectory',
    tasks,
    inputFiles: (properties.inputFiles as WorkingDirectoryTask['inputFiles'] | undefined) ?? {},
    outputFiles: properties.outputFiles as string[],
    namespaceFiles: properties.namespaceFiles as NamespaceFilesDef | undefined,
    cache: properties.cache as WorkingDirectoryTask['cache'],
    ...handlersOf(lists),
  }),
  flowable: async () => (await import('./working-directory.ts')).runWorkingDirectory,
  children: (task) => [...listChildren('tasks', task.tasks), ...handlerChildren(task)],
};
