/**
 * The JSON Schema of the flow format, generated from the validation schemas, for editors (the YAML
 * language server): tasks and task runners are unions discriminated by `type`.
 */
import { z } from 'zod';
import { RUNNERS } from '../runners/table.ts';
import type { TaskSlots } from '../tasks/descriptor.ts';
import { TASKS } from '../tasks/table.ts';
import { buildFlowSchema, dagEntries, handlerList, inputSchema, taskList, taskMap, taskSchema } from './flow-schemas.ts';
import { eitherAlternatives } from './schema-kit.ts';
import { triggerSchema } from '../triggers/common.ts';
import { TRIGGERS } from '../triggers/table.ts';

function typeNames(names: readonly string[]) {
  return z.enum(names as [string, ...string[]]);
}

export function flowJsonSchema(): object {
  const taskRunner = z.discriminatedUnion('type', RUNNERS.map(
    (runner) => runner.properties.extend({ type: typeNames(runner.types) }),
  ) as unknown as [z.ZodObject, ...z.ZodObject[]]).meta({ id: 'taskRunner', description: 'Where the task\'s commands run.' });

  const task: z.ZodType = z.lazy(() => taskUnion);
  const tasks = taskList(task);
  const settings = new Set<z.ZodType>();
  const slots: TaskSlots = {
    tasks: (description) => taskList(task).describe(description),
    optionalTasks: (description) => handlerList(task).describe(description),
    taskMap: (description) => taskMap(task).optional().describe(description),
    dagTasks: (description) => dagEntries(task).describe(description),
    taskRunner: taskRunner.optional(),
    settings: (schema) => {
      const slot = schema.optional();
      settings.add(slot);
      return slot;
    },
  };
  const variants = TASKS.flatMap((descriptor) => descriptor.variants.map((variant) => {
    const schema = taskSchema(variant, slots);
    const settingKeys = Object.entries(schema.shape).filter(([, slot]) => settings.has(slot as z.ZodType)).map(([key]) => key);
    return { schema: schema.extend({ type: typeNames(variant.types.flat()) }), settingKeys };
  }));
  const taskUnion = z.discriminatedUnion('type', variants.map(({ schema }) => schema) as unknown as [z.ZodObject, ...z.ZodObject[]])
    .meta({ id: 'task', description: 'A task, chosen by its type.' });
  const trigger = z.discriminatedUnion('type', TRIGGERS.map(
    (descriptor) => triggerSchema(descriptor.properties()).extend({ type: typeNames(descriptor.types) }),
  ) as unknown as [z.ZodObject, ...z.ZodObject[]]).meta({ id: 'trigger', description: 'A trigger, chosen by its type.' });
  const flow = buildFlowSchema({ tasks, handlers: handlerList(task), input: inputSchema, trigger });

  const schema = z.toJSONSchema(flow, {
    target: 'draft-7',
    io: 'input',
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      const alternatives = eitherAlternatives.get(zodSchema);
      if (!alternatives) return;
      const { $schema: _, ...described } = z.toJSONSchema(alternatives, { target: 'draft-7', io: 'input' });
      Object.assign(jsonSchema, described);
    },
  });
  const definitions = schema.definitions as Record<string, JsonNode>;
  definitions.taskRunner = allowExpressions(definitions.taskRunner);
  (definitions.task.oneOf as JsonNode[]).forEach((variant, index) => {
    const properties = variant.properties as Record<string, JsonNode>;
    for (const key of variants[index].settingKeys) properties[key] = allowExpressions(properties[key]);
  });
  return { ...schema, title: 'Harrier flow', description: 'A Kestra-style flow run by Harrier.' };
}

type JsonNode = Record<string, unknown>;

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
  return scalar ? { anyOf: [copy, EXPRESSION] } : copy;
}
