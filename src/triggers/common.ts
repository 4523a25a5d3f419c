/** What every Kestra trigger has (Kestra's AbstractTrigger), and the pieces several triggers share. */
import { z } from 'zod';
import {
  anyMap, boolean, expected, identifier, oneOf, string, strictMap,
} from '../flow/schema-kit.ts';
import { ID_PATTERN, LOG_LEVELS } from '../flow/flow-schemas.ts';

/** Kestra's execution states (State.Type), which `stopAfter` and `states` name. */
export const EXECUTION_STATES = [
  'CREATED', 'RUNNING', 'PAUSED', 'RESTARTED', 'KILLING', 'SUCCESS', 'WARNING', 'FAILED', 'KILLED', 'CANCELLED',
  'QUEUED', 'RETRYING', 'RETRIED', 'SKIPPED', 'BREAKPOINT', 'SUBMITTED', 'RESUBMITTED',
] as const;


export function executionStates() {
  return z.array(oneOf(EXECUTION_STATES, (value) => value.toUpperCase()), { error: expected('a list of execution states') });
}

/** A condition is a map with a `type`; Harrier keeps conditions without evaluating them. */
const condition = z.looseObject({ type: string('a condition type (a string)') }, { error: expected('a condition (a map with a type)') });

export function triggerCommon() {
  return {
    id: identifier(ID_PATTERN, 'an id made of letters, digits, _ and - (starting with a letter or digit)'),
    type: string(),
    description: string().optional(),
    conditions: z.array(condition, { error: expected('a list of conditions') }).default([]),
    disabled: boolean().default(false),
    stopAfter: executionStates().optional(),
    workerGroup: anyMap('a worker group map (key, fallback)').optional(),
    logLevel: oneOf(LOG_LEVELS, (value) => value.toUpperCase()).optional(),
    logToFile: boolean().default(false),
    failOnTriggerError: boolean().default(false),
  };
}

export function triggerSchema(properties: z.ZodRawShape) {
  return strictMap({ ...triggerCommon(), ...properties }, 'a trigger map (id, type, ...)');
}

/** `inputs` a trigger passes to the executions it starts. */
export function triggerInputs() {
  return anyMap('a map of input values').optional();
}
