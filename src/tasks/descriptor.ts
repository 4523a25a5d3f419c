/**
 * What Harrier knows about a task type without loading its code: its type names, its properties'
 * schema, how its model is built, its code's loader. The flow checker, the JSON Schema, the task
 * model union and the engine's dispatch all read it from the task table (table.ts).
 */
import type { z } from 'zod';
import type { TaskBase, TaskDef, TaskRunnerDef } from '../flow/model.ts';
import type { RunnerKind } from '../runners/table.ts';
import type { TaskContext, TaskOutcome } from './contract.ts';

/**
 * Property schemas that the flow checker and the JSON Schema fill differently: the checker
 * dispatches nested tasks and runners on their `type` itself, the JSON Schema puts the real
 * unions there so editors complete everything.
 */
export interface TaskSlots {
  /** A non-empty list of child tasks, which the engine runs (Parallel, Sequential). */
  tasks(description: string): z.ZodType;
  /** The optional `taskRunner` a task's commands run through. */
  taskRunner(description: string): z.ZodType;
  /**
   * An optional map of settings that may hold unrendered expressions at any depth (a Kubernetes
   * connection): checked at parse time wherever no expression stands, parsed again once rendered.
   */
  settings(schema: z.ZodType, description: string): z.ZodType;
}

export interface TaskVariant {
  /** Each type this variant accepts: Kestra's full name first, then other names that mean it. */
  types: ReadonlyArray<readonly [string, ...string[]]>;
  /**
   * The properties after the common ones (id, type, description, retry, timeout, disabled), in the
   * order an unknown-key message lists them.
   */
  properties(slots: TaskSlots): z.ZodRawShape;
}

export interface TaskParts {
  /** Kestra's full name of the task's type. */
  type: string;
  /** The properties, checked by the variant's schema (defaults applied, expressions unrendered). */
  properties: Record<string, unknown>;
  /** The task map as written, pluginDefaults applied. */
  raw: Record<string, unknown>;
  /** The child tasks' models, for a variant with a `slots.tasks` property. */
  tasks: TaskDef[];
  /** The runner, for a variant with a `slots.taskRunner` property. */
  taskRunner?: TaskRunnerDef;
}

export type RunTask<Def> = (task: Def, ctx: TaskContext) => Promise<TaskOutcome>;

export interface TaskDescriptor<Def extends TaskBase & { kind: string }> {
  /** The model's discriminant. */
  kind: Def['kind'];
  variants: readonly TaskVariant[];
  /** The task's model from its checked properties and what every task has. */
  model(parts: TaskParts, common: TaskBase): Def;
  /** The task's code, imported on first use. Flowable tasks have none: the engine runs their children. */
  load?(): Promise<RunTask<Def>>;
  /** Whether an attempt interrupted by a crash re-attaches through its resume handle (default: never). */
  reattaches?(task: Def, runnerOverride: RunnerKind | undefined): boolean;
}
