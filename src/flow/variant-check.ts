/**
 * How the flow checker checks one task variant: its schema with the validator's slots, and which
 * properties the checker handles itself (child tasks, the task runner, settings maps).
 */
import { z } from 'zod';
import type { TaskSlots, TaskVariant } from '../tasks/descriptor.ts';
import { dagEntries, handlerList, taskList, taskMap, taskSchema } from './flow-schemas.ts';
import { lazily, MISSING_KEY } from './schema-kit.ts';

/** How a property holds child tasks. */
export type ChildSlotKind = 'list' | 'map' | 'dag';

/**
 * Child tasks and the runner are dispatched on their type by the checker; a settings map is checked
 * with its own schema. Each slot made is remembered, so the checker finds the properties holding them.
 */
const CHILD_SLOTS = new Map<z.ZodType, ChildSlotKind>();
const TASK_RUNNER = new Set<z.ZodType>();
const SETTINGS = new Map<z.ZodType, z.ZodType>();

function childSlot(kind: ChildSlotKind, schema: z.ZodType, description: string): z.ZodType {
  const slot = schema.describe(description);
  CHILD_SLOTS.set(slot, kind);
  return slot;
}

/** The checker walks a Dag entry's task itself; here it must only be there. */
const DAG_TASK = lazily(() => z.unknown().refine((value) => value !== undefined, { error: MISSING_KEY }));

const VALIDATION_SLOTS: TaskSlots = {
  tasks: (description) => childSlot('list', taskList(z.unknown()), description),
  // Kestra reads `defaults: null` as no tasks.
  optionalTasks: (description) => childSlot('list', z.preprocess((value) => value ?? undefined, handlerList(z.unknown())), description),
  taskMap: (description) => childSlot('map', taskMap(z.unknown()).optional(), description),
  dagTasks: (description) => childSlot('dag', dagEntries(DAG_TASK()), description),
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
  /** The properties holding child tasks, and how. */
  children: Array<[string, ChildSlotKind]>;
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
      children: entries.flatMap(([key, slot]) => (CHILD_SLOTS.has(slot) ? [[key, CHILD_SLOTS.get(slot)!] as [string, ChildSlotKind]] : [])),
      runnerKey: entries.find(([, slot]) => TASK_RUNNER.has(slot))?.[0],
      settings: entries.flatMap(([key, slot]) => (SETTINGS.has(slot) ? [[key, SETTINGS.get(slot)!] as [string, z.ZodType]] : [])),
    };
    variantChecks.set(variant, check);
  }
  return check;
}
