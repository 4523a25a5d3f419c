/**
 * How the flow checker checks one task variant: its schema with the validator's slots, and which
 * properties the checker handles itself (child tasks, the task runner, settings maps).
 */
import { z } from 'zod';
import type { TaskSlots, TaskVariant } from '../tasks/descriptor.ts';
import { taskList, taskSchema } from './flow-schemas.ts';

/** Child tasks and the runner are dispatched on their type by the checker; a settings map is checked with its own schema. */
const CHILD_TASKS = new Set<z.ZodType>();
const TASK_RUNNER = new Set<z.ZodType>();
const SETTINGS = new Map<z.ZodType, z.ZodType>();
const VALIDATION_SLOTS: TaskSlots = {
  tasks: () => {
    const slot = taskList(z.unknown());
    CHILD_TASKS.add(slot);
    return slot;
  },
  taskRunner: () => {
    const slot = z.unknown().optional();
    TASK_RUNNER.add(slot);
    return slot;
  },
  settings: (schema) => {
    const slot = z.unknown().optional();
    SETTINGS.set(slot, schema);
    return slot;
  },
};

export interface VariantCheck {
  schema: z.ZodObject;
  /** The property holding child tasks, if any. */
  childrenKey?: string;
  /** The property holding the task runner, if any. */
  runnerKey?: string;
  settings: Array<[string, z.ZodType]>;
}

const variantChecks = new WeakMap<TaskVariant, VariantCheck>();

export function variantCheck(variant: TaskVariant): VariantCheck {
  let check = variantChecks.get(variant);
  if (!check) {
    const schema = taskSchema(variant, VALIDATION_SLOTS);
    const entries = Object.entries(schema.shape) as Array<[string, z.ZodType]>;
    check = {
      schema,
      childrenKey: entries.find(([, slot]) => CHILD_TASKS.has(slot))?.[0],
      runnerKey: entries.find(([, slot]) => TASK_RUNNER.has(slot))?.[0],
      settings: entries.flatMap(([key, slot]) => (SETTINGS.has(slot) ? [[key, SETTINGS.get(slot)!] as [string, z.ZodType]] : [])),
    };
    variantChecks.set(variant, check);
  }
  return check;
}
