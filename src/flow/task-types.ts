/**
 * Every task and task runner type name Harrier accepts, derived from the task and runner tables:
 * Kestra's full names, so a Kestra flow runs unchanged, and a short alias for each (the full name
 * down to its last meaningful segments: `shell.Commands`, `dbt.DbtCLI`, `Log`, `PodCreate`,
 * `Docker`, ...).
 */
import { runnerOfType, RUNNERS, type RunnerKind } from '../runners/table.ts';
import type { TaskDescriptor, TaskVariant } from '../tasks/descriptor.ts';
import { TASKS } from '../tasks/table.ts';
import type { TaskDef } from './model.ts';

export interface TaskType {
  descriptor: TaskDescriptor<TaskDef>;
  variant: TaskVariant;
  /** The Kestra name this type stands for (the alias' full name, or itself). */
  canonical: string;
}

const TASK_TYPES = new Map<string, TaskType>(
  TASKS.flatMap((descriptor) => descriptor.variants.flatMap((variant) => variant.types.flatMap(
    (names) => names.map((name) => [name, { descriptor: descriptor as TaskDescriptor<TaskDef>, variant, canonical: names[0] }] as const),
  ))),
);

/** Every accepted task type name, full names and aliases. */
export const TASK_TYPE_NAMES: readonly string[] = [...TASK_TYPES.keys()];

export function lookupTaskType(type: string): TaskType | undefined {
  return TASK_TYPES.get(type);
}

/** Every accepted task runner type name. */
export const RUNNER_TYPE_NAMES: readonly string[] = RUNNERS.flatMap((runner) => runner.types);

export function lookupRunnerType(type: string): RunnerKind | undefined {
  return runnerOfType(type)?.kind;
}

/** The Kestra full name of a task or runner alias, so pluginDefaults keyed by Kestra prefixes match aliases too. */
export function canonicalTypeName(type: string): string | undefined {
  return TASK_TYPES.get(type)?.canonical ?? runnerOfType(type)?.types[0];
}
