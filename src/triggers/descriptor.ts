/**
 * What Harrier knows about a trigger type: its type names and its properties' schema. Triggers are
 * checked and kept in the flow model; nothing fires them yet (a run of a flow with triggers simply
 * runs the flow), so a descriptor has no code to load.
 */
import type { z } from 'zod';

export interface TriggerDescriptor {
  /** Kestra's full name first, then other names that mean it. */
  types: readonly [string, ...string[]];
  /** The properties after the common ones (id, type, description, conditions, ...). */
  properties(): z.ZodRawShape;
}
