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
  return z.array(oneOf(EXECUTION_STATES, 'any case'), { error: expected('a list of execution states') });
}

/** A condition is a map with a `type`; Harrier keeps conditions without evaluating them. */
const condition = z.looseObject({ type: string('a condition type (a string)').describe('The condition type, e.g. io.kestra.plugin.core.condition.ExecutionStatus.') }, { error: expected('a condition (a map with a type)') });

export function triggerCommon() {
  return {
    id: identifier(ID_PATTERN, 'an id made of letters, digits, _ and - (starting with a letter or digit)').describe('The trigger\'s id, unique in the flow.'),
    type: string().describe('The trigger type, e.g. io.kestra.plugin.core.trigger.Schedule.'),
    description: string().optional().describe('What the trigger is for.'),
    conditions: z.array(condition, { error: expected('a list of conditions') }).default([]).describe('Conditions that must hold for the trigger to start an execution (kept, not evaluated by Harrier).'),
    disabled: boolean().default(false).describe('A disabled trigger starts nothing.'),
    stopAfter: executionStates().optional().describe('Disable the trigger once an execution it started ends in one of these states. Example: [FAILED].'),
    workerGroup: anyMap('a worker group map (key, fallback)').optional().describe('Kestra Enterprise\'s worker group; not supported by Harrier.'),
    logLevel: oneOf(LOG_LEVELS, 'any case').optional().describe('The lowest level of the trigger\'s log lines that is kept.'),
    logToFile: boolean().default(false).describe('Accepted for Kestra flows; logs are kept in the store.'),
    failOnTriggerError: boolean().default(false).describe('Create a FAILED execution when the trigger itself fails to evaluate.'),
  };
}

export function triggerSchema(properties: z.ZodRawShape) {
  return strictMap({ ...triggerCommon(), ...properties }, 'a trigger map (id, type, ...)');
}

/** `inputs` a trigger passes to the executions it starts. */
export function triggerInputs() {
  return anyMap('a map of input values').optional().describe('Input values of the executions the trigger starts. Example: {env: prod}.');
}
