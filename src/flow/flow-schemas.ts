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
  anyMap, boolean, duration, either, expected, identifier, integer, isList, isMap, isText, knownName, lazily, MISSING_KEY, number, oneOf, string,
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

export const retrySchema = lazily(() => strictMap({
  type: oneOf(RETRY_TYPES, 'any case').describe('How the wait between attempts is chosen: constant (interval), exponential (interval growing by delayFactor up to maxInterval) or random (between minInterval and maxInterval).'),
  interval: duration().optional().describe('The wait between attempts (constant), or the first wait (exponential), as an ISO-8601 duration like PT30S.'),
  maxInterval: duration().optional().describe('The longest wait between attempts (exponential, random), as an ISO-8601 duration like PT5M.'),
  minInterval: duration().optional().describe('The shortest wait between attempts (random), as an ISO-8601 duration like PT10S.'),
  delayFactor: number().optional().describe('Each wait of an exponential retry is the previous one times this factor (default 2).'),
  maxAttempt: integer('an integer', 1).optional().describe('How many attempts in all, the first one included.'),
  maxAttempts: integer('an integer', 1).optional().describe('The same as maxAttempt (the spelling Kestra\'s documentation often uses); give only one.'),
  maxDuration: duration().optional().describe('No new attempt starts once this long has passed since the first one (an ISO-8601 duration like PT1H).'),
  warningOnRetry: boolean().default(false).describe('End in WARNING rather than SUCCESS when an attempt other than the first succeeded.'),
  behavior: oneOf(['RETRY_FAILED_TASK', 'CREATE_NEW_EXECUTION'], 'any case').default('RETRY_FAILED_TASK')
    .describe('RETRY_FAILED_TASK runs the failed task again in the same execution; CREATE_NEW_EXECUTION ends the execution RETRIED and runs the whole flow again.'),
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
}));

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

export const inputSchema = lazily(() => strictMap({
  id: identifier(INPUT_ID_PATTERN, INPUT_ID_MEANING).optional().describe('The input\'s name: `{{ inputs.<id> }}` in expressions, `--input <id>=value` on the command line.'),
  name: identifier(INPUT_ID_PATTERN, INPUT_ID_MEANING).optional().describe('Kestra\'s deprecated spelling of id.'),
  type: knownName(INPUT_TYPES, 'input type').describe('The value\'s type: STRING, INT, FLOAT, BOOLEAN, DATETIME, DATE, TIME, DURATION, JSON, YAML, URI, FILE, SECRET, ENUM, SELECT, MULTISELECT, ARRAY, ...'),
  displayName: string().optional().describe('A human-friendly name for the input.'),
  description: string().optional().describe('What the input is for.'),
  required: boolean().default(true).describe('Whether a run without this input (and without defaults) is refused.'),
  defaults: z.unknown().optional().describe('The value when none is given (not allowed for a FILE input).'),
  values: stringList().optional().describe('The allowed values of an ENUM, SELECT or MULTISELECT input.'),
  itemType: knownName(INPUT_TYPES, 'input type').optional().describe('The type of each item of an ARRAY input.'),
}, 'an input map (id, type, ...)'));

/** A flow output: rendered once the execution's tasks are done, into the execution's outputs. */
export const flowOutputSchema = lazily(() => strictMap({
  id: identifier(INPUT_ID_PATTERN, INPUT_ID_MEANING).describe('The output\'s name in the execution\'s outputs.'),
  type: knownName(INPUT_TYPES, 'output type').describe('The value\'s type, as for inputs (STRING, INT, JSON, FILE, ...).'),
  value: z.unknown().refine((value) => value !== undefined, { error: MISSING_KEY })
    .describe('The value, usually an expression such as "{{ outputs.task.vars.x }}", rendered when the tasks are done.'),
  displayName: string().optional().describe('A human-friendly name for the output.'),
  description: string().optional().describe('What the output holds.'),
  required: boolean().default(true).describe('Whether an output that renders empty fails the execution.'),
}, 'an output map (id, type, value)'));

export const pluginDefaultSchema = lazily(() => strictMap({
  type: string().describe('The task or task runner type these defaults apply to, e.g. io.kestra.plugin.scripts.shell.Commands, or a prefix such as io.kestra.plugin.scripts.'),
  forced: boolean().default(false).describe('When true, these values replace the task\'s own; otherwise the task\'s own values win.'),
  values: anyMap('a map of property values').describe('Property values given to every matching task, e.g. {containerImage: python:3.12}.'),
}, 'a plugin default map (type, forced, values)'));

export interface Slots {
  /** The flow's list of tasks (`taskList` of some task schema). */
  tasks: z.ZodType;
  /** `errors`, `finally`, `afterExecution`: lists of tasks that may be empty. */
  handlers: z.ZodType;
  input: z.ZodType;
  trigger: z.ZodType;
}

/** A text that holds a file's content; null stands for an empty file, as in Kestra. */
const fileContent = lazily(() => z.preprocess((value) => value ?? '', text('a file content (a string)')).describe('The file\'s content; expressions are rendered.'));

/** `inputFiles`: file name → content, or an expression rendering to such a map. */
export function inputFiles() {
  return either(
    'a map of file names to contents, or an expression',
    { accepts: isMap, schema: z.record(z.string(), fileContent()) },
    { accepts: isText, schema: string().describe('An expression that renders to a map of file names to contents.') },
  ).describe('Files written into the working directory before the task runs: file name → content (a kestra:/// URI copies a stored file), or an expression that renders to such a map.');
}

/** The properties every task has, first in every task's schema. */
export function taskCommon() {
  return {
    id: identifier(ID_PATTERN, ID_MEANING).describe('The task\'s id, unique in the flow: `{{ outputs.<id>... }}` in expressions.'),
    type: string().describe('The task type, e.g. io.kestra.plugin.scripts.shell.Commands.'),
    description: string().optional().describe('What the task does.'),
    retry: retrySchema().optional().describe('How a failed attempt is tried again (type, interval, maxAttempt, ...); the flow\'s retry when absent.'),
    timeout: duration().optional().describe('The longest an attempt may run (an ISO-8601 duration like PT10M); past it the attempt is killed and fails.'),
    disabled: boolean().default(false).describe('A disabled task is skipped, as if it were not in the flow.'),
    allowFailure: boolean().default(false).describe('A failure makes the execution WARNING instead of FAILED, and the next tasks run.'),
    allowWarning: boolean().default(false).describe('A WARNING of this task counts as SUCCESS.'),
    runIf: text().default('true').describe('An expression; when it renders false, 0, empty or null, the task is SKIPPED. Example: "{{ inputs.deploy }}".'),
    logLevel: oneOf(LOG_LEVELS, 'any case').optional().describe('The lowest level of this task\'s log lines that is kept (ERROR, WARN, INFO, DEBUG, TRACE).'),
    logToFile: boolean().default(false).describe('Accepted for Kestra flows; Harrier keeps the logs in its store as usual.'),
    workerGroup: anyMap('a worker group map (key, fallback)').optional().describe('Kestra Enterprise\'s worker group; not supported by Harrier.'),
  };
}

export function taskList(task: z.ZodType) {
  return z.array(task, { error: expected('a list of tasks') }).min(1, { error: 'expected at least one task' });
}

/** One entry of a Dag's `tasks`: the task and the ids it waits for. */
export function dagEntry(task: z.ZodType) {
  return strictMap({
    task: task.describe('The task this entry runs once its dependencies succeeded.'),
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
    { accepts: isList, schema: z.array(strictMap({
      key: string().describe('The label\'s name.'),
      value: text().describe('The label\'s value.'),
    }, 'a label map (key, value)')) },
  );

  return strictMap({
    id: identifier(ID_PATTERN, ID_MEANING).describe('The flow\'s id, unique in its namespace. Example: hello_world.'),
    namespace: identifier(NAMESPACE_PATTERN, NAMESPACE_MEANING).describe('The flow\'s namespace, dot-separated. Example: company.team.'),
    description: string().optional().describe('What the flow does (Markdown).'),
    labels: labels.default({}).describe('Labels of every execution of the flow: a map of names to values, or a list of {key, value}.'),
    inputs: z.array(slots.input, { error: expected('a list of inputs') }).default([]).describe('Values given when the flow runs (`--input id=value`), read as `{{ inputs.<id> }}`.'),
    variables: anyMap('a map of variables').default({}).describe('Values read as `{{ vars.<name> }}`; they may hold expressions.'),
    tasks: slots.tasks.describe('The tasks, run one after the other.'),
    errors: slots.handlers.describe('Tasks run when the tasks failed; the execution stays FAILED.'),
    finally: slots.handlers.describe('Tasks run after the tasks (and errors) whatever their end; a failure here fails a successful execution.'),
    afterExecution: slots.handlers.describe('Tasks run once the execution\'s state is known; they do not change it.'),
    outputs: z.array(flowOutputSchema(), { error: expected('a list of outputs') }).default([]).describe('The flow\'s outputs, rendered when its tasks are done and stored on the execution.'),
    pluginDefaults: z.array(pluginDefaultSchema(), { error: expected('a list of plugin defaults') }).default([])
      .describe('Property values for every task or task runner of a type (type, values, forced).'),
    taskDefaults: z.array(pluginDefaultSchema(), { error: expected('a list of plugin defaults') }).default([]).describe('Kestra\'s former name of pluginDefaults.'),
    retry: retrySchema().optional().describe('The retry of every task that has none of its own.'),
    triggers: z.array(slots.trigger, { error: expected('a list of triggers') }).default([]).describe('What starts the flow (Schedule, Flow, Webhook, ...): validated and kept; Harrier does not run triggers yet.'),
  }, 'a flow map (id, namespace, tasks, ...)');
}

/** The flow schema the validator runs: tasks and inputs are left to the validator. */
export const flowValidationSchema = lazily(() => buildFlowSchema({ tasks: taskList(z.unknown()), handlers: handlerList(z.unknown()), input: z.unknown(), trigger: z.unknown() }));
