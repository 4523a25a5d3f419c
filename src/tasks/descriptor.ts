/**
 * What Harrier knows about a task type without loading its code: its type names, its properties'
 * schema, how its model is built, its code's loader. The flow checker, the JSON Schema, the task
 * model union and the engine's dispatch all read it from the task table (table.ts).
 */
import type { z } from 'zod';
import type { TaskBase, TaskDef, TaskRunnerDef } from '../flow/model.ts';
import type { PathSegment } from '../flow/yaml-source.ts';
import type { RunnerKind } from '../runners/table.ts';
import type { State } from '../store/index.ts';
import type { TaskContext, TaskOutcome } from './contract.ts';
import type { FlowableContext } from './flowable.ts';

/**
 * Property schemas that the flow checker and the JSON Schema fill differently: the checker
 * dispatches nested tasks and runners on their `type` itself, the JSON Schema puts the real
 * unions there so editors complete everything.
 */
export interface TaskSlots {
  /** A non-empty list of child tasks, which the engine runs (Parallel, Sequential), with its description. */
  tasks(description: string): z.ZodType;
  /** A list of child tasks that may be empty or absent (`else`, `errors`, `finally`). */
  optionalTasks(description: string): z.ZodType;
  /** An optional map of names to non-empty lists of child tasks (Switch's `cases`). */
  taskMap(description: string): z.ZodType;
  /** Dag's list of `{task, dependsOn}` entries. */
  dagTasks(description: string): z.ZodType;
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
  /** The child tasks' models of the `tasks` property ([] when the variant has none). */
  tasks: TaskDef[];
  /** The child tasks' models of every list slot (`tasks`, `optionalTasks`), by property name. */
  lists: Record<string, TaskDef[]>;
  /** The child tasks' models of every `taskMap` slot, by property name then map key. */
  maps: Record<string, Record<string, TaskDef[]>>;
  /** The entries of a `dagTasks` slot. */
  dag: DagEntry[];
  /** The runner, for a variant with a `slots.taskRunner` property. */
  taskRunner?: TaskRunnerDef;
}

export interface DagEntry {
  task: TaskDef;
  dependsOn: string[];
}

export type RunTask<Def> = (task: Def, ctx: TaskContext) => Promise<TaskOutcome>;

/** A flowable task's own part of its run: which children run, in what order; returns their combined state. */
export type RunFlowable<Def> = (task: Def, ctx: FlowableContext) => Promise<State>;

/** A child task inside a flowable, at its path relative to the flowable (`['then', 0]`, `['tasks', 2, 'task']`). */
export interface ChildTask {
  at: PathSegment[];
  task: TaskDef;
}

/** A problem in a task's checked properties, at a path relative to the task. */
export interface TaskProblem {
  path: PathSegment[];
  message: string;
}

export interface TaskDescriptor<Def extends TaskBase & { kind: string }> {
  /** The model's discriminant. */
  kind: Def['kind'];
  variants: readonly TaskVariant[];
  /** The task's model from its checked properties and what every task has. */
  model(parts: TaskParts, common: TaskBase): Def;
  /** The task's code, imported on first use. Flowable tasks have `flowable` instead. */
  load?(): Promise<RunTask<Def>>;
  /** A flowable's scheduling of its children, imported on first use (the engine runs each child). */
  flowable?(): Promise<RunFlowable<Def>>;
  /** Every child task of a flowable (its `errors` and `finally` too), where it sits. */
  children?(task: Def): ChildTask[];
  /** Problems the schema cannot see (a Dag's unknown or cyclic dependencies), from the checked properties. */
  problems?(properties: Record<string, unknown>): TaskProblem[];
  /**
   * Whether an attempt gets its own host folder, created empty and removed after it (default: yes).
   * A task that reads and writes no files says false, sparing the folder's making and removal.
   */
  attemptDir?: boolean;
  /** Whether an attempt interrupted by a crash re-attaches through its resume handle (default: never). */
  reattaches?(task: Def, runnerOverride: RunnerKind | undefined): boolean;
}
