/**
 * The JSON Schema of the flow format, generated from the validation schemas, for editors (the YAML
 * language server): tasks and task runners are unions discriminated by `type`.
 */
import { z } from 'zod';
import type { RunnerKind, TaskKind } from './model.ts';
import { buildSchemas, inputSchema } from './flow-schemas.ts';
import { fileSidecarSchema, kubernetesConnectionSchema, runnerPropertyObjects } from './runner-schemas.ts';
import { eitherAlternatives } from './schema-kit.ts';
import { runnerTypeNamesOf, taskTypeNamesOf } from './task-types.ts';

function typeNames(names: string[]) {
  return z.enum(names as [string, ...string[]]);
}

export function flowJsonSchema(): object {
  const runnerKinds: RunnerKind[] = ['process', 'docker', 'kubernetes'];
  const taskRunner = z.discriminatedUnion('type', runnerKinds.map(
    (kind) => runnerPropertyObjects[kind].extend({ type: typeNames(runnerTypeNamesOf(kind)) }),
  ) as unknown as [z.ZodObject, ...z.ZodObject[]]).meta({ id: 'taskRunner', description: 'Where the task\'s commands run.' });

  const task: z.ZodType = z.lazy(() => taskUnion);
  const built = buildSchemas({ task, input: inputSchema, taskRunner, connection: kubernetesConnectionSchema, fileSidecar: fileSidecarSchema });
  const variants: Array<[TaskKind, z.ZodObject, string[]]> = [
    ['script', built.tasks.commands, scriptNames('commands')],
    ['script', built.tasks.script, scriptNames('script')],
    ['script', built.tasks.dbt, taskTypeNamesOf('script').filter((name) => name.toLowerCase().includes('dbt'))],
    ['log', built.tasks.log, taskTypeNamesOf('log')],
    ['outputValues', built.tasks.outputValues, taskTypeNamesOf('outputValues')],
    ['parallel', built.tasks.parallel, taskTypeNamesOf('parallel')],
    ['sequential', built.tasks.sequential, taskTypeNamesOf('sequential')],
    ['podCreate', built.tasks.podCreate, taskTypeNamesOf('podCreate')],
  ];
  const taskUnion = z.discriminatedUnion('type', variants.map(
    ([, schema, names]) => schema.extend({ type: typeNames(names) }),
  ) as unknown as [z.ZodObject, ...z.ZodObject[]]).meta({ id: 'task', description: 'A task, chosen by its type.' });

  const schema = z.toJSONSchema(built.flow, {
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
  for (const variant of definitions.task.oneOf as JsonNode[]) {
    const properties = variant.properties as Record<string, JsonNode>;
    for (const name of ['connection', 'fileSidecar']) {
      if (properties[name]) properties[name] = allowExpressions(properties[name]);
    }
  }
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

function scriptNames(mode: 'commands' | 'script'): string[] {
  return taskTypeNamesOf('script').filter((name) => !name.toLowerCase().includes('dbt') && name.endsWith(mode === 'commands' ? 'Commands' : 'Script'));
}
