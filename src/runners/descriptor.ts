/**
 * What Harrier knows about a task runner without loading its code: the flow checker, the JSON
 * Schema, `--task-runner`, the registry and the store all read it from here (see table.ts).
 */
import type { z } from 'zod';
import type { TaskRunner } from './contract.ts';

export interface RunnerDescriptor<Kind extends string = string> {
  /** The short name: `--task-runner` takes it, attempts record it. */
  kind: Kind;
  /** Accepted `taskRunner.type` names: Kestra's full name first, then other names that mean it. */
  types: readonly [string, ...string[]];
  /** The properties as a flow writes them, for the editor's JSON Schema. */
  properties(): z.ZodObject;
  /**
   * The properties as the runner reads them (defaults applied, durations in milliseconds); the
   * flow checker runs it on the unrendered properties too.
   */
  schema(): z.ZodType;
  /** Whether a saved resume handle lets a new harrier process re-attach to running work. */
  reattaches: boolean;
  /**
   * The runner's code, imported on first use: a flow of local processes never loads the Docker or
   * Kubernetes client libraries. A descriptor and its schema import nothing but zod, and build their schemas on first use.
   */
  load(): Promise<TaskRunner>;
}

/** Keeps `kind` a literal type, so the runner table yields the `RunnerKind` union. */
export function defineRunner<const Kind extends string>(descriptor: RunnerDescriptor<Kind>): RunnerDescriptor<Kind> {
  return descriptor;
}
