/**
 * Zod schemas of the flow format. The nested parts that need dispatch on a `type` (tasks, task
 * runners) or tolerate unrendered expressions (connections, file sidecars) are slots: the validator
 * fills them with `z.unknown()` and checks those parts itself, the JSON Schema fills them with the
 * real schemas so that editors complete everything.
 */
import { z } from 'zod';
import { INPUT_TYPES } from './model.ts';
import {
  anyMap, boolean, duration, either, expected, identifier, integer, isList, isMap, isText, knownName, number, oneOf, string,
  stringList, strictMap, text,
} from './schema-kit.ts';

/** Kestra's patterns (Java's @Pattern matches the whole value). */
export const ID_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_-]*$/;
export const NAMESPACE_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
export const INPUT_ID_PATTERN = /^[a-zA-Z0-9][.a-zA-Z0-9_-]*$/;

const ID_MEANING = 'an id made of letters, digits, _ and - (starting with a letter or digit)';
const NAMESPACE_MEANING = 'a namespace made of lowercase letters, digits, ., _ and - (starting with a letter or digit)';
const INPUT_ID_MEANING = 'an input id made of letters, digits, ., _ and - (starting with a letter or digit)';

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
  maxDuration: duration().optional(),
  warningOnRetry: boolean().default(false),
  behavior: oneOf(['RETRY_FAILED_TASK', 'CREATE_NEW_EXECUTION'], (value) => value.toUpperCase()).default('RETRY_FAILED_TASK'),
}, 'a retry map (type, interval, maxAttempt, ...)').superRefine((retry, context) => {
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
  description: string().optional(),
  required: boolean().default(true),
  defaults: z.unknown().optional(),
  values: stringList().optional(),
  itemType: knownName(INPUT_TYPES, 'input type').optional(),
}, 'an input map (id, type, ...)');

export const pluginDefaultSchema = strictMap({
  type: string(),
  forced: boolean().default(false),
  values: anyMap('a map of property values'),
}, 'a plugin default map (type, forced, values)');

export interface Slots {
  task: z.ZodType;
  input: z.ZodType;
  taskRunner: z.ZodType;
  connection: z.ZodType;
  fileSidecar: z.ZodType;
}

/** A text that holds a file's content; null stands for an empty file, as in Kestra. */
const fileContent = z.preprocess((value) => value ?? '', text('a file content (a string)'));

function inputFiles() {
  return either(
    'a map of file names to contents, or an expression',
    { accepts: isMap, schema: z.record(z.string(), fileContent) },
    { accepts: isText, schema: string() },
  );
}

export function buildSchemas(slots: Slots) {
  const common = {
    id: identifier(ID_PATTERN, ID_MEANING),
    type: string(),
    description: string().optional(),
    retry: retrySchema.optional(),
    timeout: duration().optional(),
    disabled: boolean().default(false),
  };
  const taskList = z.array(slots.task, { error: expected('a list of tasks') }).min(1, { error: 'expected at least one task' });

  const scriptCommon = {
    ...common,
    interpreter: stringList().min(1, { error: 'expected at least one word, like ["/bin/sh", "-c"]' }).default(['/bin/sh', '-c']),
    beforeCommands: stringList().default([]),
    failFast: boolean().default(true),
    env: z.record(z.string(), text(), { error: expected('a map of environment variables to strings') }).default({}),
    inputFiles: inputFiles().optional(),
    outputFiles: stringList().default([]),
    namespaceFiles: strictMap({
      enabled: boolean().default(true),
      include: stringList().default([]),
      exclude: stringList().default([]),
    }, 'a map with enabled, include and exclude').optional(),
    containerImage: string().optional(),
    taskRunner: slots.taskRunner.optional(),
    warningOnStdErr: boolean().default(true),
  };

  const commandsTask = strictMap({ ...scriptCommon, commands: stringList() }, 'a task map');
  const scriptTask = strictMap({ ...scriptCommon, script: string() }, 'a task map');
  const dbtTask = strictMap({
    ...scriptCommon,
    commands: stringList(),
    /** The content of a dbt profiles.yml, written next to the project. */
    profiles: string().optional(),
    projectDir: string().optional(),
  }, 'a task map');
  const logTask = strictMap({
    ...common,
    message: either('a string or a list of strings', { accepts: isText, schema: string() }, { accepts: isList, schema: stringList() }),
    level: oneOf(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'], (value) => value.toUpperCase()).default('INFO'),
  }, 'a task map');
  const outputValuesTask = strictMap({ ...common, values: anyMap('a map of output names to values') }, 'a task map');
  const parallelTask = strictMap({
    ...common,
    tasks: taskList,
    concurrent: integer('a non-negative integer', 0).default(0),
  }, 'a task map');
  const sequentialTask = strictMap({ ...common, tasks: taskList }, 'a task map');
  const podCreateTask = strictMap({
    ...common,
    namespace: string().default('default'),
    metadata: anyMap('a metadata map (name, labels, annotations)').default({}),
    spec: anyMap('a pod spec map'),
    inputFiles: inputFiles().optional(),
    outputFiles: stringList().default([]),
    connection: slots.connection.optional(),
    waitUntilRunning: duration().default('PT10M'),
    waitRunning: duration().default('PT1H'),
    delete: boolean().default(true),
    resume: boolean().default(true),
    fileSidecar: slots.fileSidecar.optional(),
    containerDefaultSpec: anyMap('a container spec map').optional(),
    waitForLogInterval: duration().default('PT30S'),
  }, 'a task map');

  const labels = either(
    'a map of label names to values',
    { accepts: isMap, schema: z.record(z.string(), text()) },
    { accepts: isList, schema: z.array(strictMap({ key: string(), value: text() }, 'a label map (key, value)')) },
  );

  const flow = strictMap({
    id: identifier(ID_PATTERN, ID_MEANING),
    namespace: identifier(NAMESPACE_PATTERN, NAMESPACE_MEANING),
    description: string().optional(),
    labels: labels.default({}),
    inputs: z.array(slots.input, { error: expected('a list of inputs') }).default([]),
    variables: anyMap('a map of variables').default({}),
    tasks: taskList,
    pluginDefaults: z.array(pluginDefaultSchema, { error: expected('a list of plugin defaults') }).default([]),
    retry: retrySchema.optional(),
  }, 'a flow map (id, namespace, tasks, ...)');

  return {
    flow,
    tasks: {
      commands: commandsTask,
      script: scriptTask,
      dbt: dbtTask,
      log: logTask,
      outputValues: outputValuesTask,
      parallel: parallelTask,
      sequential: sequentialTask,
      podCreate: podCreateTask,
    },
  };
}

/** The schemas the validator runs: typed parts fully checked, slots left to the validator. */
export const validationSchemas = buildSchemas({
  task: z.unknown(),
  input: z.unknown(),
  taskRunner: z.unknown(),
  connection: z.unknown(),
  fileSidecar: z.unknown(),
});
