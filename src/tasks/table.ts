/**
 * Every task type, declared once. A new task type is a folder with its code and a descriptor.ts
 * (see descriptor.ts), plus its line here: the flow checker, the JSON Schema, the task model
 * union (TaskDef) and the engine's dispatch derive from this list.
 */
import { dagTask } from './dag/descriptor.ts';
import { failTask } from './fail/descriptor.ts';
import { forEachTask } from './for-each/descriptor.ts';
import { ifTask } from './if/descriptor.ts';
import { gcpTask } from './gcp/descriptor.ts';
import { httpTask } from './http/descriptor.ts';
import { logTask } from './log/descriptor.ts';
import { outputValuesTask } from './output-values/descriptor.ts';
import { parallelTask } from './parallel/descriptor.ts';
import { podCreateTask } from './pod-create/descriptor.ts';
import { scriptTask } from './script/descriptor.ts';
import { sequentialTask } from './sequential/descriptor.ts';
import { sleepTask } from './sleep/descriptor.ts';
import { subflowTask } from './subflow/descriptor.ts';
import { switchTask } from './switch/descriptor.ts';
import { workingDirectoryTask } from './working-directory/descriptor.ts';

export const TASKS = [
  scriptTask, logTask, outputValuesTask, parallelTask, sequentialTask, podCreateTask, httpTask, gcpTask,
  forEachTask, ifTask, switchTask, dagTask, workingDirectoryTask, subflowTask, failTask, sleepTask,
] as const;
