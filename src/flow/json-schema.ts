/**
 * The JSON Schema of the flow format, generated from the validation schemas, for editors (the YAML
 * language server): tasks and task runners are unions discriminated by `type`.
 */
import { z } from 'zod';
import type { RunnerKind, TaskKind } from './model.ts';
import { buildSchemas, inputSchema } from './flow-schemas.ts';
import { fileSidecarSchema, kubernetesConnectionSchema, runnerPropertyObjects } from './runner-schemas.ts';
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

  const schema = z.toJSONSchema(built.flow, { target: 'draft-7', io: 'input', unrepresentable: 'any' });
  return { ...schema, title: 'Harrier flow', description: 'A Kestra-style flow run by Harrier.' };
}

function scriptNames(mode: 'commands' | 'script'): string[] {
  return taskTypeNamesOf('script').filter((name) => !name.toLowerCase().includes('dbt') && name.endsWith(mode === 'commands' ? 'Commands' : 'Script'));
}
