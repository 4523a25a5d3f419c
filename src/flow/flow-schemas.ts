/**
 * Zod schemas of the flow format: the flow map, retries, inputs, pluginDefaults, and what every
 * task has; each task type's own properties are in its folder (src/tasks). The parts that need
 * dispatch on a `type` (tasks, task runners) or tolerate unrendered expressions are slots: the
 * validator fills them with `z.unknown()` and checks those parts itself, the JSON Schema fills
 * them with the real schemas so that editors complete everything.
 */
import { z } from 'zod';
import type { TaskSlots, TaskVariant } from '../tasks/descriptor.ts';
import { INPUT_TYPES } from './model.ts';
import {
  anyMap, boolean, duration, either, expected, identifier, integer, isList, isMap, isText, knownName, MISSING_KEY, number, oneOf, string,
  strictMap, stringList, text,
} from './schema-kit.ts';

/** Kestra's patterns (Java's @Pattern matches the whole value). */
export const ID_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_-]*$/;
export const NAMESPACE_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
export const INPUT_ID_PATTERN = /^[a-zA-Z0-9][.a-zA-Z0-9_-]*$/;

const ID_MEANING = 'an id made of letters, digits, _ and - (starting with a letter or digit)';
const NAMESPACE_MEANING = 'a namespace made of lowercase letters, digits, ., _ and - (starting with a letter or digit)';
const INPUT_ID_MEANING = 'an input id made of letters, digits, ., _ and - (starting with a letter or digit)';

export const LOG_LEVELS = ['ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE'] as const;

export const RETRY_TYPES = ['constant', 'exponential', 'random'] as const;

/** Which optional retry fields each retry type reads, and which it cannot do without. */
export const RETRY_FIELDS: Record<(typeof RETRY_TYPES)[number], { required: string[]; allowed: string[] }> = {
  constant: { required: ['interval'], allowed: ['interval'] },
  exponential: { required: ['interval', 'maxInterval'], allowed: ['interval', 'maxInterval', 'delayFactor'] },
  random: { required: ['minInterval', 'maxInterval'], allowed: ['minInterval', 'maxInterval'] },
};
const PER_TYPE_FIELDS = ['interval', 'maxInterval', 'minInterval', 'delayFactor'];

export const retrySchema = strictMap({
  type: oneOf(RETRY_TYPES, (value) => value.toLowerCase()),
  interval: duration().optional(),
  maxInterval: duration().optional(),
  minInterval: duration().optional(),
  delayFactor: number().optional(),
  maxAttempt: integer('an integer', 1).optional(),
  /** The spelling Kestra's documentation often uses; means maxAttempt. */
  maxAttempts: integer('an integer', 1).optional(),
  maxDuration: duration().optional(),
  warningOnRetry: boolean().default(false),
  behavior: oneOf(['RETRY_FAILED_TASK', 'CREATE_NEW_EXECUTION'], (value) => value.toUpperCase()).default('RETRY_FAILED_TASK'),
}, 'a retry map (type, interval, maxAttempt, ...)').superRefine((retry, context) => {
  if (retry.maxAttempt !== undefined && retry.maxAttempts !== undefined) {
    context.addIssue({ code: 'custom', path: ['maxAttempts'], message: `'maxAttempts' and 'maxAttempt' mean the same: give only one` });
  }
  const fields = RETRY_FIELDS[retry.type];
  const record = retry as Record<string, unknown>;
  for (const name of fields.required) {
    if (record[name] === undefined) context.addIssue({ code: 'custom', path: [], message: `${article(retry.type)} ${retry.type} retry needs '${name}'` });
  }
  for (const name of PER_TYPE_FIELDS) {
    if (record[name] !== undefined && !fields.allowed.includes(name)) {
      context.addIssue({ code: 'custom', path: [name], message: `'${name}' does not apply to ${article(retry.type)} ${retry.type} retry (it uses ${fields.allowed.join(', ')})` });
    }
  }
});

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

export const inputSchema = strictMap({
  id: identifier(INPUT_ID_PATTERN, INPUT_ID_MEANING).optional(),
  /** Kestra's deprecated spelling of `id`. */
  name: identifier(INPUT_ID_PATTERN, INPUT_ID_MEANING).optional(),
  type: knownName(INPUT_TYPES, 'input type'),
  displayName: string().optional(),
  description: string().optional(),
  required: boolean().default(true),
  defaults: z.unknown().optional(),
  values: stringList().optional(),
  itemType: knownName(INPUT_TYPES, 'input type').optional(),
}, 'an input map (id, type, ...)');

/** A flow output: rendered once the execution's tasks are done, into the execution's outputs. */
export const flowOutputSchema = strictMap({
  id: identifier(INPUT_ID_PATTERN, INPUT_ID_MEANING),
  type: knownName(INPUT_TYPES, 'output type'),
  value: z.unknown().refine((value) => value !== undefined, { error: MISSING_KEY }),
  displayName: string().optional(),
  description: string().optional(),
  required: boolean().default(true),
}, 'an output map (id, type, value)');

export const pluginDefaultSchema = strictMap({
  type: string(),
  forced: boolean().default(false),
  values: anyMap('a map of property values'),
}, 'a plugin default map (type, forced, values)');

export interface Slots {
  /** The flow's list of tasks (`taskList` of some task schema). */
  tasks: z.ZodType;
  /** `errors`, `finally`, `afterExecution`: lists of tasks that may be empty. */
  handlers: z.ZodType;
  input: z.ZodType;
  trigger: z.ZodType;
}

/** A text that holds a file's content; null stands for an empty file, as in Kestra. */
const fileContent = z.preprocess((value) => value ?? '', text('a file content (a string)'));

/** `inputFiles`: file name → content, or an expression rendering to such a map. */
export function inputFiles() {
  return either(
    'a map of file names to contents, or an expression',
    { accepts: isMap, schema: z.record(z.string(), fileContent) },
    { accepts: isText, schema: string() },
  );
}

/** The properties every task has, first in every task's schema. */
export function taskCommon() {
  return {
    id: identifier(ID_PATTERN, ID_MEANING),
    type: string(),
    description: string().optional(),
    retry: retrySchema.optional(),
    timeout: duration().optional(),
    disabled: boolean().default(false),
    /** A failure makes the execution WARNING instead of FAILED, and the next tasks run. */
    allowFailure: boolean().default(false),
    /** A WARNING of this task counts as SUCCESS. */
    allowWarning: boolean().default(false),
    /** An expression; when it renders false the task is SKIPPED. */
    runIf: text().default('true'),
    logLevel: oneOf(LOG_LEVELS, (value) => value.toUpperCase()).optional(),
    /** Accepted; the logs are kept in the store as usual. */
    logToFile: boolean().default(false),
    workerGroup: anyMap('a worker group map (key, fallback)').optional(),
  };
}

export function taskList(task: z.ZodType) {
  return z.array(task, { error: expected('a list of tasks') }).min(1, { error: 'expected at least one task' });
}

/** One entry of a Dag's `tasks`: the task and the ids it waits for. */
export function dagEntry(task: z.ZodType) {
  return strictMap({
    task: task.describe('The task.'),
    dependsOn: stringList('a list of task ids').optional().describe('Ids of the tasks of this Dag that must succeed before this one starts.'),
  }, 'a Dag entry (a map with task and dependsOn)');
}

export function dagEntries(task: z.ZodType) {
  return z.array(dagEntry(task), { error: expected('a list of Dag entries ({task, dependsOn})') }).min(1, { error: 'expected at least one task' });
}

export function taskMap(task: z.ZodType) {
  return z.record(z.string(), taskList(task), { error: expected('a map of names to lists of tasks') });
}

export function handlerList(task: z.ZodType) {
  return z.array(task, { error: expected('a list of tasks') }).default([]);
}

/** The schema of a task variant: the common properties, then the variant's own. */
export function taskSchema(variant: TaskVariant, slots: TaskSlots) {
  return strictMap({ ...taskCommon(), ...variant.properties(slots) }, 'a task map');
}

export function buildFlowSchema(slots: Slots) {
  const labels = either(
    'a map of label names to values',
    { accepts: isMap, schema: z.record(z.string(), text()) },
    { accepts: isList, schema: z.array(strictMap({ key: string(), value: text() }, 'a label map (key, value)')) },
  );

  return strictMap({
    id: identifier(ID_PATTERN, ID_MEANING),
    namespace: identifier(NAMESPACE_PATTERN, NAMESPACE_MEANING),
    description: string().optional(),
    labels: labels.default({}),
    inputs: z.array(slots.input, { error: expected('a list of inputs') }).default([]),
    variables: anyMap('a map of variables').default({}),
    tasks: slots.tasks,
    /** Run when the tasks failed; the execution stays FAILED. */
    errors: slots.handlers,
    /** Run after the tasks (and errors) whatever their end. */
    finally: slots.handlers,
    /** Run once the execution's state is known; they do not change it. */
    afterExecution: slots.handlers,
    outputs: z.array(flowOutputSchema, { error: expected('a list of outputs') }).default([]),
    pluginDefaults: z.array(pluginDefaultSchema, { error: expected('a list of plugin defaults') }).default([]),
    /** Kestra's former name of pluginDefaults. */
    taskDefaults: z.array(pluginDefaultSchema, { error: expected('a list of plugin defaults') }).default([]),
    retry: retrySchema.optional(),
    triggers: z.array(slots.trigger, { error: expected('a list of triggers') }).default([]),
  }, 'a flow map (id, namespace, tasks, ...)');
}

/** The flow schema the validator runs: tasks and inputs are left to the validator. */
export const flowValidationSchema = buildFlowSchema({ tasks: taskList(z.unknown()), handlers: handlerList(z.unknown()), input: z.unknown(), trigger: z.unknown() });
