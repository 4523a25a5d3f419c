/**
 * Every task type, declared once. A new task type is a folder with its code and a descriptor.ts
 * (see descriptor.ts), plus its line here: the flow checker, the JSON Schema, the task model
 * union (TaskDef) and the engine's dispatch derive from this list.
 */
import { gcpTask } from './gcp/descriptor.ts';
import { httpTask } from './http/descriptor.ts';
import { logTask } from './log/descriptor.ts';
import { outputValuesTask } from './output-values/descriptor.ts';
import { parallelTask } from './parallel/descriptor.ts';
import { podCreateTask } from './pod-create/descriptor.ts';
import { scriptTask } from './script/descriptor.ts';
import { sequentialTask } from './sequential/descriptor.ts';

export const TASKS = [scriptTask, logTask, outputValuesTask, parallelTask, sequentialTask, podCreateTask, httpTask, gcpTask] as const;
