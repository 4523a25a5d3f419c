/**
 * The JSON Schema of the flow format, generated from the validation schemas, for editors (the YAML
 * language server): tasks and task runners are unions discriminated by `type`.
 */
import { z } from 'zod';
import { RUNNERS } from '../runners/table.ts';
import type { TaskSlots } from '../tasks/descriptor.ts';
import { TASKS } from '../tasks/table.ts';
import { buildFlowSchema, dagEntries, handlerList, inputSchema, taskList, taskMap, taskSchema } from './flow-schemas.ts';
import { eitherAlternatives, oneOfWords, type Spelling } from './schema-kit.ts';
import { triggerSchema } from '../triggers/common.ts';
import { TRIGGERS } from '../triggers/table.ts';

/** The `type` of a variant: its names, Kestra's full one first. */
function typeNames(names: readonly string[], kind: string) {
  const same = names.length > 1 ? ` ${names.join(', ')} all name the same ${kind}.` : '';
  return z.enum(names as [string, ...string[]]).describe(`The ${kind} type.${same}`);
}

export function flowJsonSchema(): object {
  const taskRunner = z.discriminatedUnion('type', RUNNERS.map(
    (runner) => runner.properties().extend({ type: typeNames(runner.types, 'task runner') }),
  ) as unknown as [z.ZodObject, ...z.ZodObject[]]).meta({ id: 'taskRunner', description: 'Where the task\'s commands run.' });

  const task: z.ZodType = z.lazy(() => taskUnion);
  const tasks = taskList(task);
  const settings = new Set<z.ZodType>();
  const slots: TaskSlots = {
    tasks: (description) => tasks.describe(description),
    optionalTasks: (description) => handlerList(task).describe(description),
    taskMap: (description) => taskMap(task).optional().describe(description),
    dagTasks: (description) => dagEntries(task).describe(description),
    taskRunner: (description) => taskRunner.optional().describe(description),
    settings: (schema, description) => {
      const slot = schema.optional().describe(description);
      settings.add(slot);
      return slot;
    },
  };
  const variants = TASKS.flatMap((descriptor) => descriptor.variants.map((variant) => {
    const schema = taskSchema(variant, slots);
    const settingKeys = Object.entries(schema.shape).filter(([, slot]) => settings.has(slot as z.ZodType)).map(([key]) => key);
    return { schema: schema.extend({ type: typeNames(variant.types.flat(), 'task') }), settingKeys };
  }));
  const taskUnion = z.discriminatedUnion('type', variants.map(({ schema }) => schema) as unknown as [z.ZodObject, ...z.ZodObject[]])
    .meta({ id: 'task', description: 'A task, chosen by its type.' });
  const trigger = z.discriminatedUnion('type', TRIGGERS.map(
    (descriptor) => triggerSchema(descriptor.properties()).extend({ type: typeNames(descriptor.types, 'trigger') }),
  ) as unknown as [z.ZodObject, ...z.ZodObject[]]).meta({ id: 'trigger', description: 'A trigger, chosen by its type.' });
  const flow = buildFlowSchema({ tasks, handlers: handlerList(task), input: inputSchema(), trigger });

  const schema = z.toJSONSchema(flow, JSON_SCHEMA_OPTIONS);
  const definitions = schema.definitions as Record<string, JsonNode>;
  definitions.taskRunner = allowExpressions(definitions.taskRunner);
  (definitions.task.oneOf as JsonNode[]).forEach((variant, index) => {
    const properties = variant.properties as Record<string, JsonNode>;
    for (const key of variants[index].settingKeys) properties[key] = allowExpressions(properties[key]);
  });
  return { ...schema, title: 'Harrier flow', description: 'A Kestra-style flow run by Harrier.' };
}

type JsonNode = Record<string, unknown>;

const JSON_SCHEMA_OPTIONS: Parameters<typeof z.toJSONSchema>[1] = {
  target: 'draft-7',
  io: 'input',
  unrepresentable: 'any',
  override: ({ zodSchema, jsonSchema }) => {
    const def = zodSchema._zod.def as { type: string; defaultValue?: unknown };
    // zod leaves out the default of a value that is preprocessed (booleans, numbers, fixed words).
    if (def.type === 'default' && !('default' in jsonSchema)) jsonSchema.default = JSON.parse(JSON.stringify(def.defaultValue));
    const words = oneOfWords.get(zodSchema);
    if (words) {
      delete jsonSchema.enum;
      delete jsonSchema.type;
      Object.assign(jsonSchema, wordsSchema(words.values, words.spelling));
      return;
    }
    const alternatives = eitherAlternatives.get(zodSchema);
    if (!alternatives) return;
    const { $schema: _, ...described } = z.toJSONSchema(alternatives, JSON_SCHEMA_OPTIONS);
    // The property's own description wins over the alternatives'.
    Object.assign(jsonSchema, described, jsonSchema.description ? { description: jsonSchema.description } : {});
  },
};

/**
 * Fixed words as `harrier validate` takes them: the listed spellings for completion, and a
 * pattern for every other spelling the validator accepts (`aLwAyS` is as valid as `Always`).
 */
export function wordsSchema(values: readonly string[], spelling: Spelling): JsonNode {
  const listed = spelling === 'any case, underscores ignored' ? [...new Set([...values, ...values.map(otherStyle)])] : [...values];
  if (spelling === 'exact') return { type: 'string', enum: listed };
  const anyCase = (word: string): string[] => [...word].map((ch) => (/[a-z]/i.test(ch) ? `[${ch.toUpperCase()}${ch.toLowerCase()}]` : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  const patterns = values.map((word) => (spelling === 'any case'
    ? anyCase(word).join('')
    : `_*${anyCase(word.replaceAll('_', '')).join('_*')}_*`));
  return { anyOf: [{ type: 'string', enum: listed }, { type: 'string', pattern: `^(?:${patterns.join('|')})$` }] };
}

/** `IfNotPresent` ↔ `IF_NOT_PRESENT`: Kubernetes' spelling and Kestra's. */
function otherStyle(word: string): string {
  if (word.includes('_') || word === word.toUpperCase()) {
    return word.toLowerCase().split('_').map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('');
  }
  return word.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
}

const EXPRESSION: JsonNode = { type: 'string', pattern: '\\{\\{', description: 'An expression, rendered when the task runs.' };

/** Runner properties are rendered before use: any non-string value may also be written as an expression. */
function allowExpressions(node: JsonNode): JsonNode {
  const copy: JsonNode = { ...node };
  for (const key of ['properties', 'definitions']) {
    if (!copy[key]) continue;
    // `type` picks the runner: it is never rendered.
    copy[key] = Object.fromEntries(Object.entries(copy[key] as Record<string, JsonNode>).map(
      ([name, child]) => [name, name === 'type' && key === 'properties' ? child : allowExpressions(child)],
    ));
  }
  for (const key of ['oneOf', 'anyOf', 'allOf']) {
    if (Array.isArray(copy[key])) copy[key] = (copy[key] as JsonNode[]).map(allowExpressions);
  }
  for (const key of ['items', 'additionalProperties']) {
    if (typeof copy[key] === 'object' && copy[key] !== null) copy[key] = allowExpressions(copy[key] as JsonNode);
  }
  const scalar = copy.type === 'boolean' || copy.type === 'number' || copy.type === 'integer' || copy.enum !== undefined;
  if (!scalar) return copy;
  // What an editor shows on hover stays on the property itself.
  const { description, default: byDefault, ...value } = copy;
  return { anyOf: [value, EXPRESSION], ...(description === undefined ? {} : { description }), ...(byDefault === undefined ? {} : { default: byDefault }) };
}
